import request from 'supertest';
import { createApp, idParam, silentLogger } from '..';

function buildApp() {
  return createApp({
    logger: silentLogger(),
    routes: (app) => {
      app.get('/things/:id', idParam('Thing not found'), (req, res) => {
        res.json({ id: req.params.id });
      });
      app.get('/others/:id', idParam(), (req, res) => {
        res.json({ id: req.params.id });
      });
    },
  });
}

describe('idParam', () => {
  it('passes a UUID on to the route', async () => {
    const id = crypto.randomUUID();

    const res = await request(buildApp()).get(`/things/${id}`);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id });
  });

  it('answers 404 with the route’s message for an id that is not a UUID', async () => {
    const res = await request(buildApp()).get("/things/1'%20or%20'1'='1");

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Thing not found' }] });
  });

  it('answers 404 Not found when the route gives no message', async () => {
    const res = await request(buildApp()).get('/others/12345');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not found' }] });
  });
});
