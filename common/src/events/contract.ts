import Ajv, { type JSONSchemaType, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { isPrice, MAX_PRICE } from '../money';

/** Every event travels in this envelope; `id` is the JetStream message id and the consumers' inbox key. */
export interface EventEnvelope<S extends string = string, D = unknown> {
  /** UUID, unique per event. */
  id: string;
  subject: S;
  /** ISO 8601 UTC time the state change committed. */
  occurredAt: string;
  data: D;
}

/** One event contract: its subject, payload type and the JSON Schema that checks it at runtime. */
export interface EventContract<S extends string = string, D = unknown> {
  readonly subject: S;
  readonly description: string;
  readonly schema: JSONSchemaType<D>;
  /**
   * The record a valid payload is about (a ticket's or an order's id). A consumer handling several
   * events at once never handles two with the same key at the same time: it takes them in stream order.
   */
  key(data: D): string;
  /** Checks a payload; returns the problems, empty when valid. */
  validate(data: unknown): string[];
}

// multipleOfPrecision: multipleOf 0.01 stays in the published schemas for other readers; the exact
// check is the `price` keyword below.
const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, multipleOfPrecision: 8 });
addFormats(ajv, ['uuid', 'date-time']);
// `"x-whole-cents": true`: the value passes the money module's parsePrice (a whole number of cents, at least
// one), the same check the API applies. multipleOf's tolerance lets 1e-17 through as 0 cents.
ajv.addKeyword({
  keyword: 'x-whole-cents',
  type: 'number',
  schemaType: 'boolean',
  errors: false,
  validate: (enabled: boolean, data: number) => !enabled || isPrice(data),
});

/** Declares an event contract; the compiler checks that `schema` matches the payload type `D`. */
export function defineEvent<S extends string, D>(def: {
  subject: S;
  description: string;
  schema: JSONSchemaType<D>;
  key(data: D): string;
}): EventContract<S, D> {
  let compiled: ValidateFunction<D> | undefined;
  return {
    ...def,
    validate(data: unknown): string[] {
      compiled ??= ajv.compile(def.schema);
      if (compiled(data)) return [];
      return (compiled.errors ?? []).map(
        (e) => `${e.instancePath || '(payload)'} ${e.message ?? 'is invalid'}`,
      );
    },
  };
}

/** JSON Schema of the envelope, without the payload (each subject's schema covers `data`). */
export const envelopeSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Ticketing event envelope',
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    subject: { type: 'string' },
    occurredAt: { type: 'string', format: 'date-time' },
    data: { type: 'object' },
  },
  required: ['id', 'subject', 'occurredAt', 'data'],
  additionalProperties: false,
} as const;

const validateEnvelopeFn = ajv.compile(envelopeSchema);

/** Checks the envelope's shape (not the payload); returns the problems, empty when valid. */
export function validateEnvelope(value: unknown): string[] {
  if (validateEnvelopeFn(value)) return [];
  return (validateEnvelopeFn.errors ?? []).map(
    (e) => `envelope${e.instancePath} ${e.message ?? 'is invalid'}`,
  );
}

// Shared schema pieces.
export const uuidSchema = { type: 'string', format: 'uuid' } as const;
export const versionSchema = { type: 'integer', minimum: 0 } as const;
export const priceSchema = {
  type: 'number',
  minimum: 0.01,
  maximum: MAX_PRICE,
  multipleOf: 0.01,
  description: 'Dollars, a whole number of cents (at most 2 decimals), 0.01 to 1000000.',
  'x-whole-cents': true,
} as const;

/** The payload of an order status change that other services key by order and ticket. */
export interface OrderTicketRef {
  id: string;
  version: number;
  ticket: { id: string };
}

/** JSON Schema of `OrderTicketRef` (order.cancelled, order.completed). */
export const orderTicketRefSchema = {
  type: 'object',
  properties: {
    id: uuidSchema,
    version: versionSchema,
    ticket: { type: 'object', properties: { id: uuidSchema }, required: ['id'], additionalProperties: false },
  },
  required: ['id', 'version', 'ticket'],
  additionalProperties: false,
} as const;
