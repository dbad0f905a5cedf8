import { statusLabel } from '@/lib/format';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge ${status.replace(':', '-')}`} data-testid="order-status" data-status={status}>
      {statusLabel(status)}
    </span>
  );
}
