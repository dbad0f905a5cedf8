import type { Database } from './database';

/**
 * A statement prepared once per database handle: `preparedOn((db) => db.select()...prepare('name'))`
 * returns a function giving that handle's prepared query. Drizzle then builds the SQL once instead
 * of on every call (its query building was about a sixth of a primary-key GET), and PostgreSQL
 * parses and plans it once per connection. For queries on the pool only: a transaction runs its
 * statements on its own client, through `tx`.
 */
export function preparedOn<Q>(prepare: (db: Database) => Q): (db: Database) => Q {
  const byDatabase = new WeakMap<Database, Q>();
  return (db) => {
    let query = byDatabase.get(db);
    if (query === undefined) {
      query = prepare(db);
      byDatabase.set(db, query);
    }
    return query;
  };
}
