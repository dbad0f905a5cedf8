import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse, stringify } from 'yaml';
import { eventCatalog } from '../../events/catalog';
import { serviceCatalog } from '../../services/catalog';

const root = path.join(__dirname, '../../../..');
const docs = path.join(root, 'docs');
const readYaml = (file: string) => parse(fs.readFileSync(file, 'utf8'));

/**
 * Validates an OpenAPI file with @seriousme/openapi-schema-validator (the official OpenAPI JSON
 * Schemas, 3.1 included, plus a check that every $ref resolves). It is ESM only, which jest's
 * CommonJS runtime cannot import, so its own CLI runs it.
 */
function validateOpenApi(file: string): { valid: boolean; errors?: unknown } {
  const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
  try {
    return JSON.parse(execFileSync(process.execPath, [cli, file], { encoding: 'utf8' }));
  } catch (err) {
    const stdout = (err as { stdout?: string }).stdout;
    if (stdout) return JSON.parse(stdout);
    throw err;
  }
}

/** The official AsyncAPI 3.0.0 JSON Schema (@asyncapi/specs), compiled once. */
function asyncApiValidator() {
  // The bundled schema carries its own copy of the draft-07 meta-schema, so ajv's is left out.
  const ajv = new Ajv({ allErrors: true, strict: false, meta: false, validateSchema: false });
  addFormats(ajv);
  return ajv.compile(require('@asyncapi/specs').schemas['3.0.0']);
}

/** The routes the services mount, read from their route files: `POST /api/tickets/{id}` etc. */
function mountedRoutes(): string[] {
  const routes: string[] = [];
  for (const service of ['auth', 'tickets', 'orders', 'payments']) {
    const dir = path.join(root, service, 'src', 'routes');
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(dir, file), 'utf8');
      for (const [, method, route] of source.matchAll(/\.(get|post|put|patch|delete)\(\s*'(\/api[^']*)'/g))
        routes.push(`${method.toUpperCase()} ${route.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return routes.sort();
}

describe('docs/openapi.yaml', () => {
  const document = readYaml(path.join(docs, 'openapi.yaml'));

  it('is a valid OpenAPI 3.1 document', () => {
    const result = validateOpenApi(path.join(docs, 'openapi.yaml'));

    expect(document.openapi).toMatch(/^3\.1\./);
    expect(result).toEqual({ valid: true });
  });

  it('would be refused by the validator if a response lost its description', () => {
    const broken = structuredClone(document);
    delete broken.paths['/api/tickets'].get.responses['200'].description;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.yaml');
    fs.writeFileSync(file, stringify(broken));

    const result = validateOpenApi(file);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });

    expect(result.valid).toBe(false);
  });

  it('describes exactly the routes the services mount', () => {
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([route, item]) =>
        Object.keys(item)
          .filter((key) => ['get', 'post', 'put', 'patch', 'delete'].includes(key))
          .map((method) => `${method.toUpperCase()} ${route}`),
      )
      .sort();

    expect(documented).toEqual(mountedRoutes());
  });
});

describe('docs/asyncapi.yaml', () => {
  const document = readYaml(path.join(docs, 'asyncapi.yaml'));
  const validate = asyncApiValidator();

  it('is a valid AsyncAPI 3.0 document', () => {
    const valid = validate(document);

    expect(document.asyncapi).toBe('3.0.0');
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('would be refused by the validator if an operation had an action AsyncAPI 3 does not know', () => {
    const broken = structuredClone(document);
    const [first] = Object.keys(broken.operations);
    broken.operations[first].action = 'publish';

    expect(validate(broken)).toBe(false);
  });

  it('has one channel per subject of the event catalog, at that address', () => {
    const channels = document.channels as Record<string, { address: string }>;

    expect(
      Object.values(channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual(Object.keys(eventCatalog).sort());
  });

  it("types each subject's payload as the envelope around the subject's JSON Schema in common/schemas", () => {
    for (const subject of Object.keys(eventCatalog)) {
      const [envelope, narrowed] = document.components.messages[subject].payload.allOf;
      const dataRef = path.resolve(docs, narrowed.properties.data.$ref);

      expect(path.resolve(docs, envelope.$ref)).toBe(path.join(root, 'common/schemas/envelope.schema.json'));
      expect(narrowed.properties.subject.const).toBe(subject);
      expect(dataRef).toBe(path.join(root, `common/schemas/${subject}.schema.json`));
      expect(JSON.parse(fs.readFileSync(dataRef, 'utf8')).title).toBe(subject);
    }
  });

  it("names each subject's record key as the event contract's key function reads it", () => {
    for (const [subject, contract] of Object.entries(eventCatalog)) {
      const pointer: string = document.components.messages[subject]['x-record-key'];
      // A payload whose every field holds a value of its own, so the key says which field it read.
      const fields = Object.keys((contract.schema as { properties: object }).properties);
      const data = Object.fromEntries(fields.map((field) => [field, `value of ${field}`]));
      const message: Record<string, unknown> = { id: 'event id', subject, occurredAt: 'now', data };
      const pointed = pointer
        .split('/')
        .slice(1)
        .reduce<unknown>((value, part) => (value as Record<string, unknown>)[part], message);

      expect([subject, pointed]).toEqual([subject, (contract.key as (d: unknown) => string)(data)]);
    }
  });

  it('says who sends and who receives each subject, as the service catalog does', () => {
    const declared: Record<string, { publishes: string[]; consumes: string[] }> = {};
    for (const operation of Object.values(document.operations) as {
      action: 'send' | 'receive';
      channel: { $ref: string };
      'x-service': string;
    }[]) {
      const service = (declared[operation['x-service']] ??= { publishes: [], consumes: [] });
      const subject = document.channels[operation.channel.$ref.replace('#/channels/', '')].address;
      (operation.action === 'send' ? service.publishes : service.consumes).push(subject);
    }
    const expected = Object.fromEntries(
      Object.entries(serviceCatalog)
        .filter(([, d]) => d.publishes.length + d.consumes.length > 0)
        .map(([name, d]) => [name, { publishes: [...d.publishes].sort(), consumes: [...d.consumes].sort() }]),
    );

    for (const d of Object.values(declared)) {
      d.publishes.sort();
      d.consumes.sort();
    }
    expect(declared).toEqual(expected);
  });
});
