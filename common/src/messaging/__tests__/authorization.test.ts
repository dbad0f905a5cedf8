import crypto from 'node:crypto';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServerHandle } from '../../testing/nats-server';
import { natsServiceUsers } from '../nats-auth';
import { STREAM_NAME } from '../nats';
import { serviceCatalog } from '../../services/catalog';

// The tests' server runs the generated authorization (natsAuthorization), as npm start and
// Kubernetes do.
let nats: NatsServerHandle;
const open: NatsConnection[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await Promise.all(open.splice(0).map((nc) => nc.close()));
  await nats.stop();
});

async function as(user: string): Promise<NatsConnection> {
  const nc = await nats.connect(user);
  open.push(nc);
  return nc;
}

function publish(nc: NatsConnection, subject: string) {
  return jetstream(nc, { timeout: 3_000 }).publish(subject, '{}', { msgID: crypto.randomUUID() });
}

describe('NATS with the generated authorization', () => {
  it('refuses a connection without credentials', async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization/i);
  });

  it('refuses a service user with a wrong password', async () => {
    await expect(
      connect({ servers: nats.url, reconnect: false, user: 'orders', pass: 'not-the-password' }),
    ).rejects.toThrow(/authorization/i);
  });

  it("does not let orders publish payments' payment.created", async () => {
    const orders = await as('orders');

    await expect(publish(orders, 'payment.created')).rejects.toThrow(/permission/i);
  });

  it("does not let orders publish tickets' ticket.updated", async () => {
    const orders = await as('orders');

    await expect(publish(orders, 'ticket.updated')).rejects.toThrow(/permission/i);
  });

  it("does not let payments publish orders' order.completed", async () => {
    const payments = await as('payments');

    await expect(publish(payments, 'order.completed')).rejects.toThrow(/permission/i);
  });

  it.each(natsServiceUsers())('lets %s publish each of its own subjects to the stream', async (service) => {
    const nc = await as(service);

    for (const subject of serviceCatalog[service].publishes) {
      const ack = await publish(nc, subject);
      expect(ack.stream).toBe(STREAM_NAME);
    }
  });

  it.each(natsServiceUsers())('does not let %s delete, purge or update the stream', async (service) => {
    const jsm = await jetstreamManager(await as(service), { timeout: 3_000 });
    const info = await jsm.streams.info(STREAM_NAME);

    await expect(jsm.streams.purge(STREAM_NAME)).rejects.toThrow(/permission/i);
    await expect(jsm.streams.delete(STREAM_NAME)).rejects.toThrow(/permission/i);
    await expect(jsm.streams.update(STREAM_NAME, { ...info.config, max_bytes: 1024 })).rejects.toThrow(
      /permission/i,
    );
    const after = await jsm.streams.info(STREAM_NAME);
    expect(after.config.max_bytes).toBe(info.config.max_bytes);
  });

  it("does not let orders create a consumer under payments' durable name", async () => {
    const jsm = await jetstreamManager(await as('orders'), { timeout: 3_000 });

    await expect(
      jsm.consumers.add(STREAM_NAME, {
        durable_name: 'payments_order-created',
        filter_subject: 'order.created',
      }),
    ).rejects.toThrow(/permission/i);
  });
});
