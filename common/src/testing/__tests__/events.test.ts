import crypto from 'node:crypto';
import type { EventEnvelope } from '../../events/contract';
import { defineConsumer } from '../../messaging/consumer';
import { publishTestEvent } from '../events';
import { startMessagingFixture, type MessagingFixture } from '../messaging-fixture';

const ticketCreated = defineConsumer('ticket.created', async () => undefined);

function ticketData() {
  return { id: crypto.randomUUID(), version: 0, title: 'Concert', price: 10, userId: crypto.randomUUID() };
}

describe('TestConsumer.next', () => {
  let fixture: MessagingFixture<{ created: typeof ticketCreated }>;

  beforeAll(async () => {
    fixture = await startMessagingFixture('svc', { created: ticketCreated });
  });
  afterAll(() => fixture?.stop());

  /** Publishes an event and resolves once the consumer has emitted its 'handled' signal (seen on its own emitter). */
  async function publishAndWaitUntilHandled(): Promise<string> {
    const { consumer, nc } = fixture.consumers.created;
    const id = crypto.randomUUID();
    const emitted = new Promise<void>((resolve) => {
      const listener = (event: EventEnvelope) => {
        if (event.id !== id) return;
        consumer.events.off('handled', listener);
        resolve();
      };
      consumer.events.on('handled', listener);
    });
    await publishTestEvent(nc, 'ticket.created', ticketData(), { id });
    await emitted;
    return id;
  }

  it('returns an event that was handled before the test started listening', async () => {
    const id = await publishAndWaitUntilHandled();

    const handled = await fixture.consumers.created.next('handled', id, 1_000);

    expect(handled.id).toBe(id);
  });

  it('gives each signal to one call only, oldest first', async () => {
    const tc = fixture.consumers.created;
    const first = await publishAndWaitUntilHandled();
    const second = await publishAndWaitUntilHandled();

    const taken = [
      (await tc.next('handled', undefined, 1_000)).id,
      (await tc.next('handled', undefined, 1_000)).id,
    ];

    expect(taken).toEqual([first, second]);
    await expect(tc.next('handled', first, 300)).rejects.toThrow(`no 'handled' signal for ${first}`);
  });
});
