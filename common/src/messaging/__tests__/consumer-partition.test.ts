/**
 * A pull consumer on a three-node cluster whose server gets cut off from the other two by a real
 * network partition (root and nft; skipped otherwise, like the system's partition tests). Its
 * connection stays healthy, so nats.js never moves it: only the consumer can tell that its pulls
 * reach nobody.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../../http/logger';
import { startLocalNatsCluster, type LocalNatsCluster } from '../../local/nats-cluster';
import { partitionNode, partitionUnavailable, type Partition } from '../../local/nats-partition';
import { publishTestEvent } from '../../testing/events';
import { createTestDatabase, type TestDatabase } from '../../testing/test-database';
import { waitFor } from '../../testing/wait-for';
import { defineConsumer, EventConsumer } from '../consumer';
import { NATS_ADMIN_USER, natsAuthorization, passwordValue } from '../nats-auth';
import { ensureStream, inboxPrefixOf, requireStream, streamLeader } from '../nats';
import { ticketData } from './helpers';

/** Not the system tests' node users: a partition here must not match their cluster's nodes. */
const NODE_UIDS = [64301, 64302, 64303];

let cluster: LocalNatsCluster;
let admin: NatsConnection;
let db: TestDatabase;
const closing: (() => Promise<unknown>)[] = [];

const password = (user: string) => `pw-${user}`;

async function connectAs(user: string, server: string): Promise<NatsConnection> {
  return connect({ servers: [server], user, pass: password(user), inboxPrefix: inboxPrefixOf(user) });
}

const unavailable = partitionUnavailable();

(unavailable ? describe.skip : describe)('a consumer whose server is cut off from the cluster', () => {
  beforeAll(async () => {
    cluster = await startLocalNatsCluster({
      config: natsAuthorization({ password: (u) => passwordValue.literal(password(u)) }),
      uids: NODE_UIDS,
    });
    admin = await connect({
      servers: cluster.urls,
      user: NATS_ADMIN_USER,
      pass: password(NATS_ADMIN_USER),
      inboxPrefix: inboxPrefixOf(NATS_ADMIN_USER),
    });
    // JetStream answers once the cluster has elected its meta leader.
    await waitFor(() => ensureStream(admin, { replicas: 3 }).then(Boolean, () => false), {
      timeoutMs: 60_000,
      what: 'the stream on the cluster',
    });
    db = await createTestDatabase();
  }, 120_000);

  afterAll(async () => {
    for (const close of closing.reverse()) await close();
    await admin?.close();
    await db?.drop();
    await cluster?.stop();
  });

  it('keeps handling the events published while the cut lasts', async () => {
    // Arrange: a consumer connected to a follower of the stream, handling events.
    const leader = await waitFor(() => streamLeader(admin).catch(() => undefined), {
      what: 'a stream leader',
    });
    const node = cluster.nodes.find((n) => n.name !== leader)!;
    const nc = await connectAs('orders', node.url);
    closing.push(() => nc.close());
    const consumer = new EventConsumer({
      service: 'orders',
      definition: defineConsumer('ticket.created', async () => undefined),
      nc,
      jsm: await requireStream(nc),
      db: db.db,
      logger: silentLogger(),
      stallTimeoutMs: 2_000,
    });
    const handled = new Set<string>();
    consumer.events.on('handled', (e) => handled.add(e.id));
    await consumer.start();
    closing.push(() => consumer.stop());
    const publisher = await connectAs('tickets', cluster.nodes.find((n) => n !== node)!.url);
    closing.push(() => publisher.close());
    const before = await publishTestEvent(publisher, 'ticket.created', ticketData(0));
    await waitFor(() => handled.has(before.id), { what: 'the event before the cut' });

    // Act: cut its server off, then publish on the other side.
    let partition: Partition | undefined = await partitionNode(cluster, node);
    closing.push(() => partition?.heal() ?? Promise.resolve());
    const during: { id: string }[] = [];
    for (let i = 1; i <= 5; i++)
      during.push(await publishTestEvent(publisher, 'ticket.created', ticketData(i)));

    // Assert: handled while its old server is still cut off.
    const allHandled = await waitFor(() => during.every((e) => handled.has(e.id)), {
      timeoutMs: 60_000,
      what: 'the events published during the cut',
    });
    expect(allHandled).toBe(true);
    await partition.heal();
    partition = undefined;
  }, 120_000);
});
