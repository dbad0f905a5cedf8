import fs from 'node:fs';
import path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/** The response fields the checker reads (supertest's response has them all). */
export interface CheckedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- supertest's body is `any`
  body: any;
  /** The raw body; empty or undefined when there was none. */
  text?: string;
}

type Json = Record<string, unknown>;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']);
const DOCUMENT_ID = 'openapi.yaml';

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Checks HTTP responses against an OpenAPI 3.1 document: the status must be one the operation lists,
 * the documented required headers must be there and valid, and the body must match the schema of
 * that status (or be empty when it has none). Requests outside `/api` (probes, metrics) are not
 * part of the public API and are not checked; an `/api` path or method the document does not know
 * must be answered with 404 in the error shape.
 *
 * Why ajv's 2020-12 validator over the document itself rather than a packaged response validator:
 * OpenAPI 3.1 schemas are JSON Schema 2020-12, which ajv (already common's event validator)
 * implements; the validators on npm built for responses (openapi-response-validator, jest-openapi)
 * stop at OpenAPI 3.0. The whole document is registered as one schema, so ajv resolves every
 * `#/components/...` reference inside it: nothing is copied or dereferenced that could drift.
 */
export class OpenApiResponseChecker {
  private readonly ajv: Ajv2020;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly paths: { template: string; pattern: RegExp }[];

  constructor(
    private readonly document: Json,
    /** How messages name the document. */
    private readonly name = 'the OpenAPI document',
  ) {
    // multipleOfPrecision: prices are multiples of 0.01, which binary floats only approximate.
    this.ajv = new Ajv2020({ allErrors: true, strict: false, multipleOfPrecision: 8 });
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: DOCUMENT_ID });
    this.paths = Object.keys((document.paths as Json | undefined) ?? {}).map((template) => ({
      template,
      pattern: new RegExp(
        `^${template
          .split(/\{[^}]+\}/)
          .map((part) => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}/?$`,
      ),
    }));
  }

  /** A checker of the YAML or JSON document in `file`. */
  static fromFile(file: string): OpenApiResponseChecker {
    const name = path.join(path.basename(path.dirname(file)), path.basename(file));
    return new OpenApiResponseChecker(parse(fs.readFileSync(file, 'utf8')) as Json, name);
  }

  /**
   * The ways `res`, the answer to `method url`, breaks the document; empty when it does not.
   * `url` may be absolute (supertest's) or a path.
   */
  check(method: string, url: string, res: CheckedResponse): string[] {
    const pathname = new URL(url, 'http://localhost').pathname;
    if (pathname !== '/api' && !pathname.startsWith('/api/')) return [];
    const verb = method.toLowerCase();
    const request = `${method.toUpperCase()} ${pathname} → ${res.status}`;

    const found = this.paths.find((p) => p.pattern.test(pathname));
    const operationVerb = verb === 'head' ? 'get' : verb;
    const operation = found && ((this.document.paths as Json)[found.template] as Json)[operationVerb];
    if (!found || !METHODS.has(operationVerb) || !operation) {
      // Unknown routes are part of the contract too: 404 in the error shape.
      const problems = this.validate('#/components/schemas/Errors', res.body);
      if (res.status === 404 && problems.length === 0) return [];
      return [
        `${request}: ${this.name} has no operation for this request, so only 404 in the error shape is allowed` +
          (problems.length ? ` (body: ${problems.join('; ')})` : ''),
      ];
    }

    const responses = (operation as Json).responses as Json;
    const status = String(res.status);
    const key = [status, `${status[0]}XX`, 'default'].find((k) => k in responses);
    const operationPointer = `#/paths/${escapePointer(found.template)}/${operationVerb}`;
    if (!key) {
      return [
        `${request}: ${this.name} does not allow status ${status} for ${operationVerb.toUpperCase()} ${found.template}` +
          ` (it allows ${Object.keys(responses).join(', ')}); body: ${JSON.stringify(res.body)}`,
      ];
    }

    const { value: response, pointer } = this.resolve(
      responses[key] as Json,
      `${operationPointer}/responses/${key}`,
    );
    return [
      ...this.checkHeaders(response, pointer, res).map((p) => `${request}: ${p}`),
      ...(verb === 'head' ? [] : this.checkBody(response, pointer, res).map((p) => `${request}: ${p}`)),
    ];
  }

  private checkHeaders(response: Json, responsePointer: string, res: CheckedResponse): string[] {
    const problems: string[] = [];
    for (const [name, declared] of Object.entries((response.headers as Json | undefined) ?? {})) {
      const { value: header, pointer } = this.resolve(
        declared as Json,
        `${responsePointer}/headers/${escapePointer(name)}`,
      );
      if (header.required !== true) continue;
      const actual = res.headers[name.toLowerCase()];
      if (actual === undefined) {
        problems.push(`the required header ${name} is missing`);
        continue;
      }
      if (!header.schema) continue;
      // A repeated header (Set-Cookie) is fine when one of its values matches.
      const values = ([] as string[]).concat(actual);
      const failures = values.map((v) => this.validate(`${pointer}/schema`, v));
      if (failures.every((f) => f.length > 0))
        problems.push(`header ${name} ${JSON.stringify(actual)} does not match: ${failures[0].join('; ')}`);
    }
    return problems;
  }

  private checkBody(response: Json, pointer: string, res: CheckedResponse): string[] {
    const content = response.content as Json | undefined;
    if (!content) {
      return res.text ? [`no body is documented, but got ${JSON.stringify(res.text.slice(0, 200))}`] : [];
    }
    const contentType = String(res.headers['content-type'] ?? '')
      .split(';')[0]
      .trim();
    if (!(contentType in content)) {
      return [`Content-Type ${JSON.stringify(contentType)} is not one of ${Object.keys(content).join(', ')}`];
    }
    const problems = this.validate(`${pointer}/content/${escapePointer(contentType)}/schema`, res.body);
    return problems.length
      ? [`the body does not match ${this.name}: ${problems.join('; ')}; body: ${JSON.stringify(res.body)}`]
      : [];
  }

  /** Follows local `$ref`s of a response or header object; returns it and its JSON pointer. */
  private resolve(value: Json, pointer: string): { value: Json; pointer: string } {
    let current = value;
    let at = pointer;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 10; hops++) {
      at = current.$ref;
      current = at
        .slice(2)
        .split('/')
        .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
        .reduce<Json>((node, token) => node[token] as Json, this.document);
      if (current === undefined) throw new Error(`${this.name}: ${at} does not resolve`);
    }
    return { value: current, pointer: at };
  }

  private validate(pointer: string, data: unknown): string[] {
    let validator = this.compiled.get(pointer);
    if (!validator) {
      validator = this.ajv.compile({ $ref: `${DOCUMENT_ID}${pointer}` });
      this.compiled.set(pointer, validator);
    }
    if (validator(data)) return [];
    return (validator.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`);
  }
}

/** The part of supertest's `Test` class the hook replaces. */
export interface SupertestTestClass {
  prototype: {
    assert(resError: unknown, res: unknown, fn?: (err: unknown, res: unknown) => void): void;
  };
}

/**
 * Makes every supertest request fail when its response breaks the document: `Test.prototype.assert`
 * (which every awaited or `.end()`-ed supertest request goes through, before its `.expect()`s) first
 * asks `checker`. Returns the function that undoes it.
 */
export function checkSupertestResponses(
  Test: SupertestTestClass,
  checker: OpenApiResponseChecker,
): () => void {
  const original = Test.prototype.assert;
  Test.prototype.assert = function (this: { method: string; url: string }, resError, res, fn) {
    if (res) {
      const problems = checker.check(this.method, this.url, res as CheckedResponse);
      if (problems.length > 0) {
        const error = new Error(`The response breaks the API document:\n- ${problems.join('\n- ')}`);
        if (fn) return fn.call(this, error, res);
        throw error;
      }
    }
    return original.call(this, resError, res, fn);
  };
  return () => {
    Test.prototype.assert = original;
  };
}
