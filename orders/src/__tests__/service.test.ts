import { and, eq, sql } from 'drizzle-orm';
import { messagingTables, silentLogger, startService, type RunningService } from '@ticketing/common';
import {
  createTestDatabase,
  publishTestEvent,
  startNatsServer,
  waitFor,
  type NatsServerHandle,
  type TestDatabase,
} from '@ticketing/common/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import request from 'supertest';
import { ordersService } from '../service';
import { JWT_KEY, newUser, storedOrder, storedTicket, ticketCreatedData } from './helpers';

let db: TestDatabase;
let nats: NatsServerHandle;
let service: RunningService;
// The services orders hears from, played by connections with their credentials.
let tickets: NatsConnection;
let expiration: NatsConnection;

beforeAll(async () => {
  db = await createTestDatabase();
  nats = await startNatsServer();
  service = await startService(ordersService, {
    env: { PORT: '0', DATABASE_URL: db.url, ...nats.env('orders'), JWT_KEY, EXPIRATION_WINDOW_SECONDS: '60' },
    logger: silentLogger(),
  });
  tickets = await nats.connect('tickets');
  expiration = await nats.connect('expiration');
});
afterAll(async () => {
  await tickets?.close();
  await expiration?.close();
  await service.stop();
  await nats.stop();
  await db.drop();
});

/** The data of the event on `subject` about `orderId`, once the relay has published it to JetStream. */
function publishedEvent(subject: string, orderId: string) {
  return waitFor(
    async () => {
      const [row] = await db.db
        .select()
        .from(messagingTables.outbox)
        .where(
          and(
            eq(messagingTables.outbox.subject, subject),
            sql`${messagingTables.outbox.data}->>'id' = ${orderId}`,
          ),
        );
      return row?.publishedAt ? row.data : undefined;
    },
    { what: `${subject} published` },
  );
}

describe('the orders service', () => {
  it('orders a ticket learnt from ticket.created, publishes order.created, and cancels the order on expiration.complete', async () => {
    const ticket = await publishTestEvent(tickets, 'ticket.created', ticketCreatedData({ price: 42 }));
    await waitFor(() => storedTicket(db, ticket.data.id), { what: 'the ticket replica' });

    const res = await request(service.url)
      .post('/api/orders')
      .set('Cookie', newUser().cookie)
      .send({ ticketId: ticket.data.id });

    expect(res.status).toBe(201);
    expect(await publishedEvent('order.created', res.body.id)).toMatchObject({
      id: res.body.id,
      version: 0,
      ticket: { id: ticket.data.id, price: 42 },
    });

    await publishTestEvent(expiration, 'expiration.complete', { orderId: res.body.id });
    await waitFor(async () => (await storedOrder(db, res.body.id)).status === 'cancelled', {
      what: 'the expiry',
    });
    expect(await publishedEvent('order.cancelled', res.body.id)).toEqual({
      id: res.body.id,
      version: 1,
      ticket: { id: ticket.data.id },
    });
  });
});
