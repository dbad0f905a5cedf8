/// <reference types="jest" />

/** One request a test sends: method and path, optionally a session cookie and a body. */
export interface TestRequestSpec {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  /** A Cookie header; none when null or omitted. */
  cookie?: string | null;
  /** A string is sent as is, with Content-Type `type` (application/json unless given); anything else as JSON. */
  body?: unknown;
  type?: string;
}

/** The response fields these helpers read. */
export interface TestResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- supertest's body is `any`
  body: any;
}

/** The part of a supertest request these helpers use. */
export interface TestRequest extends PromiseLike<TestResponse> {
  set(field: string, value: string): TestRequest;
  send(body: string | object): TestRequest;
}

/** The part of supertest's `request(app)` these helpers use. */
export type TestAgent = Record<TestRequestSpec['method'], (path: string) => TestRequest>;

/** Sends `spec` through `agent` (supertest's `request(app)`), e.g. one of a route's bad inputs. */
export function sendRequest(agent: TestAgent, spec: TestRequestSpec): PromiseLike<TestResponse> {
  let req = agent[spec.method](spec.path);
  if (spec.cookie) req = req.set('Cookie', spec.cookie);
  if (typeof spec.body === 'string')
    req = req.set('Content-Type', spec.type ?? 'application/json').send(spec.body);
  else if (spec.body !== undefined) req = req.send(spec.body as object);
  return req;
}

/**
 * Expects `res` to be an error response with `status` in the one error shape:
 * `{ errors: [{ message, field? }, ...] }`, nothing else in the body or in an entry.
 */
export function expectErrorResponse(res: TestResponse, status: number): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({
    errors: expect.arrayContaining([expect.objectContaining({ message: expect.any(String) })]),
  });
  for (const entry of res.body.errors as object[])
    expect(Object.keys(entry).every((k) => k === 'message' || k === 'field')).toBe(true);
}
