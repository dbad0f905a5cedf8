import {
  DECLINED_MESSAGE,
  GENERIC_MESSAGE,
  buildForwardHeaders,
  parseErrors,
  safeNextPath,
  splitErrors,
  toResult,
} from '../api-core';

function headersOf(values: Record<string, string>) {
  return new Headers(values);
}

describe('parseErrors', () => {
  it('keeps the messages and fields of the API error shape', () => {
    const body = {
      errors: [
        { message: 'Email in use', field: 'email' },
        { message: 'Too short', field: 'password' },
      ],
    };
    expect(parseErrors(400, body)).toEqual([
      { message: 'Email in use', field: 'email' },
      { message: 'Too short', field: 'password' },
    ]);
  });

  it('shows "Your card was declined" for a 402, whatever the body says', () => {
    expect(parseErrors(402, { errors: [{ message: 'card_declined: generic_decline' }] })).toEqual([
      { message: DECLINED_MESSAGE },
    ]);
    expect(parseErrors(402, undefined)).toEqual([{ message: DECLINED_MESSAGE }]);
  });

  it('falls back to a generic message when a 502 comes back as HTML from a proxy', () => {
    expect(parseErrors(502, '<html>Bad gateway</html>')).toEqual([{ message: GENERIC_MESSAGE }]);
  });

  it('drops malformed entries and falls back when none are left', () => {
    expect(parseErrors(400, { errors: [{ msg: 'x' }, 42] })).toEqual([{ message: GENERIC_MESSAGE }]);
  });

  it('names the rate limit on 429 without a body', () => {
    expect(parseErrors(429, undefined)[0].message).toMatch(/Too many attempts/);
  });
});

describe('toResult', () => {
  it('returns the parsed JSON of a 2xx response', async () => {
    const result = await toResult<{ id: string }>(new Response(JSON.stringify({ id: 'a' }), { status: 201 }));
    expect(result).toEqual({ ok: true, status: 201, data: { id: 'a' } });
  });

  it('returns the errors of a 4xx response', async () => {
    const body = JSON.stringify({ errors: [{ message: 'Invalid credentials' }] });
    const result = await toResult(new Response(body, { status: 400 }));
    expect(result).toEqual({ ok: false, status: 400, errors: [{ message: 'Invalid credentials' }] });
  });

  it('accepts an empty 204 body', async () => {
    const result = await toResult(new Response(null, { status: 204 }));
    expect(result).toEqual({ ok: true, status: 204, data: undefined });
  });
});

describe('buildForwardHeaders', () => {
  it('forwards the cookie untouched', () => {
    const out = buildForwardHeaders(
      headersOf({ cookie: 'session=eyJqd3QiOiJ4In0=; other=1', host: 'ticketing.dev' }),
    );
    expect(out.cookie).toBe('session=eyJqd3QiOiJ4In0=; other=1');
  });

  it('sends no cookie header when the browser sent none', () => {
    expect(buildForwardHeaders(headersOf({ host: 'localhost:3000' }))).not.toHaveProperty('cookie');
  });

  it('passes on https from the first proxy hop and the original host', () => {
    const out = buildForwardHeaders(
      headersOf({
        'x-forwarded-proto': 'https, http',
        'x-forwarded-host': 'ticketing.example',
        host: 'client:3006',
      }),
    );
    expect(out['x-forwarded-proto']).toBe('https');
    expect(out['x-forwarded-host']).toBe('ticketing.example');
  });

  it('defaults to http and the Host header when no proxy headers are present', () => {
    const out = buildForwardHeaders(headersOf({ host: 'localhost:3000' }));
    expect(out['x-forwarded-proto']).toBe('http');
    expect(out['x-forwarded-host']).toBe('localhost:3000');
  });

  it('never passes an unexpected protocol value through', () => {
    expect(buildForwardHeaders(headersOf({ 'x-forwarded-proto': 'gopher' }))['x-forwarded-proto']).toBe(
      'http',
    );
  });
});

describe('splitErrors', () => {
  it('puts errors naming a form field beside it and the rest at the top', () => {
    const split = splitErrors(
      [
        { message: 'Title is required', field: 'title' },
        { message: 'Cannot edit a reserved ticket' },
        { message: 'Unknown field', field: 'colour' },
      ],
      ['title', 'price'],
    );
    expect(split).toEqual({
      fields: { title: ['Title is required'] },
      form: ['Cannot edit a reserved ticket', 'Unknown field'],
    });
  });
});

describe('safeNextPath', () => {
  it.each([
    ['/orders', '/orders'],
    ['/tickets/abc?x=1#top', '/tickets/abc?x=1#top'],
    [['/orders', '/other'], '/orders'],
  ])('keeps the same-origin path %p', (input, expected) => {
    expect(safeNextPath(input)).toBe(expected);
  });

  it.each([
    [undefined],
    [''],
    ['orders'],
    ['https://evil.example'],
    ['//evil.example'],
    ['/\\evil.example'],
    ['/\t/evil.example'],
    ['/\n/evil.example'],
    ['/\r\n/evil.example'],
    ['\t//evil.example'],
    ['/..//evil.example'],
    ['/a/../..//evil.example'],
    ['/\u0000'],
    ['/\u0085/evil.example'],
    ['javascript:alert(1)'],
  ])('sends %p home instead', (input) => {
    expect(safeNextPath(input)).toBe('/');
  });
});
