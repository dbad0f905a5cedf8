import { Writable } from 'node:stream';
import request from 'supertest';
import {
  BadRequestError,
  NotAuthorizedError,
  NotFoundError,
  PayloadTooLargeError,
  PaymentRequiredError,
  RequestValidationError,
  ServiceUnavailableError,
  TooManyRequestsError,
  type HttpError,
} from '../../errors';
import { createApp, createLogger, silentLogger, type Logger } from '..';

function appThrowing(error: unknown, logger: Logger = silentLogger()) {
  return createApp({
    logger,
    routes: (app) => {
      app.get('/boom', () => {
        throw error;
      });
      app.post('/echo', (req, res) => {
        res.json({ body: req.body ?? null });
      });
      app.get('/async-boom', async () => {
        await Promise.resolve();
        throw error;
      });
    },
  });
}

function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ service: 'test', destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('errorHandler', () => {
  it.each<[HttpError, number, object]>([
    [
      new BadRequestError('Ticket is already reserved'),
      400,
      { errors: [{ message: 'Ticket is already reserved' }] },
    ],
    [
      new RequestValidationError([{ message: 'Title is required', field: 'title' }]),
      400,
      { errors: [{ message: 'Title is required', field: 'title' }] },
    ],
    [new NotAuthorizedError(), 401, { errors: [{ message: 'Not authorized' }] }],
    [new PaymentRequiredError(), 402, { errors: [{ message: 'Your card was declined' }] }],
    [new NotFoundError(), 404, { errors: [{ message: 'Not found' }] }],
    [new PayloadTooLargeError(), 413, { errors: [{ message: 'Request body is too large' }] }],
    [new TooManyRequestsError(), 429, { errors: [{ message: 'Too many attempts, try again later' }] }],
  ])('returns %p with its status and the contract body', async (error, status, body) => {
    const res = await request(appThrowing(error)).get('/boom');

    expect(res.status).toBe(status);
    expect(res.body).toEqual(body);
  });

  it('returns errors thrown by async handlers in the same shape', async () => {
    const res = await request(appThrowing(new NotFoundError())).get('/async-boom');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('sets Retry-After on a 429 that knows when to retry', async () => {
    const res = await request(appThrowing(new TooManyRequestsError(undefined, 90))).get('/boom');

    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('90');
  });

  it('sets Retry-After on a 503 that knows when to retry', async () => {
    const res = await request(appThrowing(new ServiceUnavailableError(undefined, 1.2))).get('/boom');

    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.body).toEqual({ errors: [{ message: 'The service is busy, try again shortly' }] });
  });

  it('returns 500 with a generic message and no details for an unexpected error', async () => {
    const res = await request(appThrowing(new Error('connection to db-secret-host failed'))).get('/boom');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(res.text).not.toContain('db-secret-host');
  });

  it('sets X-Error-Id on a 500 and logs the error under that id', async () => {
    const { logger, lines } = captureLogger();

    const res = await request(appThrowing(new Error('kaboom'), logger)).get('/boom');

    const errorId = res.headers['x-error-id'];
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
    const logged = lines().find((line) => line.msg === 'unhandled error');
    expect(logged).toMatchObject({ level: 'error', errorId, service: 'test' });
    expect(JSON.stringify(logged)).toContain('kaboom');
  });

  it('returns 500 when something that is not an Error is thrown', async () => {
    const res = await request(appThrowing('a string')).get('/boom');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
  });

  it('returns 400 for a malformed JSON body', async () => {
    const res = await request(appThrowing(null))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"title": ');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
  });

  it('returns 400 for a JSON body that is a bare string', async () => {
    const res = await request(appThrowing(null))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('"just a string"');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
  });

  it('returns 413 when the body is larger than 100 kB', async () => {
    const res = await request(appThrowing(null))
      .post('/echo')
      .send({ title: 'x'.repeat(101 * 1024) });

    expect(res.status).toBe(413);
    expect(res.body).toEqual({ errors: [{ message: 'Request body is too large' }] });
  });

  it('accepts a body just under 100 kB', async () => {
    const res = await request(appThrowing(null))
      .post('/echo')
      .send({ title: 'x'.repeat(99 * 1024) });

    expect(res.status).toBe(200);
  });

  it('returns 415 for a body that is not JSON', async () => {
    const res = await request(appThrowing(null))
      .post('/echo')
      .set('Content-Type', 'text/plain')
      .send('title=x');

    expect(res.status).toBe(415);
    expect(res.body).toEqual({ errors: [{ message: 'Content-Type must be application/json' }] });
  });

  it('returns 415 for a JSON body in an unsupported charset', async () => {
    const res = await request(appThrowing(null))
      .post('/echo')
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{}');

    expect(res.status).toBe(415);
    expect(res.body.errors).toHaveLength(1);
  });

  it('accepts a POST without a body', async () => {
    const res = await request(appThrowing(null)).post('/echo');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: null });
  });

  it('returns a framework 4xx with a generic message', async () => {
    const error = Object.assign(new Error('internal detail'), { status: 400, expose: true });

    const res = await request(appThrowing(error)).get('/boom');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Bad Request' }] });
  });

  it('delegates to express when the response has already started', async () => {
    const app = createApp({
      logger: silentLogger(),
      routes: (a) => {
        a.get('/partial', (_req, res, next) => {
          res.status(200).write('partial');
          next(new Error('late failure'));
        });
      },
    });

    // Express' final handler destroys the socket: the client sees a broken response, not a second one.
    await expect(request(app).get('/partial')).rejects.toThrow();
  });
});

describe('notFoundHandler', () => {
  it('returns 404 in the error shape for an unknown route', async () => {
    const res = await request(appThrowing(null)).get('/api/nope');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not found' }] });
  });

  it('returns 404 for a known path with an unknown method', async () => {
    const res = await request(appThrowing(null)).delete('/echo');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not found' }] });
  });
});
