/** Display helpers, shared by server and client components. */

const priceFormat = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });

export function formatPrice(price: number): string {
  return priceFormat.format(price);
}

/** Milliseconds left → "14:59", "1:02:03" past an hour, "0:00" when over. Rounds up, so 0:00 means really over. */
export function formatCountdown(msLeft: number): string {
  const total = Math.max(0, Math.ceil(msLeft / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  return `${minutes}:${ss}`;
}

export type OrderStatus = 'created' | 'awaiting:payment' | 'complete' | 'cancelled';

export function statusLabel(status: string): string {
  switch (status) {
    case 'created':
    case 'awaiting:payment':
      return 'Awaiting payment';
    case 'complete':
      return 'Complete';
    case 'cancelled':
      return 'Cancelled';
    default:
      return status;
  }
}

/** An order can still be paid while it is open and its reservation has time left. */
export function isPayable(status: string, expiresAt: string, now: number): boolean {
  return (status === 'created' || status === 'awaiting:payment') && Date.parse(expiresAt) > now;
}
