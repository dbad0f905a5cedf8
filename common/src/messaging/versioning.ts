/**
 * Versioned replicas: a record's owner bumps `version` on every change; a replica applies
 * version N only when it holds N-1.
 */

/** What to do with an incoming version: apply it, skip a repeat, or wait for the ones before it. */
export type VersionDecision = 'apply' | 'repeat' | 'not-yet';

/** Decides for `incoming` given the version the replica holds (`undefined` when it holds nothing yet). */
export function versionDecision(held: number | undefined | null, incoming: number): VersionDecision {
  if (held === undefined || held === null) return incoming === 0 ? 'apply' : 'not-yet';
  if (incoming <= held) return 'repeat';
  return incoming === held + 1 ? 'apply' : 'not-yet';
}

/**
 * Thrown by a handler when the event cannot be applied yet (an earlier version has not arrived):
 * the consumer rolls back and redelivers it later, without counting it as a failure.
 */
export class NotYetApplicableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'NotYetApplicableError';
  }
}

/**
 * Applies `versionDecision`: returns true when the handler should apply the event, false for a
 * repeat (acknowledge and skip), and throws `NotYetApplicableError` when an earlier version is missing.
 */
export function shouldApplyVersion(
  held: number | undefined | null,
  incoming: number,
  what = 'record',
): boolean {
  const decision = versionDecision(held, incoming);
  if (decision === 'not-yet') {
    throw new NotYetApplicableError(`${what} version ${incoming} waits for ${held == null ? 0 : held + 1}`);
  }
  return decision === 'apply';
}
