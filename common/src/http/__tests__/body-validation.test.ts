import { body } from 'express-validator';
import request from 'supertest';
import { createApp, rejectUnknownFields, silentLogger, validateRequest } from '..';

function buildApp() {
  return createApp({
    logger: silentLogger(),
    routes: (app) => {
      app.post(
        '/api/tickets',
        rejectUnknownFields(['title', 'price'], { ignore: ['userId', 'version', 'orderId', 'id'] }),
        body('title')
          .isString()
          .withMessage('Title is required')
          .bail()
          .trim()
          .notEmpty()
          .withMessage('Title is required'),
        body('price').isFloat({ gt: 0 }).withMessage('Price must be greater than 0'),
        validateRequest,
        (req, res) => {
          res.status(201).json({ received: req.body });
        },
      );
    },
  });
}

describe('rejectUnknownFields', () => {
  it('returns 400 with the field for an unknown field', async () => {
    const res = await request(buildApp())
      .post('/api/tickets')
      .send({ title: 'concert', price: 10, colour: 'red' });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Unknown field', field: 'colour' }] });
  });

  it('returns one entry per unknown field', async () => {
    const res = await request(buildApp())
      .post('/api/tickets')
      .send({ title: 'concert', price: 10, a: 1, b: 2 });

    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { message: 'Unknown field', field: 'a' },
      { message: 'Unknown field', field: 'b' },
    ]);
  });

  it('drops ignored fields silently', async () => {
    const res = await request(buildApp())
      .post('/api/tickets')
      .send({ title: 'concert', price: 10, userId: 'me', version: 7, orderId: 'o', id: 'x' });

    expect(res.status).toBe(201);
    expect(res.body.received).toEqual({ title: 'concert', price: 10 });
  });

  it('returns 400 when the body is a JSON array', async () => {
    const res = await request(buildApp())
      .post('/api/tickets')
      .send([{ title: 'concert', price: 10 }]);

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Request body must be a JSON object' }] });
  });

  it('returns 400 for a __proto__ key instead of merging it', async () => {
    const res = await request(buildApp())
      .post('/api/tickets')
      .set('Content-Type', 'application/json')
      .send('{"title":"concert","price":10,"__proto__":{"admin":true}}');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Unknown field', field: '__proto__' }] });
  });
});

describe('validateRequest', () => {
  it('returns one entry per bad field with its first message', async () => {
    const res = await request(buildApp()).post('/api/tickets').send({ title: '   ', price: -5 });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [
        { message: 'Title is required', field: 'title' },
        { message: 'Price must be greater than 0', field: 'price' },
      ],
    });
  });

  it('reports every missing field when there is no body', async () => {
    const res = await request(buildApp()).post('/api/tickets');

    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['title', 'price']);
  });

  it('passes a valid body to the handler', async () => {
    const res = await request(buildApp()).post('/api/tickets').send({ title: ' concert ', price: 19.99 });

    expect(res.status).toBe(201);
    expect(res.body.received).toEqual({ title: 'concert', price: 19.99 });
  });
});
