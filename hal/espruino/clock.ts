import type { Clock, TimerId } from '../types';

/** A timer of this clock: Espruino's id while pending, null once it fired or was cleared. */
interface Handle {
  id: unknown;
}

/**
 * Espruino's clock and timers. Two traps are avoided: clearTimeout(undefined) throws (and
 * clearTimeout() with no argument clears every timer), and timer ids are reused (a new timer
 * may get the id of one that fired), so clearing a stale id could cancel someone else's
 * timer. Handles therefore remember whether they are still pending.
 */
export const espruinoClock: Clock = {
  /** getTime() is float seconds with microsecond resolution. */
  now: function (): number {
    return getTime() * 1000;
  },
  setTimeout: function (fn: () => void, ms: number): TimerId {
    const handle: Handle = { id: null };
    handle.id = setTimeout(function () {
      handle.id = null;
      fn();
    }, ms);
    return handle;
  },
  clearTimeout: function (timer: TimerId): void {
    const handle = timer as Handle | null | undefined;
    if (!handle || handle.id === null || handle.id === undefined) return;
    clearTimeout(handle.id as ReturnType<typeof setTimeout>);
    handle.id = null;
  },
};
