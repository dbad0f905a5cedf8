import type { Pool } from 'pg';

/**
 * Runs `delete from <table> where ctid in (select ctid from <table> where <where> limit <batch>)`
 * until a batch comes back short, so pruning a large table never holds a long lock; returns how
 * many rows went. `where` may use $1.. for `params`; the batch size is bound after them.
 */
export async function deleteInBatches(
  pool: Pool,
  table: string,
  where: string,
  params: unknown[] = [],
  batchSize = 5_000,
): Promise<number> {
  const sql = `delete from ${table} where ctid in
    (select ctid from ${table} where ${where} limit $${params.length + 1})`;
  let total = 0;
  for (;;) {
    const r = await pool.query(sql, [...params, batchSize]);
    const n = r.rowCount ?? 0;
    total += n;
    if (n < batchSize) return total;
  }
}
