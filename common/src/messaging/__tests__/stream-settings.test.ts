import crypto from 'node:crypto';
import { DiscardPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/nats-core';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS_ADMIN_USER } from '../nats-auth';
import { defaultStreamSettings, ensureStream, STREAM_NAME } from '../nats';
import { startNatsServer, type NatsServerHandle } from '../../testing/nats-server';

let nats: NatsServerHandle | undefined;
const open: NatsConnection[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((nc) => nc.close()));
  await nats?.stop();
  nats = undefined;
});

async function as(user: string): Promise<NatsConnection> {
  const nc = await nats!.connect(user);
  open.push(nc);
  return nc;
}

describe('the admin step (ensureStream)', () => {
  it('brings max_age, max_bytes and the discard policy of an existing stream to the configured values', async () => {
    nats = await startNatsServer({ stream: { maxAgeMs: 3_600_000, maxBytes: 1024 * 1024 } });
    const admin = await as(NATS_ADMIN_USER);

    await ensureStream(admin, { maxAgeMs: 2 * 3_600_000, maxBytes: 5 * 1024 * 1024, replicas: 1 });

    const { config } = await (await jetstreamManager(admin)).streams.info(STREAM_NAME);
    expect(config.max_age).toBe(nanos(2 * 3_600_000));
    expect(config.max_bytes).toBe(5 * 1024 * 1024);
    expect(config.discard).toBe(DiscardPolicy.New);
    expect(config.num_replicas).toBe(1);
  });

  it('creates the stream with the documented defaults', async () => {
    nats = await startNatsServer();
    const admin = await as(NATS_ADMIN_USER);

    const { config } = await (await jetstreamManager(admin)).streams.info(STREAM_NAME);

    expect(config.max_age).toBe(nanos(defaultStreamSettings.maxAgeMs));
    expect(config.max_bytes).toBe(defaultStreamSettings.maxBytes);
    expect(config.discard).toBe(DiscardPolicy.New);
  });

  it('keeps the events already stored when the stream is full: the next publish fails instead', async () => {
    nats = await startNatsServer({ stream: { maxBytes: 4096 } });
    const js = jetstream(await as('tickets'), { timeout: 3_000 });
    const stored: number[] = [];
    let refused: unknown;
    for (let i = 0; i < 100 && !refused; i++) {
      try {
        const ack = await js.publish('ticket.created', 'x'.repeat(200), { msgID: crypto.randomUUID() });
        stored.push(ack.seq);
      } catch (err) {
        refused = err;
      }
    }

    expect(String(refused)).toMatch(/maximum bytes exceeded/i);
    const { state } = await (await jetstreamManager(await as(NATS_ADMIN_USER))).streams.info(STREAM_NAME);
    expect(state.first_seq).toBe(1);
    expect(state.messages).toBe(stored.length);
  });
});
