import crypto from 'node:crypto';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { OpenApiResponseChecker, checkSupertestResponses, type SupertestTestClass } from '../openapi';

const checker = OpenApiResponseChecker.fromFile(path.join(__dirname, '../../../../docs/openapi.yaml'));

const json = { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'req-1' };
const ticket = {
  id: crypto.randomUUID(),
  title: 'Concert',
  price: 19.99,
  userId: crypto.randomUUID(),
  version: 0,
  orderId: null,
};

describe('OpenApiResponseChecker', () => {
  it('accepts a response the document allows', () => {
    const problems = checker.check('POST', 'http://127.0.0.1:1234/api/tickets', {
      status: 201,
      headers: json,
      body: ticket,
    });

    expect(problems).toEqual([]);
  });

  it('rejects a body without a required field, naming it', () => {
    const { version: _version, ...withoutVersion } = ticket;

    const problems = checker.check('GET', `/api/tickets/${ticket.id}`, {
      status: 200,
      headers: json,
      body: withoutVersion,
    });

    expect(problems).toEqual([
      expect.stringMatching(/GET \/api\/tickets\/.* → 200: .*must have required property 'version'/),
    ]);
  });

  it('rejects a body with a field the document does not know', () => {
    const problems = checker.check('GET', '/api/tickets', {
      status: 200,
      headers: json,
      body: [{ ...ticket, priceCents: 1999 }],
    });

    expect(problems).toEqual([expect.stringContaining('must NOT have additional properties')]);
  });

  it('rejects a status the operation does not list, listing the allowed ones', () => {
    const problems = checker.check('GET', '/api/tickets', {
      status: 201,
      headers: json,
      body: [],
    });

    expect(problems).toEqual([
      expect.stringContaining(
        'does not allow status 201 for GET /api/tickets (it allows 200, 400, 500, 502, 503, 504)',
      ),
    ]);
  });

  it('rejects an error response that is not in the error shape', () => {
    const problems = checker.check('POST', '/api/orders', {
      status: 400,
      headers: json,
      body: { error: 'ticketId must be a valid id' },
    });

    expect(problems).toEqual([expect.stringContaining("must have required property 'errors'")]);
  });

  it('rejects a response without a header the document requires', () => {
    const problems = checker.check('POST', '/api/users/signup', {
      status: 201,
      headers: json,
      body: { id: crypto.randomUUID(), email: 'a@example.com' },
    });

    expect(problems).toEqual([expect.stringContaining('the required header Set-Cookie is missing')]);
  });

  it('rejects a body on a response the document describes without one', () => {
    const problems = checker.check('DELETE', `/api/orders/${crypto.randomUUID()}`, {
      status: 204,
      headers: { 'x-request-id': 'req-1' },
      body: {},
      text: '{}',
    });

    expect(problems).toEqual([expect.stringContaining('no body is documented')]);
  });

  it('accepts a 404 in the error shape for an /api route the document does not know', () => {
    const problems = checker.check('GET', '/api/nothing-here', {
      status: 404,
      headers: json,
      body: { errors: [{ message: 'Not found' }] },
    });

    expect(problems).toEqual([]);
  });

  it('rejects any other answer to an /api route the document does not know', () => {
    const problems = checker.check('PATCH', '/api/tickets', { status: 200, headers: json, body: {} });

    expect(problems).toEqual([expect.stringContaining('has no operation for this request')]);
  });

  it('leaves requests outside /api (probes, metrics) alone', () => {
    const problems = checker.check('GET', '/healthz', { status: 200, headers: json, body: { status: 'ok' } });

    expect(problems).toEqual([]);
  });
});

describe('checkSupertestResponses', () => {
  const app = express();
  app.get('/api/tickets/:id', (_req, res) => {
    res.setHeader('x-request-id', 'req-1');
    res.json({ ...ticket, price: '19.99' });
  });
  let undo: () => void;
  beforeAll(() => {
    undo = checkSupertestResponses(require('supertest/lib/test') as SupertestTestClass, checker);
  });
  afterAll(() => undo());

  it('fails a request whose response breaks the document, saying how', async () => {
    await expect(request(app).get(`/api/tickets/${ticket.id}`)).rejects.toThrow(
      /The response breaks the API document:\n- GET \/api\/tickets\/.* → 200: the body does not match docs\/openapi.yaml: \/price must be number/,
    );
  });

  it('fails it when the test also sets .expect()s', async () => {
    await expect(request(app).get(`/api/tickets/${ticket.id}`).expect(200)).rejects.toThrow(
      'The response breaks the API document',
    );
  });
});
