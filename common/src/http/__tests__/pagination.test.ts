import crypto from 'node:crypto';
import { parseLinks } from '../../api/links';
import { pageCursors, pageRequest, type PageCursor } from '../pagination';

const cursors = pageCursors('a-secret-of-at-least-32-bytes-long!', 'tickets');
const cursor: PageCursor = {
  direction: 'before',
  position: { at: '2026-12-02T12:55:33.123456Z', id: crypto.randomUUID() },
};

describe('page cursors', () => {
  it('give back exactly the position they were made from, microseconds included', () => {
    expect(cursors.decode(cursors.encode(cursor))).toEqual(cursor);
  });

  it('are refused by another list', () => {
    const orders = pageCursors('a-secret-of-at-least-32-bytes-long!', 'orders');

    expect(orders.decode(cursors.encode(cursor))).toBeUndefined();
  });

  it('are refused under another key', () => {
    const rotated = pageCursors('another-secret-of-at-least-32-bytes', 'tickets');

    expect(rotated.decode(cursors.encode(cursor))).toBeUndefined();
  });
});

describe('pageRequest', () => {
  it('defaults to the first page of 24', () => {
    expect(pageRequest({}, cursors)).toEqual({ limit: 24 });
  });

  it('reports a bad limit and a bad cursor together, each on its field', () => {
    expect(() => pageRequest({ limit: '0', cursor: 'x' }, cursors)).toThrow(
      expect.objectContaining({
        errors: [
          { message: expect.any(String), field: 'limit' },
          { message: expect.any(String), field: 'cursor' },
        ],
      }),
    );
  });
});

describe('parseLinks', () => {
  it('reads each relation of an RFC 8288 header', () => {
    const header = '</api/tickets?cursor=a>; rel="prev", </api/tickets?limit=2&cursor=b>; rel=next';

    expect(parseLinks(header)).toEqual({
      prev: '/api/tickets?cursor=a',
      next: '/api/tickets?limit=2&cursor=b',
    });
  });

  it('gives nothing for a missing header', () => {
    expect(parseLinks(undefined)).toEqual({});
  });
});
