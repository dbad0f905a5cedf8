import type { Pool } from 'pg';

/** What a query plan does: every node's type, and the indexes it reads. */
export interface QueryPlan {
  nodeTypes: string[];
  indexes: string[];
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/**
 * The plan PostgreSQL chooses for a Drizzle query, with its parameters bound (EXPLAIN, not
 * ANALYZE: nothing runs), so a test can show a list query walks an index instead of a Seq Scan.
 */
export async function queryPlan(
  pool: Pool,
  query: { toSQL(): { sql: string; params: unknown[] } },
): Promise<QueryPlan> {
  const { sql, params } = query.toSQL();
  const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `explain (format json) ${sql}`,
    params,
  );
  const plan: QueryPlan = { nodeTypes: [], indexes: [] };
  const visit = (node: PlanNode) => {
    plan.nodeTypes.push(node['Node Type']);
    if (node['Index Name']) plan.indexes.push(node['Index Name']);
    node.Plans?.forEach(visit);
  };
  visit(rows[0]!['QUERY PLAN'][0].Plan);
  return plan;
}
