import type { Clock, TimerId } from '../types';

interface Timer {
  id: number;
  due: number;
  /** Tie-breaker: timers due at the same instant run in the order they were scheduled. */
  seq: number;
  fn: () => void;
  label: string;
}

/**
 * Guards against a timer that keeps rescheduling itself with zero delay, which would
 * otherwise hang `advance()` forever without virtual time moving.
 */
const MAX_TIMERS_PER_INSTANT = 5_000_000;

/**
 * A {@link Clock} on virtual time. Nothing happens until the test calls {@link advance}
 * or {@link runUntilIdle}; timers then run in due-time order (FIFO for equal times),
 * including timers scheduled by other timers, and `now()` reads each timer's due time
 * while its callback runs. An exception thrown by a callback propagates out of
 * `advance()`; the clock then stays at that timer's due time.
 */
export class SimClock implements Clock {
  private current: number;
  private nextId = 1;
  private running = false;
  /** Binary min-heap on (due, seq); cleared timers stay in it until they surface. */
  private heap: Timer[] = [];
  /** Timers still pending, by id: the source of truth for clearTimeout and counts. */
  private live = new Map<number, Timer>();

  constructor(startTime = 0) {
    this.current = startTime;
  }

  now(): number {
    return this.current;
  }

  /** `label` only shows up in {@link describePending} (and so in leak reports). */
  setTimeout(fn: () => void, ms: number, label = 'timer'): TimerId {
    // Like the platforms: negative, NaN or missing delays mean "as soon as possible".
    const delay = Math.max(ms, 0);
    const id = this.nextId++;
    const timer: Timer = { id, due: this.current + delay, seq: id, fn, label };
    this.live.set(id, timer);
    this.push(timer);
    return id;
  }

  clearTimeout(id: TimerId): void {
    // Unknown, fired or already cleared handles simply miss the map.
    this.live.delete(id as number);
  }

  /** Number of timers scheduled and not yet run or cleared. */
  pendingTimers(): number {
    return this.live.size;
  }

  /** One line per pending timer ("label due at 12ms"), in due order, for leak reports. */
  describePending(): string[] {
    return [...this.live.values()].sort(compare).map((t) => `${t.label} (#${t.id}) due at ${t.due}ms`);
  }

  /** Moves virtual time forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`SimClock.advance: bad duration ${ms}`);
    const target = this.current + ms;
    this.runDue(target);
    this.current = target;
  }

  /**
   * Runs timers until none is pending or `maxMs` of virtual time has passed. Returns true
   * when idle; the clock then stays at the last timer's due time (otherwise at the limit).
   */
  runUntilIdle(maxMs = 60_000): boolean {
    const limit = this.current + maxMs;
    this.runDue(limit);
    if (this.live.size === 0) return true;
    this.current = limit;
    return false;
  }

  private runDue(limit: number): void {
    if (this.running) throw new Error('SimClock: advance()/runUntilIdle() called from inside a timer');
    this.running = true;
    try {
      let sameInstant = 0;
      for (let timer = this.peek(); timer && timer.due <= limit; timer = this.peek()) {
        this.pop();
        this.live.delete(timer.id);
        sameInstant = timer.due === this.current ? sameInstant + 1 : 0;
        if (sameInstant > MAX_TIMERS_PER_INSTANT) {
          throw new Error(`SimClock: more than ${MAX_TIMERS_PER_INSTANT} timers at ${this.current}ms (a zero-delay loop?)`);
        }
        this.current = timer.due;
        timer.fn();
      }
    } finally {
      this.running = false;
    }
  }

  /** The earliest live timer, discarding cleared ones on the way. */
  private peek(): Timer | undefined {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.live.has(top.id)) return top;
      this.pop();
    }
    return undefined;
  }

  /** The timer in heap slot `i`; an empty slot inside the heap is a bug in the heap code. */
  private slot(i: number): Timer {
    const timer = this.heap[i];
    if (timer === undefined) throw new Error(`SimClock: heap slot ${i} of ${this.heap.length} is empty`);
    return timer;
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = this.slot(parent);
      if (compare(above, timer) <= 0) break;
      heap[parent] = timer;
      heap[i] = above;
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    // `last` sinks from the root, swapping with its smaller child while that child is smaller.
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      let least = last;
      if (left < heap.length) {
        const candidate = this.slot(left);
        if (compare(candidate, least) < 0) {
          smallest = left;
          least = candidate;
        }
      }
      if (right < heap.length) {
        const candidate = this.slot(right);
        if (compare(candidate, least) < 0) {
          smallest = right;
          least = candidate;
        }
      }
      if (smallest === i) return;
      heap[smallest] = last;
      heap[i] = least;
      i = smallest;
    }
  }
}

function compare(a: Timer, b: Timer): number {
  return a.due - b.due || a.seq - b.seq;
}
