import crypto from 'node:crypto';
import { defineConsumer } from '../../messaging/consumer';
import { publishTestEvent } from '../events';
import { startMessagingFixture } from '../messaging-fixture';

const seen: string[] = [];
const ticketCreated = defineConsumer('ticket.created', async (_tx, event) => {
  seen.push(event.data.id);
});

describe('startMessagingFixture', () => {
  it("runs the service's consumers against its own database and nats-server, and stops them all", async () => {
    const { db, consumers, stop } = await startMessagingFixture('svc', { created: ticketCreated });
    const data = {
      id: crypto.randomUUID(),
      version: 0,
      title: 'Concert',
      price: 10,
      userId: crypto.randomUUID(),
    };

    const handled = consumers.created.next('handled');
    await publishTestEvent(consumers.created.nc, 'ticket.created', data);
    await handled;
    const { rows } = await db.pool.query('select consumer from inbox');
    await stop();

    expect(seen).toEqual([data.id]);
    expect(rows).toEqual([{ consumer: 'svc:ticket.created' }]);
    expect(consumers.created.nc.isClosed()).toBe(true);
  });
});
