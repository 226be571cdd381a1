import type { TimerId } from '../types';
import type { SimClock } from './clock';

/** What travels one way on a simulated connection: bytes, a FIN or a RST. */
export type Segment = { type: 'data'; bytes: Uint8Array } | { type: 'fin' } | { type: 'rst' };

/** How a pipe shapes traffic; read at each send, so changes apply to later sends. */
export interface LinkShape {
  /** Largest piece delivered at once (Infinity: whole sends). */
  chunkSize: number;
  /** One-way delay in virtual ms. */
  latencyMs: number;
  /** Link speed (Infinity: instantaneous). */
  bytesPerMs: number;
}

interface Queued {
  segment: Segment;
  /** Virtual time at which the segment reaches the far end. */
  at: number;
}

/**
 * One direction of a simulated connection. Segments are split, delayed and delivered
 * strictly in order, one per clock timer, to `receiver`. A blocked pipe (connection not
 * yet up, or the reader paused) holds data and FINs; a RST always gets through.
 */
export class Pipe {
  /** Called from a clock timer for each segment that arrives. */
  receiver: (segment: Segment) => void = () => {};
  private queue: Queued[] = [];
  /** Index of the head in `queue`: shifting a 64 KiB queue of 1-byte pieces would be quadratic. */
  private head = 0;
  private blocked = false;
  private timer: TimerId | undefined;
  /** When the link finishes transmitting what is queued (bandwidth). */
  private linkFreeAt = 0;
  /** Arrival time of the last segment: later segments never overtake it. */
  private lastArrival = 0;

  constructor(
    private readonly clock: SimClock,
    private readonly label: string,
    private readonly shape: () => LinkShape,
  ) {}

  /** Queues a segment (data is split into chunkSize pieces); the caller gives up the bytes. */
  send(segment: Segment): void {
    const { chunkSize, latencyMs, bytesPerMs } = this.shape();
    const now = this.clock.now();
    for (const piece of split(segment, chunkSize)) {
      const size = piece.type === 'data' ? piece.bytes.length : 0;
      const start = Math.max(now, this.linkFreeAt);
      this.linkFreeAt = start + (bytesPerMs === Infinity ? 0 : size / bytesPerMs);
      this.lastArrival = Math.max(this.linkFreeAt + latencyMs, this.lastArrival);
      this.queue.push({ segment: piece, at: this.lastArrival });
    }
    this.schedule();
  }

  /** Drops everything still in flight (an abort): nothing more is delivered until the next send. */
  abort(): void {
    this.queue = [];
    this.head = 0;
    this.linkFreeAt = 0;
    this.lastArrival = 0;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Holds (true) or releases (false) data and FIN delivery. */
  setBlocked(blocked: boolean): void {
    this.blocked = blocked;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const next = this.queue[this.head];
    if (next === undefined || !this.canDeliver(next)) return;
    const delay = Math.max(0, next.at - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.deliverOne(), delay, this.label);
  }

  private deliverOne(): void {
    this.timer = undefined;
    const next = this.queue[this.head];
    if (next === undefined || !this.canDeliver(next)) return;
    this.head++;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    // The receiver may send, abort or block this pipe; schedule() re-reads the state after.
    this.receiver(next.segment);
    this.schedule();
  }

  private canDeliver(next: Queued): boolean {
    return !this.blocked || next.segment.type === 'rst';
  }
}

function split(segment: Segment, chunkSize: number): Segment[] {
  if (segment.type !== 'data') return [segment];
  const { bytes } = segment;
  const size = Math.max(1, Math.floor(chunkSize)) || Infinity;
  if (bytes.length <= size) return bytes.length > 0 ? [segment] : [];
  const pieces: Segment[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    pieces.push({ type: 'data', bytes: bytes.subarray(i, i + size) });
  }
  return pieces;
}
