import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { adminQuery, testDatabaseName } from '../../testing';

const run = promisify(execFile);
const cli = path.join(__dirname, '..', 'migrate.ts');
const fixtureMigrations = path.join(__dirname, 'fixtures', 'migrations');
const serverUrl = process.env.TICKETING_TEST_PG_SERVER!;

/** Runs `ticketing-migrate` (its TypeScript source, as the built bin would run) with `env`. */
async function migrate(args: string[], env: Record<string, string | undefined>) {
  const { DATABASE_URL: _, ...inherited } = process.env;
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', cli, ...args], {
      env: { ...inherited, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function tablesOf(database: string): Promise<string[]> {
  const url = serverUrl.replace(/\/[^/]*$/, `/${database}`);
  const rows = await adminQuery(
    url,
    "select table_name from information_schema.tables where table_schema = 'public' order by 1",
  );
  return rows.map((r) => r.table_name as string);
}

describe('ticketing-migrate', () => {
  let database: string;
  let url: string;

  beforeEach(async () => {
    database = testDatabaseName();
    url = serverUrl.replace(/\/[^/]*$/, `/${database}`);
    await adminQuery(serverUrl, `create database ${database}`);
  });

  afterEach(async () => {
    await adminQuery(serverUrl, `drop database if exists ${database} with (force)`);
  });

  it("creates common's tables and the service's in the database DATABASE_URL names", async () => {
    const result = await migrate([fixtureMigrations], { DATABASE_URL: url });

    expect(result).toMatchObject({ code: 0, stdout: `migrated ${database}\n` });
    expect(await tablesOf(database)).toEqual(
      expect.arrayContaining(['outbox', 'inbox', 'dead_letters', 'widgets']),
    );
  });

  it('changes nothing and succeeds when run again', async () => {
    await migrate([fixtureMigrations], { DATABASE_URL: url });
    const before = await tablesOf(database);

    const again = await migrate([fixtureMigrations], { DATABASE_URL: url });

    expect(again.code).toBe(0);
    expect(await tablesOf(database)).toEqual(before);
  });

  it('exits 2 and names DATABASE_URL when it is not set', async () => {
    const result = await migrate([fixtureMigrations], {});

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/DATABASE_URL is required/);
    expect(await tablesOf(database)).toEqual([]);
  });
});
