import crypto from 'node:crypto';
import { outbox, type Tx } from '@ticketing/common';
import { scheduledExpirations } from '../db/schema';

/** What `scheduleExpiration` did. */
export type ScheduleResult = 'scheduled' | 'already-scheduled';

/**
 * Schedules expiration.complete for an order at `expiresAt`, once per order: the outbox row
 * carries `notBefore = expiresAt`, so the relay publishes it when due, and it survives restarts
 * of this service, NATS and the database like any committed outbox row.
 */
export async function scheduleExpiration(
  tx: Tx,
  input: { orderId: string; expiresAt: Date },
): Promise<ScheduleResult> {
  const eventId = crypto.randomUUID();
  const claimed = await tx
    .insert(scheduledExpirations)
    .values({ orderId: input.orderId, expiresAt: input.expiresAt, eventId })
    .onConflictDoNothing()
    .returning({ orderId: scheduledExpirations.orderId });
  if (claimed.length === 0) return 'already-scheduled';
  await outbox.add(
    tx,
    'expiration.complete',
    { orderId: input.orderId },
    { id: eventId, notBefore: input.expiresAt },
  );
  return 'scheduled';
}
