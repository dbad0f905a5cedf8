import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { natsUsers, passwordEnvVar } from '@ticketing/common';
import { createTestCertificates } from '@ticketing/common/testing';
import { generatedFiles } from '../src/generate';
import { render } from '../src/kustomize';
import { NATS_TLS_DIR } from '../src/nats-tls';
import { repoRoot } from '../src/paths';

describe('generated files', () => {
  it.each(Object.keys(generatedFiles()))('%s is up to date (npm run generate -w @ticketing/infra)', (rel) => {
    const file = path.join(repoRoot, rel);
    expect(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(missing)').toBe(generatedFiles()[rel]);
  });
});

describe('the NATS configuration', () => {
  const natsServer = ['/usr/sbin/nats-server', '/usr/local/bin/nats-server', '/usr/bin/nats-server'].find(
    (f) => fs.existsSync(f),
  );

  it.each(['dev', 'prod'])('of overlay %s passes nats-server -t', (overlay) => {
    if (!natsServer) throw new Error('nats-server is not installed (apt-get install nats-server)');
    const cm = render(`overlays/${overlay}`).find(
      (m) => m.kind === 'ConfigMap' && m.metadata.name.startsWith('nats-config'),
    )!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-conf-'));
    // nats-server -t loads the TLS files: throwaway ones stand in for the mounted Secret (prod).
    const certs = createTestCertificates({ dnsNames: ['nats'] });
    try {
      // Every file of the ConfigMap (nats.conf includes auth.conf), and the passwords' variables.
      for (const [name, text] of Object.entries(cm.data as Record<string, string>))
        fs.writeFileSync(path.join(dir, name), text.replaceAll(`${NATS_TLS_DIR}/`, `${certs.dir}/`));
      const file = path.join(dir, 'nats.conf');
      const passwords = Object.fromEntries(natsUsers().map((u) => [passwordEnvVar(u), `pw-${u}`]));
      const result = spawnSync(natsServer, ['-c', file, '-t'], {
        encoding: 'utf8',
        env: { ...process.env, ...passwords, SERVER_NAME: 'nats-0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // nats-server -t says so on stderr when the file is valid, and names the faulty line when not.
      expect(result.stderr.trim()).toBe(`nats-server: configuration file ${file} is valid`);
      expect(result.status).toBe(0);
    } finally {
      certs.remove();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
