import {
  publishTestEvent,
  startMessagingFixture,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import {
  newUser,
  placeOrderFor,
  publishAgain,
  storedTicket,
  testApp,
  ticketCreatedData,
  ticketUpdatedData,
} from '../../__tests__/helpers';
import { ticketCreatedConsumer } from '../ticket-created-consumer';
import { ticketUpdatedConsumer } from '../ticket-updated-consumer';

let db: TestDatabase;
let created: TestConsumer<'ticket.created'>;
let updated: TestConsumer<'ticket.updated'>;
let teardown: () => Promise<void>;

beforeAll(async () => {
  ({
    db,
    consumers: { created, updated },
    stop: teardown,
  } = await startMessagingFixture('orders', {
    created: ticketCreatedConsumer,
    updated: ticketUpdatedConsumer,
  }));
});
afterAll(() => teardown?.());

/** A ticket the replica holds at version 0. */
async function replicatedTicket() {
  const event = await publishTestEvent(created.publisher, 'ticket.created', ticketCreatedData());
  await created.next('handled', event.id);
  return event.data;
}

function publishUpdate(ticket: { id: string; userId: string }, version: number, price = 20 + version) {
  return publishTestEvent(
    updated.publisher,
    'ticket.updated',
    ticketUpdatedData(ticket, version, { title: `v${version}`, price }),
  );
}

describe('ticket.updated consumer', () => {
  it('applies the next version: title, price and version', async () => {
    const ticket = await replicatedTicket();

    const event = await publishUpdate(ticket, 1, 35.75);
    await updated.next('handled', event.id);

    expect(await storedTicket(db, ticket.id)).toEqual({
      id: ticket.id,
      title: 'v1',
      priceCents: 3575,
      version: 1,
    });
  });

  it('applies versions delivered out of order in version order', async () => {
    const ticket = await replicatedTicket();

    const v2 = await publishUpdate(ticket, 2);
    await updated.next('deferred', v2.id);
    expect(await storedTicket(db, ticket.id)).toMatchObject({ version: 0 });
    const v2Applied = updated.next('handled', v2.id);
    const v1 = await publishUpdate(ticket, 1);

    await updated.next('handled', v1.id);
    await v2Applied;
    expect(await storedTicket(db, ticket.id)).toMatchObject({ title: 'v2', priceCents: 2200, version: 2 });
  });

  it('waits for ticket.created when an update arrives first', async () => {
    const data = ticketCreatedData();

    const v1 = await publishUpdate(data, 1);
    await updated.next('deferred', v1.id);
    const v1Applied = updated.next('handled', v1.id);
    const creation = await publishTestEvent(created.publisher, 'ticket.created', data);

    await created.next('handled', creation.id);
    await v1Applied;
    expect(await storedTicket(db, data.id)).toMatchObject({ title: 'v1', version: 1 });
  });

  it('skips an older version that arrives after a newer one', async () => {
    const ticket = await replicatedTicket();
    const v1 = await publishUpdate(ticket, 1, 30);
    await updated.next('handled', v1.id);

    const stale = await publishTestEvent(
      updated.publisher,
      'ticket.updated',
      ticketUpdatedData(ticket, 1, { title: 'stale', price: 99 }),
    );
    await updated.next('handled', stale.id);

    expect(await storedTicket(db, ticket.id)).toMatchObject({ title: 'v1', priceCents: 3000, version: 1 });
  });

  it('applies a redelivered update once', async () => {
    const ticket = await replicatedTicket();
    const v1 = await publishUpdate(ticket, 1);
    await updated.next('handled', v1.id);

    const duplicate = updated.next('duplicate', v1.id);
    await publishAgain(updated.publisher, v1);

    await duplicate;
    expect(await storedTicket(db, ticket.id)).toMatchObject({ version: 1 });
  });

  it('shows orders the latest price: a ticket updated 5 → 10 → 15 is ordered at 15, version 2', async () => {
    const event = await publishTestEvent(
      created.publisher,
      'ticket.created',
      ticketCreatedData({ price: 5 }),
    );
    await created.next('handled', event.id);
    for (const [version, price] of [
      [1, 10],
      [2, 15],
    ]) {
      const e = await publishUpdate(event.data, version, price);
      await updated.next('handled', e.id);
    }

    const order = await placeOrderFor(testApp(db), newUser().cookie, event.data.id);

    expect(order).toMatchObject({ ticket: { id: event.data.id, price: 15, version: 2 } });
  });
});
