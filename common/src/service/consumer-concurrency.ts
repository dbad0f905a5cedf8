import { ConfigError } from '../config/config';

/** The most messages one consumer may handle at once (each holds a database connection). */
export const MAX_CONSUMER_CONCURRENCY = 64;

/**
 * How many messages each consumer of a service handles at once. `setting` is the service's
 * `CONSUMER_CONCURRENCY`: a number for every consumer, `name=number` pairs for single ones (the
 * consumer's name, which defaults to its subject), or both, comma-separated: `4,order.created=8`.
 * Precedence: the setting's pair for the consumer, the setting's number, the consumer's declared
 * `concurrency`, the service's declared `consumerConcurrency`, 1. Throws `ConfigError` for a
 * malformed setting or a name no consumer has.
 */
export function consumerConcurrencies(
  consumers: readonly { subject: string; name?: string; concurrency?: number }[],
  declaredForService: number | undefined,
  setting: string | undefined,
): Map<string, number> {
  const names = consumers.map((c) => c.name ?? c.subject);
  const parsed = parseSetting(setting, names);
  const out = new Map<string, number>();
  consumers.forEach((c, i) => {
    const name = names[i]!;
    const chosen = parsed.byName.get(name) ?? parsed.all ?? c.concurrency ?? declaredForService ?? 1;
    out.set(name, chosen);
  });
  return out;
}

function parseSetting(
  setting: string | undefined,
  names: readonly string[],
): { all?: number; byName: Map<string, number> } {
  const byName = new Map<string, number>();
  let all: number | undefined;
  if (setting === undefined || setting.trim() === '') return { byName };
  const problems: string[] = [];
  for (const part of setting.split(',').map((p) => p.trim())) {
    const [name, value] = part.includes('=') ? part.split('=', 2).map((p) => p.trim()) : [undefined, part];
    const n = Number(value);
    if (!/^\d+$/.test(value ?? '') || n < 1 || n > MAX_CONSUMER_CONCURRENCY) {
      problems.push(
        `CONSUMER_CONCURRENCY: "${part}" must be a whole number from 1 to ${MAX_CONSUMER_CONCURRENCY}, or <consumer>=<number>`,
      );
    } else if (name === undefined) {
      if (all !== undefined) problems.push('CONSUMER_CONCURRENCY: more than one number for every consumer');
      all = n;
    } else if (!names.includes(name)) {
      problems.push(
        `CONSUMER_CONCURRENCY: this service has no consumer "${name}" (${names.join(', ') || 'none'})`,
      );
    } else {
      byName.set(name, n);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { all, byName };
}
