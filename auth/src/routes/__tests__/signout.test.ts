import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import request from 'supertest';
import { sessionCookieOf, sessionSetCookie, signUp, testApp, uniqueEmail } from '../../__tests__/helpers';

let db: TestDatabase;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  db = await createTestDatabase();
  app = testApp(db);
});
afterAll(() => db.drop());

describe('POST /api/users/signout', () => {
  it('returns 200 {} and clears the session cookie', async () => {
    const signedUp = await signUp(app, uniqueEmail());

    const res = await request(app).post('/api/users/signout').set('Cookie', sessionCookieOf(signedUp));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
    const header = sessionSetCookie(res)!;
    expect(header).toMatch(/^session=;/);
    expect(header).toMatch(/Max-Age=0/);
    expect(header).toMatch(/Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
    expect(header).toMatch(/HttpOnly/);
  });

  it('returns 200 {} when nobody is signed in', async () => {
    const res = await request(app).post('/api/users/signout');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({});
  });
});
