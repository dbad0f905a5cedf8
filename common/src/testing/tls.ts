import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Throwaway TLS files for a test: a CA and a server certificate it signed (PEM). */
export interface TestCertificates {
  dir: string;
  /** The CA's certificate (what a client's NATS_CA_FILE points at). */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** Removes the files. */
  remove(): void;
}

/**
 * Creates a CA and a server certificate for `dnsNames` (default localhost and 127.0.0.1), with
 * server and client auth (NATS routes present it both ways), by running openssl. For tests only:
 * the keys are unprotected and live in a temp dir.
 */
export function createTestCertificates(
  options: { dnsNames?: string[]; ipAddresses?: string[] } = {},
): TestCertificates {
  const dnsNames = options.dnsNames ?? ['localhost'];
  const ips = options.ipAddresses ?? (options.dnsNames ? [] : ['127.0.0.1']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-tls-'));
  const f = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('ca.key'));
    openssl(
      'req',
      '-x509',
      '-new',
      '-key',
      f('ca.key'),
      '-subj',
      '/CN=test-ca',
      '-days',
      '2',
      '-out',
      f('ca.crt'),
    );
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f('tls.key'));
    openssl('req', '-new', '-key', f('tls.key'), '-subj', `/CN=${dnsNames[0]}`, '-out', f('tls.csr'));
    const san = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
    fs.writeFileSync(
      f('ext.cnf'),
      `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      f('tls.csr'),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      f('ext.cnf'),
      '-out',
      f('tls.crt'),
    );
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    caFile: f('ca.crt'),
    certFile: f('tls.crt'),
    keyFile: f('tls.key'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
