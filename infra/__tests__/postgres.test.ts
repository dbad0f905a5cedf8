import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDatabase } from '@ticketing/common';
import { startLocalPostgres, type LocalPostgres } from '@ticketing/common/local';
import { containerEnv, type EnvSource } from '../src/env';
import { find, findGenerated, render, type Manifest } from '../src/kustomize';
import { services, type ServiceName } from '../src/paths';

// The dev overlay generates the credentials, so their values can be read; prod uses the same base.
const manifests = render('overlays/dev');
const superuserPassword = 'superuser-password-of-this-test';

/** A variable's value as the pod would see it: literal, or decoded from the rendered Secret. */
function valueOf(source: EnvSource | undefined): string {
  if (source?.from === 'value') return source.value;
  if (source?.from === 'secret') {
    const secret = findGenerated(manifests, 'Secret', source.name.replace(/-[a-z0-9]{10}$/, ''));
    const data = secret?.data?.[source.key];
    if (data === undefined) throw new Error(`Secret ${source.name} has no key ${source.key}`);
    return Buffer.from(data, 'base64').toString('utf8');
  }
  throw new Error(`cannot resolve ${JSON.stringify(source)}`);
}

/** Kubernetes' $(VAR) expansion of one env value, from the variables before it. */
const expand = (value: string, env: Map<string, EnvSource>) =>
  value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name: string) => valueOf(env.get(name)));

/** The init script the database pods mount, as rendered. */
function initScript(): string {
  const cm = findGenerated(manifests, 'ConfigMap', 'postgres-init') as Manifest;
  return cm.data['init-service-role.sh'];
}

/** What the service's pod connects with: its DATABASE_URL pointed at the test server, and its PGPASSWORD. */
function serviceConnection(svc: ServiceName, port: number): { url: string; password: string } {
  const env = containerEnv(manifests, find(manifests, 'Deployment', svc));
  const url = new URL(expand(valueOf(env.get('DATABASE_URL')), env));
  url.host = `127.0.0.1:${port}`;
  return { url: url.toString(), password: valueOf(env.get('PGPASSWORD')) };
}

/** Connects as `url` with PGPASSWORD set, as the service process would, and runs `sql`. */
async function queryWithPgPassword(url: string, password: string, sql: string) {
  const saved = process.env.PGPASSWORD;
  process.env.PGPASSWORD = password;
  const database = createDatabase(url, { max: 1 });
  try {
    return (await database.pool.query(sql)).rows[0];
  } finally {
    await database.close();
    if (saved === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = saved;
  }
}

describe('each database pod, initialised by the postgres image with postgres-init', () => {
  let pg: LocalPostgres;
  let dir: string;

  beforeAll(async () => {
    pg = await startLocalPostgres({ password: superuserPassword, databases: [...services] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'postgres-init-'));
    const script = path.join(dir, 'init-service-role.sh');
    fs.writeFileSync(script, initScript());
    for (const svc of services) {
      // What the image's entrypoint runs the script with: the StatefulSet's env, and PGPASSWORD
      // (the entrypoint exports it); this server's one superuser stands in for each pod's.
      const env = containerEnv(manifests, find(manifests, 'StatefulSet', `${svc}-db`));
      const vars = Object.fromEntries(
        ['POSTGRES_USER', 'POSTGRES_DB', 'DB_USER', 'DB_PASSWORD'].map((n) => [n, valueOf(env.get(n))]),
      );
      execFileSync('sh', [script], {
        env: {
          PATH: process.env.PATH,
          PGHOST: '127.0.0.1',
          PGPORT: String(pg.port),
          PGPASSWORD: superuserPassword,
          ...vars,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    }
  }, 60_000);

  afterAll(async () => {
    await pg?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([...services])(
    'lets %s connect as its own role, owner of its database and not a superuser, with PGPASSWORD',
    async (svc) => {
      const { url, password } = serviceConnection(svc, pg.port);
      expect(new URL(url).password).toBe('');
      const row = await queryWithPgPassword(
        url,
        password,
        `SELECT current_user AS "user", r.rolsuper, r.rolcreaterole, r.rolcreatedb,
                pg_get_userbyid(d.datdba) AS "dbOwner",
                pg_get_userbyid(n.nspowner) AS "schemaOwner"
           FROM pg_roles r, pg_database d, pg_namespace n
          WHERE r.rolname = current_user AND d.datname = current_database() AND n.nspname = 'public'`,
      );
      expect(row).toEqual({
        user: svc,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        dbOwner: svc,
        schemaOwner: svc,
      });
    },
  );

  it('refuses a service role whose password is wrong', async () => {
    const { url } = serviceConnection('tickets', pg.port);
    await expect(queryWithPgPassword(url, 'not-the-password', 'SELECT 1')).rejects.toThrow(
      /password authentication failed/,
    );
  });
});
