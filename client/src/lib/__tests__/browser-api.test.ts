import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { UNREACHABLE_MESSAGE } from '../api-core';
import { newIdempotencyKey, postOnce } from '../browser-api';

/** A real server answering each POST with what `answer` says for it (by arrival, from 0). */
async function serve(answer: (n: number, res: http.ServerResponse) => void) {
  const keys: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      keys.push(req.headers['idempotency-key'] as string | undefined);
      answer(keys.length - 1, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/tickets`;
  return {
    url,
    keys,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Sends the headers of a 201, then drops the connection: the answer never arrives whole. */
function dropAnswer(res: http.ServerResponse): void {
  res.writeHead(201, { 'content-type': 'application/json', 'content-length': '100' });
  res.flushHeaders();
  setImmediate(() => res.socket?.destroy());
}

function created(res: http.ServerResponse, replayed: boolean): void {
  res.writeHead(201, {
    'content-type': 'application/json',
    ...(replayed ? { 'idempotent-replayed': 'true' } : {}),
  });
  res.end(JSON.stringify({ id: 't1' }));
}

describe('postOnce', () => {
  it('sends the POST once more with the same key when the answer is lost, and returns the second answer', async () => {
    const server = await serve((n, res) => (n === 0 ? dropAnswer(res) : created(res, true)));
    const key = newIdempotencyKey();

    const result = await postOnce<{ id: string }>(server.url, { title: 'Concert' }, key);
    await server.close();

    expect(result).toEqual({ ok: true, status: 201, data: { id: 't1' } });
    expect(server.keys).toEqual([key, key]);
  });

  it('asks again while the server says the first request is still running (409)', async () => {
    const server = await serve((n, res) => {
      if (n === 0) {
        res.writeHead(409, { 'content-type': 'application/json', 'retry-after': '0' });
        res.end(JSON.stringify({ errors: [{ message: 'still in progress' }] }));
      } else created(res, true);
    });
    const key = newIdempotencyKey();

    const result = await postOnce<{ id: string }>(server.url, { title: 'Concert' }, key);
    await server.close();

    expect(result).toEqual({ ok: true, status: 201, data: { id: 't1' } });
    expect(server.keys).toEqual([key, key]);
  });

  it('retries a lost answer only once, then says the server could not be reached', async () => {
    const server = await serve((_, res) => dropAnswer(res));

    const result = await postOnce(server.url, { title: 'Concert' }, newIdempotencyKey());
    await server.close();

    expect(result).toEqual({
      ok: false,
      status: 0,
      errors: [{ message: UNREACHABLE_MESSAGE }],
      unreachable: true,
    });
    expect(server.keys).toHaveLength(2);
  });

  it('does not send again after an answer, even an error', async () => {
    const server = await serve((_, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ message: 'Title is required', field: 'title' }] }));
    });

    const result = await postOnce(server.url, { title: '' }, newIdempotencyKey());
    await server.close();

    expect(result).toEqual({
      ok: false,
      status: 400,
      errors: [{ message: 'Title is required', field: 'title' }],
    });
    expect(server.keys).toHaveLength(1);
  });
});

describe('newIdempotencyKey', () => {
  it('makes a different 32-character hex key every time', () => {
    const keys = new Set(Array.from({ length: 100 }, newIdempotencyKey));

    expect(keys.size).toBe(100);
    for (const key of keys) expect(key).toMatch(/^[0-9a-f]{32}$/);
  });
});
