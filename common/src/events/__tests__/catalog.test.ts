import fs from 'node:fs';
import path from 'node:path';
import { eventCatalog } from '../catalog';
import { validateEnvelope } from '../contract';
import { renderSchemas, schemasDir } from '../write-schemas';

const id = '3f1c1b9e-2d7a-4c55-9f0e-6a1f7e2b8c11';

describe('event catalog', () => {
  it('keeps the committed JSON Schemas identical to the code (run `npm run schemas` after a change)', () => {
    for (const [name, text] of Object.entries(renderSchemas())) {
      expect(fs.readFileSync(path.join(schemasDir, name), 'utf8')).toBe(text);
    }
  });

  it('covers every subject of the contract', () => {
    expect(Object.keys(eventCatalog).sort()).toEqual([
      'expiration.complete',
      'order.cancelled',
      'order.completed',
      'order.created',
      'payment.created',
      'ticket.created',
      'ticket.updated',
    ]);
  });

  it('accepts a valid ticket.updated payload with a null orderId', () => {
    const data = { id, version: 3, title: 'Concert', price: 19.99, userId: id, orderId: null };
    expect(eventCatalog['ticket.updated'].validate(data)).toEqual([]);
  });

  it.each([
    ['a price with 3 decimals', { price: 1.234 }],
    ['a price that rounds to 0 cents (1e-17)', { price: 1e-17 }],
    ['the smallest double as a price (5e-324)', { price: 5e-324 }],
    ['a price of 0.004', { price: 0.004 }],
    ['a price of -0', { price: -0 }],
    ['a price above the maximum', { price: 1_000_000.01 }],
    ['a negative version', { version: -1 }],
    ['an id that is not a UUID', { id: 'abc' }],
    ['an extra field', { extra: true }],
  ])('rejects %s', (_what, change) => {
    const data = { id, version: 0, title: 'Concert', price: 19.99, userId: id, ...change };
    expect(eventCatalog['ticket.created'].validate(data).length).toBeGreaterThan(0);
  });

  it.each([0.01, 0.49, 0.5, 1_000_000])('accepts the boundary price %p in order.created', (price) => {
    const data = {
      id,
      version: 0,
      status: 'created',
      userId: id,
      expiresAt: '2026-12-02T06:00:00.000Z',
      ticket: { id, price },
    };
    expect(eventCatalog['order.created'].validate(data)).toEqual([]);
  });

  it('rejects an envelope without an occurredAt', () => {
    expect(validateEnvelope({ id, subject: 'ticket.created', data: {} })).toEqual([
      "envelope must have required property 'occurredAt'",
    ]);
  });
});
