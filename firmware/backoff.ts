/** Reconnect policy: exponential backoff with full jitter, as a pure function. */
export interface BackoffPolicy {
  /** Smallest delay before a reconnect, ms. */
  minDelay: number;
  /** Largest delay, ms. */
  maxDelay: number;
  /** Attempts before giving up; 0 for no limit. */
  maxAttempts: number;
}

/**
 * Delay before reconnect attempt `attempt` (0 for the first): a uniform draw between minDelay
 * and min(maxDelay, minDelay·2^(attempt+1)). Every delay is jittered, the first included, so
 * a fleet of boards that lost the same server does not come back in step.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random01: number): number {
  let cap = policy.minDelay * Math.pow(2, attempt > 30 ? 31 : attempt + 1);
  if (cap > policy.maxDelay) cap = policy.maxDelay;
  return Math.round(policy.minDelay + random01 * (cap - policy.minDelay));
}

/**
 * A connection that stayed open this long (ms) counts as healthy: only then does the backoff
 * start over. A server that accepts and drops at once keeps the fleet backing off.
 */
export const STABLE_CONNECTION_MS = 30000;
