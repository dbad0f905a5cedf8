import request from 'supertest';
import { createApp, encodeSessionCookie, requireAuth, signSession, silentLogger } from '..';

const JWT_KEY = 'test-jwt-key';
const USER = { id: '7f1d4a4e-9a34-4c1e-9d3b-2f0a8f2c1b11', email: 'test@test.com' };

const app = createApp({
  logger: silentLogger(),
  jwtKey: JWT_KEY,
  routes: (a) => {
    a.get('/api/users/currentuser', (req, res) => {
      res.json({ currentUser: req.currentUser ?? null });
    });
    a.get('/api/orders', requireAuth, (_req, res) => {
      res.json([]);
    });
    a.get('/api/boom', () => {
      throw new Error('boom');
    });
  },
});

const signedIn = `session=${encodeSessionCookie(signSession(USER, { jwtKey: JWT_KEY }))}`;

function expectApiHeaders(res: request.Response) {
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-powered-by']).toBeUndefined();
}

describe('API security headers', () => {
  it("marks the signed-in user's answer nosniff and no-store, without announcing Express", async () => {
    const res = await request(app).get('/api/users/currentuser').set('Cookie', signedIn);

    expect(res.body.currentUser).toMatchObject({ id: USER.id });
    expectApiHeaders(res);
  });

  it('sends them on a 401 for a protected route', async () => {
    const res = await request(app).get('/api/orders');

    expect(res.status).toBe(401);
    expectApiHeaders(res);
  });

  it('sends them on a 400 for malformed JSON', async () => {
    const res = await request(app)
      .post('/api/users/currentuser')
      .set('Content-Type', 'application/json')
      .send('{');

    expect(res.status).toBe(400);
    expectApiHeaders(res);
  });

  it('sends them on a 404 and a 500', async () => {
    const notFound = await request(app).get('/api/nothing-here');
    const failed = await request(app).get('/api/boom');

    expect([notFound.status, failed.status]).toEqual([404, 500]);
    expectApiHeaders(notFound);
    expectApiHeaders(failed);
  });
});
