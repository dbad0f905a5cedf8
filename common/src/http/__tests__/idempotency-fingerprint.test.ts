import { canonicalJson, fingerprintOf } from '../idempotency';

describe('the fingerprint of an Idempotency-Key request body', () => {
  it('is the same whatever the order of the fields, at every depth', () => {
    expect(fingerprintOf({ a: 1, b: { c: [1, { d: 2, e: 3 }], f: null } })).toBe(
      fingerprintOf({ b: { f: null, c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });

  it('differs when a value differs', () => {
    expect(fingerprintOf({ title: 'Concert', price: 10 })).not.toBe(
      fingerprintOf({ title: 'Concert', price: 10.01 }),
    );
  });

  it('differs when the order of array items differs', () => {
    expect(fingerprintOf([1, 2])).not.toBe(fingerprintOf([2, 1]));
  });

  it('is the sha-256 of JSON with sorted keys and no spaces', () => {
    expect(canonicalJson({ b: 'x', a: [true, null] })).toBe('{"a":[true,null],"b":"x"}');
    expect(fingerprintOf({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});
