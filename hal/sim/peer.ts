import type { TcpTarget } from '../types';
import type { SimClock } from './clock';
import type { Pipe, Segment } from './pipe';

/**
 * The server side of one simulated connection, handed to the listener given to
 * `SimNetwork.listen`. Test scripts use it to answer, half-close or reset. Its callbacks
 * are delivered from clock timers, like the client's.
 *
 * The peer is half-open after the client's FIN until it calls end() itself (an echo
 * script typically does `peer.onEnd(() => peer.end())`).
 */
export class SimPeer {
  /** True once the connection is over for the server: FINs both ways, or a reset/abort either way. */
  closed = false;
  private sentFin = false;
  private gotFin = false;
  private chunks: Uint8Array[] = [];
  private dataHandlers: Array<(bytes: Uint8Array) => void> = [];
  private endHandlers: Array<() => void> = [];
  private closeHandlers: Array<() => void> = [];

  /** @internal Created by SimSocket when the connection is accepted. */
  constructor(
    private readonly clock: SimClock,
    /** What the client asked for (host, port, tls, tlsOptions). */
    readonly target: TcpTarget,
    private readonly toClient: Pipe,
    private readonly fromClient: Pipe,
  ) {}

  /** True once this side has sent its FIN (end()): send() throws from then on. */
  get ended(): boolean {
    return this.sentFin;
  }

  /** Sends bytes to the client (copied). Ignored once the connection is closed; throws after end(). */
  send(bytes: Uint8Array): void {
    if (this.sentFin) throw new Error('SimPeer.send: called after end()');
    if (this.closed || bytes.length === 0) return;
    this.toClient.send({ type: 'data', bytes: bytes.slice() });
  }

  /** Half-closes (FIN) after what was sent. Idempotent. */
  end(): void {
    if (this.sentFin || this.closed) return;
    this.sentFin = true;
    this.toClient.send({ type: 'fin' });
    if (this.gotFin) this.close(true);
  }

  /** Aborts the connection: the client sees, after what was already sent, onError 'reset' then onClose. */
  reset(): void {
    if (this.closed) return;
    this.fromClient.abort();
    this.toClient.send({ type: 'rst' });
    this.close(true);
  }

  /** Stops reading: client bytes stay in flight, unacknowledged, so the client gets no onDrain. */
  pauseReading(): void {
    this.fromClient.setBlocked(true);
  }

  resumeReading(): void {
    this.fromClient.setBlocked(false);
  }

  /** Called for each piece of client data, as it arrives. */
  onData(fn: (bytes: Uint8Array) => void): void {
    this.dataHandlers.push(fn);
  }

  /** Called when the client's FIN arrives (the client called end(), or answered the peer's FIN). */
  onEnd(fn: () => void): void {
    this.endHandlers.push(fn);
  }

  /** Called once when {@link closed} becomes true. */
  onClose(fn: () => void): void {
    this.closeHandlers.push(fn);
  }

  /** Every byte received from the client so far, concatenated. */
  received(): Uint8Array {
    // Keep the concatenation so repeated calls do not copy every chunk again.
    const [first] = this.chunks;
    const all = this.chunks.length === 1 && first ? first : concat(this.chunks);
    this.chunks = [all];
    return all.slice();
  }

  /** @internal A segment from the client has arrived (called from a clock timer). */
  receive(segment: Segment): void {
    if (this.closed) return;
    switch (segment.type) {
      case 'data':
        this.chunks.push(segment.bytes);
        for (const fn of this.dataHandlers) fn(segment.bytes);
        return;
      case 'fin':
        this.gotFin = true;
        for (const fn of this.endHandlers) fn();
        if (this.sentFin) this.close(false);
        return;
      case 'rst':
        this.toClient.abort();
        this.close(false);
        return;
    }
  }

  /** @internal The network dropped the connection (resetAfterBytes); called from a clock timer. */
  lost(): void {
    if (!this.closed) this.close(false);
  }

  /** `deferred` when called from a script's method call, so handlers still run from a timer. */
  private close(deferred: boolean): void {
    this.closed = true;
    const run = (): void => {
      for (const fn of this.closeHandlers) fn();
    };
    if (deferred) this.clock.setTimeout(run, 0, `sim peer ${this.target.host}:${this.target.port} close`);
    else run();
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const chunk of chunks) total += chunk.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
