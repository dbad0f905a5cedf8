/**
 * `Idempotency-Key` on POST routes (Stripe's semantics, draft-ietf-httpapi-idempotency-key-header):
 * the first request with a key runs and its answer is stored with its effect; a repeat of the same
 * request by the same user replays that answer with `Idempotent-Replayed: true`; the same key with
 * another request is 422; the same key while the first still runs is 409. A request that fails
 * before any effect (validation, a broken rule) stores nothing, so a corrected retry may use the key.
 */
import crypto from 'node:crypto';
import { and, eq, gt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import type { Database, Tx } from '../db/database';
import { idempotencyKeys } from '../db/schema';
import { BadRequestError, ConflictError, NotAuthorizedError, UnprocessableContentError } from '../errors';
import type { IdempotentRequest } from './types';

export type { IdempotentRequest } from './types';

/** The request header that carries the key. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** The response header that marks a replayed answer. */
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';

export const IDEMPOTENCY_KEY_INVALID_MESSAGE = 'Idempotency-Key must be 1 to 255 printable ASCII characters';
export const IDEMPOTENCY_KEY_IN_PROGRESS_MESSAGE =
  'A request with this Idempotency-Key is still in progress; retry shortly';
export const IDEMPOTENCY_KEY_REUSED_MESSAGE = 'This Idempotency-Key was already used for a different request';

// Printable ASCII, space included (node has already trimmed the value's ends).
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/** An answer stored for a key: status and JSON body. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What to send: the answer, and whether it is a replay of a stored one. */
export interface IdempotentAnswer {
  status: number;
  /** The JSON body, serialized (a replay sends the stored text byte for byte). */
  json: string;
  replayed: boolean;
}

/** What a request with a key did so far (a live record; expired ones count as absent). */
export type IdempotencyRecord =
  | { state: 'done'; response: { status: number; json: string } }
  | { state: 'running'; recoveryPoint: unknown };

/** JSON with object keys sorted at every level, so equal bodies fingerprint equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha-256 (hex) of the canonical JSON of a request body. */
export function fingerprintOf(body: unknown): string {
  return crypto.createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/**
 * Reads the `Idempotency-Key` header of a signed-in request (mount after `requireAuth`) into
 * `req.idempotency`; without the header it does nothing and the route behaves as without keys. A
 * key that is not 1 to 255 printable ASCII characters, or a repeated header, is a 400 on the field
 * `Idempotency-Key`. Keys are remembered for `retentionHours`.
 */
export function idempotencyKey(options: { retentionHours: number }): RequestHandler {
  const retentionMs = options.retentionHours * 3_600_000;
  return (req, _res, next) => {
    const values = req.headersDistinct['idempotency-key'];
    if (values === undefined) return next();
    if (values.length !== 1 || !KEY_PATTERN.test(values[0]!)) {
      return next(new BadRequestError(IDEMPOTENCY_KEY_INVALID_MESSAGE, IDEMPOTENCY_KEY_HEADER));
    }
    if (!req.currentUser) return next(new NotAuthorizedError());
    req.idempotency = {
      userId: req.currentUser.id,
      key: values[0]!,
      method: req.method,
      path: req.originalUrl,
      fingerprint: fingerprintOf(req.body),
      retentionMs,
    };
    next();
  };
}

/** Sends an answer; a replay carries `Idempotent-Replayed: true`. */
export function sendAnswer(res: Response, answer: IdempotentAnswer): void {
  if (answer.replayed) res.setHeader(IDEMPOTENT_REPLAYED_HEADER, 'true');
  res.status(answer.status).type('application/json').send(answer.json);
}

function fresh(response: StoredResponse): IdempotentAnswer {
  return { status: response.status, json: JSON.stringify(response.body), replayed: false };
}

/**
 * Runs `effect` in one transaction and answers with what it returns. With a key, one statement
 * looks the key up and tries its transaction-scoped advisory lock: a stored answer is replayed; a
 * busy lock is 409 (the first request is still running); otherwise the effect runs and its answer
 * is stored in the same transaction, so the answer is kept if and only if the effect committed. An
 * error thrown by `effect` rolls both back: nothing is stored. (A first request that commits
 * between that statement's snapshot and its lock is caught by the key's primary key when the answer
 * is stored: 409, and this effect rolls back.)
 */
export async function idempotentTransaction(
  db: Database,
  request: IdempotentRequest | undefined,
  effect: (tx: Tx) => Promise<StoredResponse>,
): Promise<IdempotentAnswer> {
  if (!request) return fresh(await db.transaction(effect));
  return db.transaction(async (tx) => {
    const { locked, record } = await lockAndFind(tx, request);
    if (record?.state === 'done') return { ...record.response, replayed: true };
    // Busy, or left running (only multi-step routes do that, under `withIdempotencyKey`): in progress.
    if (!locked || record) throw inProgress();
    const response = await effect(tx);
    const json = JSON.stringify(response.body);
    await insertRecord(tx, request, { state: 'done', responseStatus: response.status, responseBody: json });
    return { status: response.status, json, replayed: false };
  });
}

/**
 * For a route whose effect spans several transactions and an outside call (payments). A stored
 * answer is replayed at once. Otherwise it holds the key's session-level advisory lock on one
 * connection for the whole of `fn` (busy → 409), and gives `fn` a handle on that same connection,
 * so the request never waits for a second one while holding the first. The lock is released when
 * `fn` ends, or by PostgreSQL when this process dies: a request that finds the key `running` and
 * the lock free knows the first one stopped, and may resume it from its recovery point. `fn` looks
 * again with `findIdempotencyRecord` (the first may have just finished) and uses
 * `claimIdempotencyKey` and `completeIdempotencyKey` in its transactions.
 */
export async function withIdempotencyKey(
  db: Database,
  request: IdempotentRequest,
  fn: (keyDb: Database) => Promise<IdempotentAnswer>,
): Promise<IdempotentAnswer> {
  // Repeats of a finished request replay without contending for the lock.
  const stored = await findIdempotencyRecord(db, request);
  if (stored?.state === 'done') return { ...stored.response, replayed: true };
  const pool = (db as unknown as { $client: Pool }).$client;
  const client = await pool.connect();
  const id = lockId(request);
  let broken: Error | undefined;
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      'select pg_try_advisory_lock($1::bigint) as locked',
      [id],
    );
    if (!rows[0]?.locked) throw inProgress();
    try {
      return await fn(drizzle(client) as unknown as Database);
    } finally {
      await client.query('select pg_advisory_unlock($1::bigint)', [id]).catch((err: Error) => {
        // A connection that cannot unlock must not go back to the pool still holding the lock.
        broken = err;
      });
    }
  } finally {
    try {
      client.release(broken);
    } catch {
      // Already handed back: a failed BEGIN releases its client itself (see createDatabase).
    }
  }
}

/** The live record of `request`'s key, if any; 422 when the key was used for a different request. */
export async function findIdempotencyRecord(
  tx: Tx | Database,
  request: IdempotentRequest,
): Promise<IdempotencyRecord | undefined> {
  const [row] = await tx
    .select()
    .from(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.userId, request.userId),
        eq(idempotencyKeys.key, request.key),
        gt(idempotencyKeys.expiresAt, sql`now()`),
      ),
    );
  return row && toRecord(row, request);
}

/** Tries the key's transaction-scoped lock and reads its live record, in one statement. */
async function lockAndFind(
  tx: Tx,
  request: IdempotentRequest,
): Promise<{ locked: boolean; record: IdempotencyRecord | undefined }> {
  const { rows } = await tx.execute<{ locked: boolean } & Partial<KeyRow>>(sql`
    select pg_try_advisory_xact_lock(${lockId(request)}::bigint) as locked,
           k.method, k.path, k.fingerprint, k.state,
           k.recovery_point as "recoveryPoint", k.response_status as "responseStatus",
           k.response_body as "responseBody"
      from (select 1) as one
      left join ${idempotencyKeys} as k
        on k.user_id = ${request.userId} and k.key = ${request.key} and k.expires_at > now()`);
  const row = rows[0]!;
  return { locked: row.locked, record: row.state ? toRecord(row as KeyRow, request) : undefined };
}

type KeyRow = Pick<
  typeof idempotencyKeys.$inferSelect,
  'method' | 'path' | 'fingerprint' | 'state' | 'recoveryPoint' | 'responseStatus' | 'responseBody'
>;

function toRecord(row: KeyRow, request: IdempotentRequest): IdempotencyRecord {
  if (row.method !== request.method || row.path !== request.path || row.fingerprint !== request.fingerprint) {
    throw new UnprocessableContentError(IDEMPOTENCY_KEY_REUSED_MESSAGE, IDEMPOTENCY_KEY_HEADER);
  }
  if (row.state === 'done') {
    return { state: 'done', response: { status: row.responseStatus!, json: row.responseBody! } };
  }
  return { state: 'running', recoveryPoint: row.recoveryPoint };
}

/**
 * Records, in the transaction that begins the effect, that the key's request is running and what
 * it started (`recoveryPoint`), so a repeat after a crash can finish it instead of starting again.
 */
export async function claimIdempotencyKey(
  tx: Tx,
  request: IdempotentRequest,
  recoveryPoint: unknown,
): Promise<void> {
  await insertRecord(tx, request, { state: 'running', recoveryPoint });
}

/** Stores the final answer of a request that `claimIdempotencyKey` marked running (or that had no record). */
export async function completeIdempotencyKey(
  tx: Tx,
  request: IdempotentRequest,
  response: StoredResponse,
): Promise<IdempotentAnswer> {
  const json = JSON.stringify(response.body);
  const updated = await tx
    .update(idempotencyKeys)
    .set({ state: 'done', responseStatus: response.status, responseBody: json })
    .where(
      and(
        eq(idempotencyKeys.userId, request.userId),
        eq(idempotencyKeys.key, request.key),
        eq(idempotencyKeys.state, 'running'),
        gt(idempotencyKeys.expiresAt, sql`now()`),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  if (updated.length === 0) {
    await insertRecord(tx, request, { state: 'done', responseStatus: response.status, responseBody: json });
  }
  return { status: response.status, json, replayed: false };
}

type RecordState =
  | { state: 'running'; recoveryPoint: unknown }
  | { state: 'done'; responseStatus: number; responseBody: string };

/**
 * Inserts the key's record, replacing an expired one (the janitor may not have swept it yet). A
 * live record already there means another request got past the lock: 409, and the caller's
 * transaction, effect included, rolls back.
 */
async function insertRecord(tx: Tx, request: IdempotentRequest, values: RecordState): Promise<void> {
  const row = {
    userId: request.userId,
    key: request.key,
    method: request.method,
    path: request.path,
    fingerprint: request.fingerprint,
    recoveryPoint: null,
    responseStatus: null,
    responseBody: null,
    ...values,
    createdAt: sql`now()`,
    expiresAt: sql`now() + make_interval(secs => ${request.retentionMs / 1000}::double precision)`,
  };
  const inserted = await tx
    .insert(idempotencyKeys)
    .values(row)
    .onConflictDoUpdate({
      target: [idempotencyKeys.userId, idempotencyKeys.key],
      set: row,
      setWhere: sql`${idempotencyKeys.expiresAt} <= now()`,
    })
    .returning({ key: idempotencyKeys.key });
  if (inserted.length === 0) throw inProgress();
}

function inProgress(): ConflictError {
  return new ConflictError(IDEMPOTENCY_KEY_IN_PROGRESS_MESSAGE, 1);
}

/** The advisory lock of one user's key: 64 bits of a hash (single-bigint locks, apart from two-int ones). */
function lockId(request: Pick<IdempotentRequest, 'userId' | 'key'>): string {
  return crypto
    .createHash('sha256')
    .update(`${request.userId}\n${request.key}`)
    .digest()
    .readBigInt64BE(0)
    .toString();
}
