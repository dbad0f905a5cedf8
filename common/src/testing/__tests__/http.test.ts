import express from 'express';
import request from 'supertest';
import { expectErrorResponse, sendRequest } from '../http';

const app = express();
app.use(express.text({ type: '*/*' }));
app.all('/echo', (req, res) => {
  res.status(400).json({
    errors: [
      { message: `${req.method} ${req.get('content-type') ?? '-'} ${req.get('cookie') ?? '-'} ${req.body}` },
    ],
  });
});
app.get('/extra', (_req, res) => {
  res.status(400).json({ errors: [{ message: 'bad', code: 'E1' }] });
});

describe('sendRequest', () => {
  it('sends a string body as is, as JSON unless a type is given, with the cookie', async () => {
    const res = await sendRequest(request(app), {
      method: 'put',
      path: '/echo',
      body: '{oops',
      cookie: 'session=x',
    });

    expect(res.body.errors[0].message).toBe('PUT application/json session=x {oops');
  });

  it('sends a string body with the given type and no cookie when none is given', async () => {
    const res = await sendRequest(request(app), {
      method: 'post',
      path: '/echo',
      body: 'hi',
      type: 'text/plain',
    });

    expect(res.body.errors[0].message).toBe('POST text/plain - hi');
  });

  it('sends any other body as JSON', async () => {
    const res = await sendRequest(request(app), { method: 'post', path: '/echo', body: { a: 1 } });

    expect(res.body.errors[0].message).toBe('POST application/json - {"a":1}');
  });
});

describe('expectErrorResponse', () => {
  it('passes for the status and the error shape', async () => {
    const res = await sendRequest(request(app), { method: 'get', path: '/echo' });

    expectErrorResponse(res, 400);
  });

  it('fails for another status', async () => {
    const res = await sendRequest(request(app), { method: 'get', path: '/echo' });

    expect(() => expectErrorResponse(res, 404)).toThrow();
  });

  it('fails when an entry has a field other than message and field', async () => {
    const res = await sendRequest(request(app), { method: 'get', path: '/extra' });

    expect(() => expectErrorResponse(res, 400)).toThrow();
  });
});
