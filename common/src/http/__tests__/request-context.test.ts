import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp, createLogger, silentLogger, type Logger } from '..';

function capture(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    logger: createLogger({ service: 'tickets', destination }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function buildApp(logger: Logger = silentLogger()) {
  return createApp({
    logger,
    routes: (app) => {
      app.post('/api/users/signin', (req, res) => {
        req.log?.info({ requestIdSeen: req.requestId }, 'handler ran');
        res.json({});
      });
    },
  });
}

describe('requestContext', () => {
  it('echoes a sane incoming x-request-id', async () => {
    const res = await request(buildApp()).post('/api/users/signin').set('x-request-id', 'abc-123_def.4');

    expect(res.headers['x-request-id']).toBe('abc-123_def.4');
  });

  it('replaces an x-request-id with unsafe characters by a uuid', async () => {
    const res = await request(buildApp())
      .post('/api/users/signin')
      .set('x-request-id', 'evil id\twith spaces');

    expect(res.headers['x-request-id']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('replaces an x-request-id longer than 128 characters', async () => {
    const res = await request(buildApp()).post('/api/users/signin').set('x-request-id', 'a'.repeat(129));

    expect(res.headers['x-request-id']).toHaveLength(36);
  });

  it('logs one request completed line with method, path without query, status and duration', async () => {
    const { logger, lines } = capture();

    await request(buildApp(logger))
      .post('/api/users/signin?email=x@y.z')
      .set('x-request-id', 'req-1')
      .send({});

    const completed = lines().filter((line) => line.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      service: 'tickets',
      requestId: 'req-1',
      method: 'POST',
      path: '/api/users/signin',
      status: 200,
      durationMs: expect.any(Number),
    });
  });

  it('gives handlers a child logger carrying the request id', async () => {
    const { logger, lines } = capture();

    await request(buildApp(logger)).post('/api/users/signin').set('x-request-id', 'req-2');

    expect(lines().find((line) => line.msg === 'handler ran')).toMatchObject({
      requestId: 'req-2',
      requestIdSeen: 'req-2',
    });
  });

  it('never logs bodies or cookies', async () => {
    const { logger, lines } = capture();

    await request(buildApp(logger))
      .post('/api/users/signin')
      .set('Cookie', 'session=secret-cookie')
      .send({ email: 'a@b.c', password: 'hunter22hunter' });

    const text = JSON.stringify(lines());
    expect(text).not.toContain('hunter22hunter');
    expect(text).not.toContain('secret-cookie');
  });
});

describe('createLogger', () => {
  it('redacts passwords, tokens and auth headers', () => {
    const { logger, lines } = capture();

    logger.info(
      {
        user: { password: 'p4ss' },
        session: { jwt: 'j.w.t' },
        req: { headers: { cookie: 'c', authorization: 'a' } },
      },
      'redaction',
    );

    expect(lines()[0]).toMatchObject({
      user: { password: '[redacted]' },
      session: { jwt: '[redacted]' },
      req: { headers: { cookie: '[redacted]', authorization: '[redacted]' } },
    });
  });

  it('writes ISO timestamps and the level as a word', () => {
    const { logger, lines } = capture();

    logger.warn('hello');

    expect(lines()[0]).toMatchObject({ level: 'warn', time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
  });

  it('silentLogger writes nothing', () => {
    expect(silentLogger().level).toBe('silent');
  });
});
