import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { startLocalNatsServer, type LocalNatsServer } from '../../local/nats-server';
import { createTestCertificates, type TestCertificates } from '../../testing/tls';
import { natsAuthorization, passwordValue } from '../nats-auth';
import { connectNats } from '../nats';

// A nats-server that requires TLS, as in the prod overlay (infra/k8s/overlays/prod/nats-cluster.conf),
// with the generated authorization: services verify its certificate with NATS_CA_FILE.
let certs: TestCertificates;
let nats: LocalNatsServer;
const open: NatsConnection[] = [];
const password = 'tickets-password';

beforeAll(async () => {
  certs = createTestCertificates();
  const config =
    natsAuthorization({ password: () => passwordValue.literal(password) }) +
    `\ntls {\n  cert_file: "${certs.certFile}"\n  key_file: "${certs.keyFile}"\n  ca_file: "${certs.caFile}"\n  timeout: 5\n}\n`;
  nats = await startLocalNatsServer({ config });
});

afterAll(async () => {
  await Promise.all(open.splice(0).map((nc) => nc.close()));
  await nats?.stop();
  certs?.remove();
});

describe('NATS over TLS', () => {
  it('connects a service that has the CA (NATS_CA_FILE) over TLS, with its own user', async () => {
    const nc = await connectNats({
      servers: nats.url,
      user: 'tickets',
      password,
      caFile: certs.caFile,
      logger: pino({ level: 'silent' }),
    });
    open.push(nc);

    await nc.flush();
    expect(nc.info?.tls_required).toBe(true);
  });

  it('refuses a client that does not have the CA: the certificate is not trusted', async () => {
    await expect(
      connect({ servers: nats.url, user: 'tickets', pass: password, reconnect: false }),
    ).rejects.toThrow(/certificate/i);
  });

  it('refuses a client that has the CA but no password', async () => {
    await expect(
      connect({ servers: nats.url, tls: { caFile: certs.caFile }, reconnect: false }),
    ).rejects.toThrow(/authorization/i);
  });
});
