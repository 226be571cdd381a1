/**
 * setTimeout / setInterval / clearTimeout / clearInterval / changeInterval with Espruino's rules
 * (src/jswrap_interactive.c), run from host timers:
 * - ids are small integers, shared by timeouts and intervals (either clear function clears either);
 * - clearTimeout() with no argument clears every timer; clearTimeout(undefined) throws;
 * - an unknown id is ignored; the callback may be a code string; extra arguments are passed on;
 * - intervals below 0.1 ms (or NaN) become 0.1 ms.
 */
import type { BoardRealm } from './context.ts';
import type { BoardLoop } from './loop.ts';

const MIN_INTERVAL_MS = 0.1;
const MAX_INTERVAL_MS = 100 * 365 * 24 * 3600 * 1000;

interface Timer {
  handle: NodeJS.Timeout;
  repeat: boolean;
  fn: unknown;
  args: unknown[];
}

/** The board's timers. */
export class BoardTimers {
  private readonly timers = new Map<number, Timer>();
  private nextId = 1;

  constructor(
    private readonly realm: BoardRealm,
    private readonly loop: BoardLoop,
  ) {}

  /** Defines the timer globals on the board. */
  install(): void {
    const realm = this.realm;
    realm.defineGlobal(
      'setTimeout',
      realm.fn((fn: unknown, ms?: unknown, ...args: unknown[]) => this.add(fn, ms, args, false)),
    );
    realm.defineGlobal(
      'setInterval',
      realm.fn((fn: unknown, ms?: unknown, ...args: unknown[]) => this.add(fn, ms, args, true)),
    );
    realm.defineGlobal(
      'clearTimeout',
      realm.fn((...ids: unknown[]) => this.clear(ids, 'Timeout')),
    );
    realm.defineGlobal(
      'clearInterval',
      realm.fn((...ids: unknown[]) => this.clear(ids, 'Interval')),
    );
    realm.defineGlobal(
      'changeInterval',
      realm.fn((id: unknown, ms: unknown) => this.change(id, ms)),
    );
  }

  /** What the timers hold in the board's memory: their callbacks and arguments. */
  memoryRoots(): { values: unknown[]; count: number } {
    const values: unknown[] = [];
    for (const timer of this.timers.values()) values.push(timer.fn, ...timer.args);
    return { values, count: this.timers.size };
  }

  /** Number of pending timers. */
  get size(): number {
    return this.timers.size;
  }

  /** Stops every timer. */
  clearAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer.handle);
    this.timers.clear();
  }

  private add(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    if (typeof fn !== 'function' && typeof fn !== 'string') throw this.realm.error('Function or String not supplied!');
    const interval = this.interval(ms);
    const id = this.nextId++;
    const timer: Timer = { handle: this.schedule(id, interval, repeat), repeat, fn, args };
    this.timers.set(id, timer);
    return id;
  }

  private schedule(id: number, interval: number, repeat: boolean): NodeJS.Timeout {
    const fire = (): void => {
      const timer = this.timers.get(id);
      if (!timer) return;
      if (!timer.repeat) this.timers.delete(id);
      if (this.loop.invoke(timer.fn, undefined, timer.args, timer.repeat)) return;
      // Espruino drops an interval whose callback was interrupted (out of memory).
      if (timer.repeat && this.timers.get(id) === timer) {
        clearTimeout(timer.handle);
        this.timers.delete(id);
      }
    };
    return repeat ? setInterval(fire, interval) : setTimeout(fire, interval);
  }

  private interval(ms: unknown): number {
    let interval = Number(ms);
    if (Number.isNaN(interval) || interval < MIN_INTERVAL_MS) interval = MIN_INTERVAL_MS;
    if (interval > MAX_INTERVAL_MS) throw this.realm.error('Interval is too long (>100 years)');
    return interval;
  }

  private clear(ids: unknown[], kind: 'Timeout' | 'Interval'): void {
    if (ids.length === 0) {
      this.clearAll();
      return;
    }
    // Guards against clearTimeout(this.timer) wiping every timer when this.timer is unset.
    if (ids[0] === undefined) throw this.realm.error(`clear${kind}(undefined) not allowed. Use clear${kind}() instead`);
    const id = Number(ids[0]);
    const timer = this.timers.get(id);
    if (!timer) return;
    clearTimeout(timer.handle);
    this.timers.delete(id);
  }

  private change(id: unknown, ms: unknown): void {
    const key = Number(id);
    const timer = this.timers.get(key);
    if (!timer) throw this.realm.error('Unknown Interval');
    clearTimeout(timer.handle);
    timer.handle = this.schedule(key, this.interval(ms), timer.repeat);
  }
}
