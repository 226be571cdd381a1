import { performance } from 'node:perf_hooks';
import type { Clock, TimerId } from '../types';

/** The real clock: monotonic `performance.now()` and Node's own timers. */
export function createNodeClock(): Clock {
  return {
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    // Node ignores handles it does not know, fired or cleared ones included.
    clearTimeout: (id: TimerId) => clearTimeout(id as NodeJS.Timeout | undefined),
  };
}
