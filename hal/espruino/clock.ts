import type { Clock, TimerId } from '../types';

/** A timer of this clock: the function Espruino calls, holding Espruino's id while pending. */
interface Timer {
  (): void;
  /** Espruino's id while the timer is pending; null once it fired or was cleared. */
  i: unknown;
}

/**
 * Espruino's clock and timers. Two traps are avoided: clearTimeout(undefined) throws (and
 * clearTimeout() with no argument clears every timer), and timer ids are reused (a new timer
 * may get the id of one that fired), so clearing a stale id could cancel someone else's
 * timer. A handle therefore remembers whether it is still pending. The handle is the function
 * Espruino calls, with the id as a property: no object besides the one closure a timer needs.
 */
export const espruinoClock: Clock = {
  /** getTime() is float seconds with microsecond resolution. */
  now: function (): number {
    return getTime() * 1000;
  },
  setTimeout: function (fn: () => void, ms: number): TimerId {
    const timer = function () {
      timer.i = null;
      fn();
    } as Timer;
    timer.i = setTimeout(timer, ms);
    return timer;
  },
  clearTimeout: function (id: TimerId): void {
    const timer = id as Timer | null | undefined;
    // Loose != null: neither null (fired or cleared) nor undefined (not a handle of this clock).
    if (!timer || timer.i == null) return;
    clearTimeout(timer.i as ReturnType<typeof setTimeout>);
    timer.i = null;
  },
};
