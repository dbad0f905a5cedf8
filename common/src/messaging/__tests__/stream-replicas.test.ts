import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startLocalNatsCluster, type LocalNatsCluster } from '../../local/nats-cluster';
import { waitFor } from '../../testing/wait-for';
import { NATS_ADMIN_USER, natsAuthorization, passwordValue } from '../nats-auth';
import { ensureStream, inboxPrefixOf, STREAM_NAME } from '../nats';

// A 3-node JetStream cluster with the generated authorization, as the prod overlay runs.
let cluster: LocalNatsCluster | undefined;
let admin: NatsConnection | undefined;

afterAll(async () => {
  await admin?.close();
  await cluster?.stop();
});

async function startCluster(): Promise<string> {
  const auth = natsAuthorization({ password: (u) => passwordValue.literal(`pw-${u}`) });
  cluster = await startLocalNatsCluster({ config: auth });
  return cluster.url;
}

describe('the admin step on a cluster', () => {
  it('brings the replica count of a stream created with 1 replica to the configured 3', async () => {
    const servers = await startCluster();
    admin = await connect({
      servers: servers.split(','),
      user: NATS_ADMIN_USER,
      pass: `pw-${NATS_ADMIN_USER}`,
      inboxPrefix: inboxPrefixOf(NATS_ADMIN_USER),
    });
    // JetStream answers once the cluster has elected its meta leader.
    await waitFor(
      () =>
        ensureStream(admin!, { replicas: 1 }).then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 60_000,
        what: 'the stream created on the cluster',
      },
    );

    const jsm = await jetstreamManager(admin);
    expect((await jsm.streams.info(STREAM_NAME)).config.num_replicas).toBe(1);

    await ensureStream(admin, { replicas: 3 });

    expect((await jsm.streams.info(STREAM_NAME)).config.num_replicas).toBe(3);
  }, 120_000);
});
