import jwt from 'jsonwebtoken';
import request from 'supertest';
import {
  clearSessionCookie,
  createApp,
  encodeSessionCookie,
  requireAuth,
  setSessionCookie,
  signSession,
  silentLogger,
  verifySession,
} from '..';

const JWT_KEY = 'test-jwt-key';
const USER = { id: '7f1d4a4e-9a34-4c1e-9d3b-2f0a8f2c1b11', email: 'test@test.com' };

function sessionCookie(token: string): string {
  return `session=${encodeSessionCookie(token)}`;
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function buildApp() {
  return createApp({
    logger: silentLogger(),
    jwtKey: JWT_KEY,
    routes: (app) => {
      app.get('/api/users/currentuser', (req, res) => {
        res.json({ currentUser: req.currentUser ?? null });
      });
      app.post('/api/users/signin', (req, res) => {
        setSessionCookie(req, res, signSession(USER, { jwtKey: JWT_KEY }));
        res.json(USER);
      });
      app.post('/api/users/signout', (req, res) => {
        clearSessionCookie(req, res);
        res.json({});
      });
      app.get('/private', requireAuth, (_req, res) => {
        res.json({ ok: true });
      });
    },
  });
}

describe('signSession / verifySession', () => {
  it('signs an HS256 token that verifies to the user with iat and exp', () => {
    const token = signSession(USER, { jwtKey: JWT_KEY });

    const payload = verifySession(token, JWT_KEY);

    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('HS256');
    expect(payload).toMatchObject(USER);
    expect(payload!.exp - payload!.iat).toBe(86_400);
  });

  it('honours expiresInSeconds', () => {
    const payload = verifySession(signSession(USER, { jwtKey: JWT_KEY, expiresInSeconds: 60 }), JWT_KEY);

    expect(payload!.exp - payload!.iat).toBe(60);
  });

  it('returns null for a token signed with another key', () => {
    expect(verifySession(signSession(USER, { jwtKey: 'other-key' }), JWT_KEY)).toBeNull();
  });

  it('returns null for a token without id and email', () => {
    expect(verifySession(jwt.sign({ sub: 'x' }, JWT_KEY, { expiresIn: 60 }), JWT_KEY)).toBeNull();
  });

  it('returns null instead of throwing for garbage', () => {
    expect(verifySession('not.a.jwt', JWT_KEY)).toBeNull();
  });
});

describe('currentUser', () => {
  it('sets the user from a valid session cookie', async () => {
    const token = signSession(USER, { jwtKey: JWT_KEY });

    const res = await request(buildApp()).get('/api/users/currentuser').set('Cookie', sessionCookie(token));

    expect(res.status).toBe(200);
    expect(res.body.currentUser).toEqual({ ...USER, iat: expect.any(Number), exp: expect.any(Number) });
  });

  it('returns currentUser null without a cookie', async () => {
    const res = await request(buildApp()).get('/api/users/currentuser');

    expect(res.body).toEqual({ currentUser: null });
  });

  it('treats an expired token as signed out', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign({ ...USER, iat: now - 120, exp: now - 60 }, JWT_KEY, { algorithm: 'HS256' });

    const res = await request(buildApp()).get('/api/users/currentuser').set('Cookie', sessionCookie(token));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('treats a session as signed out once it expires, though it was valid on an earlier request', async () => {
    const app = buildApp();
    const cookie = sessionCookie(signSession(USER, { jwtKey: JWT_KEY, expiresInSeconds: 60 }));
    const first = await request(app).get('/api/users/currentuser').set('Cookie', cookie);
    expect(first.body.currentUser).toMatchObject(USER);

    const later = Date.now() + 61_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ currentUser: null });
    } finally {
      clock.mockRestore();
    }
  });

  it('treats a tampered token as signed out', async () => {
    const [header, , signature] = signSession(USER, { jwtKey: JWT_KEY }).split('.');
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      header,
      base64url({ id: 'someone-else', email: USER.email, iat: now, exp: now + 600 }),
      signature,
    ];

    const res = await request(buildApp())
      .get('/api/users/currentuser')
      .set('Cookie', sessionCookie(forged.join('.')));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('treats a validly signed token whose id is not a UUID as signed out', async () => {
    const token = jwt.sign({ id: 'not-a-uuid', email: USER.email }, JWT_KEY, {
      algorithm: 'HS256',
      expiresIn: 600,
    });

    const res = await request(buildApp()).get('/api/users/currentuser').set('Cookie', sessionCookie(token));

    expect(res.body).toEqual({ currentUser: null });
  });

  it('treats an alg none token as signed out', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...USER, iat: now, exp: now + 600 })}.`;

    const res = await request(buildApp()).get('/api/users/currentuser').set('Cookie', sessionCookie(token));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('treats an HS512 token as signed out', async () => {
    const token = jwt.sign(USER, JWT_KEY, { algorithm: 'HS512', expiresIn: 600 });

    const res = await request(buildApp()).get('/api/users/currentuser').set('Cookie', sessionCookie(token));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it.each([
    ['garbage base64', 'session=%%%not-base64%%%'],
    ['base64 of something that is not JSON', `session=${Buffer.from('hello').toString('base64')}`],
    ['JSON without a jwt', `session=${Buffer.from('{"token":1}').toString('base64')}`],
    ['a broken Cookie header', 'session="unterminated; ;;=='],
  ])('treats %s as signed out', async (_label, cookie) => {
    const res = await request(buildApp()).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });
});

describe('requireAuth', () => {
  it('returns 401 when signed out', async () => {
    const res = await request(buildApp()).get('/private');

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  });

  it('lets a signed-in user through', async () => {
    const token = signSession(USER, { jwtKey: JWT_KEY });

    const res = await request(buildApp()).get('/private').set('Cookie', sessionCookie(token));

    expect(res.status).toBe(200);
  });
});

describe('session cookie', () => {
  it('is base64 of {"jwt": token}, HttpOnly, SameSite=Lax, Path=/ with Max-Age of the token lifetime', async () => {
    const res = await request(buildApp()).post('/api/users/signin');

    const [cookie] = res.get('Set-Cookie') ?? [];
    const value = /^session=([^;]+)/.exec(cookie)![1];
    const { jwt: token } = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { jwt: string };
    expect(verifySession(token, JWT_KEY)).toMatchObject(USER);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=(86400|86399)/);
  });

  it('is Secure when the request came over HTTPS (X-Forwarded-Proto: https)', async () => {
    const res = await request(buildApp()).post('/api/users/signin').set('X-Forwarded-Proto', 'https');

    expect(res.get('Set-Cookie')?.[0]).toMatch(/; Secure/);
  });

  it('is not Secure over plain HTTP', async () => {
    const res = await request(buildApp()).post('/api/users/signin');

    expect(res.get('Set-Cookie')?.[0]).not.toMatch(/Secure/);
  });

  it('signs the user in for the following requests', async () => {
    const agent = request.agent(buildApp());

    await agent.post('/api/users/signin');
    const res = await agent.get('/api/users/currentuser');

    expect(res.body.currentUser).toMatchObject(USER);
  });

  it('is cleared on sign-out', async () => {
    const res = await request(buildApp()).post('/api/users/signout');

    const [cookie] = res.get('Set-Cookie') ?? [];
    expect(cookie).toMatch(/^session=;/);
    expect(cookie).toMatch(/; Max-Age=0/);
    expect(cookie).toMatch(/; HttpOnly/);
  });
});
