/**
 * The board's event loop, driven by the host's.
 *
 * Espruino runs one "idle pass" at a time: each socket moves at most one chunk in and one chunk
 * out, then the queued events (emit, socket and Wifi events) run. Here a pass is one host
 * setImmediate, scheduled only while there is work, so an idle board keeps nothing alive but
 * its timers. A callback that throws is reported as uncaught and the board carries on.
 */
import type { BoardValue } from './context.ts';

/** Something looked at once per idle pass (a socket). */
export interface Poller {
  /** Does this pass's work; returns true if there is more to do without waiting for the host. */
  poll(): boolean;
}

/** How callbacks meet the board's memory (memory.ts); the loop runs without one too. */
export interface CallbackGuard {
  /** Whether a callback can run at all (false: the pool is full even after a garbage collection). */
  canRun(): boolean;
  /** After a callback returned or threw: whether it was aborted for memory (then it is reported). */
  aborted(error: unknown): boolean;
  /** Reports an interrupted callback, as Espruino prints it; `interval` when it was an interval's. */
  interrupted(interval: boolean): void;
}

interface QueuedCall {
  fn: unknown;
  thisArg: unknown;
  args: readonly unknown[];
}

/** Runs board callbacks; see the file comment. */
export class BoardLoop {
  private events: QueuedCall[] = [];
  private readonly pollers = new Set<Poller>();
  private readonly hostTimers = new Set<NodeJS.Timeout>();
  private scheduled: NodeJS.Immediate | undefined;
  private stoppedFlag = false;
  /** Set by the board once its memory is accounted. */
  guard: CallbackGuard | undefined;

  /**
   * @param evaluate runs a string callback (Espruino accepts code strings for timers and listeners)
   * @param reportUncaught receives what a board callback threw
   */
  constructor(
    private readonly evaluate: (code: string) => void,
    private readonly reportUncaught: (error: unknown) => void,
  ) {}

  /** True after stop(): nothing of the board runs any more. */
  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /**
   * Calls a board callback now; a throw becomes an uncaught exception, not the caller's.
   * Returns false when the callback was interrupted (out of memory) or could not run.
   */
  invoke(fn: unknown, thisArg: unknown, args: readonly unknown[], interval = false): boolean {
    if (this.stoppedFlag) return true;
    const guard = this.guard;
    if (guard && !guard.canRun()) {
      guard.interrupted(interval);
      return false;
    }
    let thrown: unknown;
    let threw = false;
    try {
      if (typeof fn === 'function') Reflect.apply(fn, thisArg, args);
      else if (typeof fn === 'string') this.evaluate(fn);
    } catch (error) {
      thrown = error;
      threw = true;
    }
    if (guard && guard.aborted(thrown)) {
      guard.interrupted(interval);
      return false;
    }
    if (threw) this.reportUncaught(thrown);
    return true;
  }

  /** What queued events hold in the board's memory. */
  memoryRoots(): { values: unknown[]; count: number } {
    const values: unknown[] = [];
    for (const call of this.events) values.push(call.fn, call.thisArg, ...call.args);
    return { values, count: this.events.length };
  }

  /** Queues a board callback for the next idle pass (Espruino's jsiQueueEvents). */
  queue(fn: BoardValue, thisArg: unknown, args: readonly unknown[]): void {
    if (this.stoppedFlag) return;
    this.events.push({ fn, thisArg, args });
    this.wake();
  }

  addPoller(poller: Poller): void {
    this.pollers.add(poller);
    this.wake();
  }

  removePoller(poller: Poller): void {
    this.pollers.delete(poller);
  }

  /** Schedules an idle pass if none is pending. */
  wake(): void {
    if (this.scheduled || this.stoppedFlag) return;
    this.scheduled = setImmediate(() => this.pass());
  }

  /** A host timer that belongs to the board (Wifi delays, dead links): stop() clears it. Returns a cancel function. */
  after(ms: number, fn: () => void): () => void {
    const timer = setTimeout(() => {
      this.hostTimers.delete(timer);
      if (!this.stoppedFlag) fn();
    }, ms);
    this.hostTimers.add(timer);
    return () => {
      clearTimeout(timer);
      this.hostTimers.delete(timer);
    };
  }

  /** Stops everything: no pass, queued event or host timer of the board runs after this. */
  stop(): void {
    this.stoppedFlag = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    for (const timer of this.hostTimers) clearTimeout(timer);
    this.hostTimers.clear();
    this.events = [];
    this.pollers.clear();
  }

  private pass(): void {
    this.scheduled = undefined;
    let again = false;
    for (const poller of [...this.pollers]) if (poller.poll()) again = true;
    // Events queued while these run (an emit inside a listener) wait for the next pass.
    const batch = this.events;
    this.events = [];
    for (const call of batch) this.invoke(call.fn, call.thisArg, call.args);
    if (again || this.events.length > 0) this.wake();
  }
}
