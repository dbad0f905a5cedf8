import { eq } from 'drizzle-orm';
import type { OrderCreatedData } from '@ticketing/common';
import {
  publishRaw,
  publishTestEvent,
  startMessagingFixture,
  type TestConsumer,
  type TestDatabase,
} from '@ticketing/common/testing';
import { orders, refunds } from '../../db/schema';
import { refundKeyFor } from '../../domain/refunds';
import {
  SandboxProvider,
  type ChargeRequest,
  type PaymentProvider,
  type RefundRequest,
} from '../../providers';
import {
  orderCreatedData,
  paymentCreatedEvents,
  paymentsOf,
  postPayment,
  testApp,
} from '../../__tests__/helpers';
import { orderCancelledConsumer } from '../order-cancelled-consumer';
import { orderCreatedConsumer } from '../order-created-consumer';

/** The sandbox, with a hook to run something while a charge is in flight; counts refund calls. */
class ScriptedProvider implements PaymentProvider {
  readonly sandbox = new SandboxProvider();
  duringCharge?: () => Promise<void>;
  refundCalls = 0;

  async charge(request: ChargeRequest) {
    const result = await this.sandbox.charge(request);
    await this.duringCharge?.();
    return result;
  }

  async refund(request: RefundRequest) {
    this.refundCalls += 1;
    return this.sandbox.refund(request);
  }
}

const provider = new ScriptedProvider();
let db: TestDatabase;
let created: TestConsumer<'order.created'>;
let cancelled: TestConsumer<'order.cancelled'>;
let teardown: () => Promise<void>;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  ({
    db,
    consumers: { created, cancelled },
    stop: teardown,
  } = await startMessagingFixture('payments', {
    created: orderCreatedConsumer,
    cancelled: orderCancelledConsumer,
  }));
  app = testApp(db.db, provider);
});

beforeEach(() => {
  provider.duringCharge = undefined;
  provider.refundCalls = 0;
});

afterAll(() => teardown?.());

/** An order payable for the next 15 minutes, in the replica through order.created. */
async function orderInReplica(): Promise<OrderCreatedData> {
  const data = orderCreatedData({ expiresAt: new Date(Date.now() + 15 * 60_000).toISOString() });
  const event = await publishTestEvent(created.publisher, 'order.created', data);
  await created.next('handled', event.id);
  return data;
}

function cancel(data: OrderCreatedData) {
  return publishTestEvent(cancelled.publisher, 'order.cancelled', {
    id: data.id,
    version: 1,
    ticket: { id: data.ticket.id },
  });
}

function refundsOfOrder(orderId: string) {
  return db.db.select().from(refunds).where(eq(refunds.orderId, orderId));
}

describe('order.cancelled consumer, for an order already paid', () => {
  it('commits a pending refund of the payment in full, with a key derived from it, and does not call the provider', async () => {
    const data = await orderInReplica();
    const paid = await postPayment(app, data.userId, { orderId: data.id, token: 'tok_visa' });
    expect(paid.status).toBe(201);

    const event = await cancel(data);
    await cancelled.next('handled', event.id);

    const [payment] = await paymentsOf(db.db, data.id);
    expect(payment).toMatchObject({ id: paid.body.id, status: 'succeeded', refundId: null });
    expect(await refundsOfOrder(data.id)).toEqual([
      expect.objectContaining({
        paymentId: payment!.id,
        chargeId: payment!.providerChargeId,
        amountCents: 1999,
        idempotencyKey: refundKeyFor(payment!.id),
        status: 'pending',
        attempts: 0,
      }),
    ]);
    expect(provider.refundCalls).toBe(0);
  });

  it('owes one refund when order.cancelled is delivered twice', async () => {
    const data = await orderInReplica();
    await postPayment(app, data.userId, { orderId: data.id, token: 'tok_visa' });
    const event = await cancel(data);
    await cancelled.next('handled', event.id);

    const repeat = cancelled.next('duplicate', event.id);
    await publishRaw(cancelled.publisher, 'order.cancelled', JSON.stringify(event));
    await repeat;
    // The same change again under a new event id (e.g. republished): version gated, nothing more owed.
    const again = await cancel(data);
    await cancelled.next('handled', again.id);

    expect(await refundsOfOrder(data.id)).toHaveLength(1);
  });

  it('does not owe a refund for a declined attempt', async () => {
    const data = await orderInReplica();
    const declined = await postPayment(app, data.userId, {
      orderId: data.id,
      token: 'pm_card_chargeDeclined',
    });
    expect(declined.status).toBe(402);

    const event = await cancel(data);
    await cancelled.next('handled', event.id);

    expect(await paymentsOf(db.db, data.id)).toEqual([
      expect.objectContaining({ status: 'declined', refundId: null }),
    ]);
    expect(await refundsOfOrder(data.id)).toEqual([]);
  });
});

describe('order.cancelled consumer, for an order not paid', () => {
  it('cancels the order in the replica and changes nothing else', async () => {
    const data = await orderInReplica();

    const event = await cancel(data);
    await cancelled.next('handled', event.id);

    const [order] = await db.db.select().from(orders).where(eq(orders.id, data.id));
    expect(order).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await paymentsOf(db.db, data.id)).toEqual([]);
    expect(await refundsOfOrder(data.id)).toEqual([]);
  });
});

describe('POST /api/payments, when the order is cancelled while the card is charged', () => {
  it('owes a refund of the charge, answers 400 and commits no payment.created', async () => {
    const data = await orderInReplica();
    provider.duringCharge = async () => {
      // order.cancelled is applied while the attempt is still pending: nothing to refund yet.
      const event = await cancel(data);
      await cancelled.next('handled', event.id);
    };

    const res = await postPayment(app, data.userId, { orderId: data.id, token: 'tok_visa' });

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Cannot pay for a cancelled order' }] });
    const [payment] = await paymentsOf(db.db, data.id);
    expect(payment).toMatchObject({
      status: 'succeeded',
      providerChargeId: expect.stringMatching(/^ch_sandbox_/),
    });
    expect(await refundsOfOrder(data.id)).toEqual([
      expect.objectContaining({
        paymentId: payment!.id,
        chargeId: payment!.providerChargeId,
        idempotencyKey: refundKeyFor(payment!.id),
        amountCents: 1999,
        status: 'pending',
      }),
    ]);
    expect(provider.refundCalls).toBe(0);
    expect(await paymentCreatedEvents(db.db, data.id)).toEqual([]);
  });
});
