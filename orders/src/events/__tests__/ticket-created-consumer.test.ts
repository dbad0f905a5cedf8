import crypto from 'node:crypto';
import {
  publishTestEvent,
  startMessagingFixture,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import {
  newUser,
  postOrder,
  publishAgain,
  storedTicket,
  testApp,
  ticketCreatedData,
} from '../../__tests__/helpers';
import { ticketCreatedConsumer } from '../ticket-created-consumer';

let db: TestDatabase;
let tc: TestConsumer<'ticket.created'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { tc },
    stop: teardown,
  } = await startMessagingFixture('orders', { tc: ticketCreatedConsumer }));
});
afterAll(() => teardown?.());

describe('ticket.created consumer', () => {
  it('adds the ticket to the replica at version 0, its price in cents', async () => {
    const event = await publishTestEvent(
      tc.publisher,
      'ticket.created',
      ticketCreatedData({ title: 'Jazz night', price: 20.5 }),
    );

    await tc.next('handled', event.id);

    expect(await storedTicket(db, event.data.id)).toEqual({
      id: event.data.id,
      title: 'Jazz night',
      priceCents: 2050,
      version: 0,
    });
  });

  it('makes the ticket available to order', async () => {
    const event = await publishTestEvent(tc.publisher, 'ticket.created', ticketCreatedData());
    await tc.next('handled', event.id);

    const res = await postOrder(testApp(db), newUser().cookie, event.data.id);

    expect(res.status).toBe(201);
    expect(res.body.ticket).toEqual({ id: event.data.id, title: 'Concert', price: 20, version: 0 });
  });

  it('applies a redelivered event once', async () => {
    const event = await publishTestEvent(tc.publisher, 'ticket.created', ticketCreatedData());
    await tc.next('handled', event.id);

    const duplicate = tc.next('duplicate', event.id);
    await publishAgain(tc.publisher, event);

    await duplicate;
    expect(await storedTicket(db, event.data.id)).toMatchObject({ version: 0 });
  });

  it('skips a second version-0 event for a ticket it holds', async () => {
    const first = await publishTestEvent(
      tc.publisher,
      'ticket.created',
      ticketCreatedData({ title: 'First' }),
    );
    await tc.next('handled', first.id);

    const second = await publishTestEvent(tc.publisher, 'ticket.created', { ...first.data, title: 'Second' });
    await tc.next('handled', second.id);

    expect(await storedTicket(db, first.data.id)).toMatchObject({ title: 'First', version: 0 });
  });

  it.each([1e-17, 5e-324, 0.004])(
    'dead-letters a ticket priced %p (not a whole cent) and handles the next event',
    async (price) => {
      const poison = ticketCreatedData({ price });
      const poisonId = crypto.randomUUID();
      const deadLettered = tc.next('dead-lettered', poisonId);

      await publishTestEvent(tc.publisher, 'ticket.created', poison, { id: poisonId });
      await deadLettered;
      const next = await publishTestEvent(tc.publisher, 'ticket.created', ticketCreatedData({ price: 0.01 }));
      await tc.next('handled', next.id);

      const { rows } = await db.pool.query('select reason from dead_letters where event_id = $1', [poisonId]);
      expect(rows[0].reason).toMatch(/price/);
      expect(await storedTicket(db, next.data.id)).toMatchObject({ priceCents: 1 });
    },
  );
});
