import { sql } from 'drizzle-orm';
import { isInsideTransaction } from '../database';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
});

afterAll(() => db?.drop());

describe('isInsideTransaction', () => {
  it('is false outside any transaction', () => {
    expect(isInsideTransaction()).toBe(false);
  });

  it('is true in a transaction callback and in what it awaits, and false once it has committed', async () => {
    const seen: boolean[] = [];
    const nested = async () => {
      await db.db.execute(sql`select 1`);
      seen.push(isInsideTransaction());
    };

    await db.db.transaction(async (tx) => {
      seen.push(isInsideTransaction());
      await tx.execute(sql`select 1`);
      await nested();
    });
    seen.push(isInsideTransaction());

    expect(seen).toEqual([true, true, false]);
  });

  it('is false for work running beside a transaction, not inside it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const transaction = db.db.transaction(async () => {
      await held;
    });

    const beside = isInsideTransaction();
    release();
    await transaction;

    expect(beside).toBe(false);
  });
});
