import { createTestDatabase, type TestDatabase } from '@ticketing/common/testing';
import { outsideTransactionsOnly, ProviderCallInTransactionError } from '../outside-transactions-only';
import { SandboxProvider } from '../sandbox-provider';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(() => db?.drop());

const charge = {
  amountCents: 1999,
  currency: 'usd' as const,
  token: 'tok_visa',
  idempotencyKey: 'order_1_attempt_1',
  description: 'Ticketing order',
};

describe('outsideTransactionsOnly', () => {
  it('refuses a charge inside a database transaction, before the provider is asked', async () => {
    const sandbox = new SandboxProvider();
    const provider = outsideTransactionsOnly(sandbox);

    const inside = db.db.transaction(() => provider.charge(charge));

    await expect(inside).rejects.toThrow(ProviderCallInTransactionError);
    expect(sandbox.charges).toEqual([]);
  });

  it('refuses a refund inside a database transaction, however deep the call', async () => {
    const sandbox = new SandboxProvider();
    const provider = outsideTransactionsOnly(sandbox);
    const charged = await provider.charge(charge);
    const chargeId = charged.status === 'succeeded' ? charged.chargeId : 'not charged';
    const refundLater = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return provider.refund({ chargeId, amountCents: 1999, idempotencyKey: 'refund_1' });
    };

    const inside = db.db.transaction(async () => refundLater());

    await expect(inside).rejects.toThrow(/refund called inside a database transaction/);
    expect(sandbox.refunds).toEqual([]);
  });

  it('passes calls outside transactions through', async () => {
    const sandbox = new SandboxProvider();
    const provider = outsideTransactionsOnly(sandbox);

    const result = await provider.charge(charge);

    expect(result).toEqual(sandbox.charges[0]!.result);
  });
});
