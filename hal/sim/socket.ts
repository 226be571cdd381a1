import type { HalError, TcpHandlers, TcpSocket, TcpTarget, TimerId } from '../types';
import type { SimClock } from './clock';
import type { SimFaults } from './faults';
import { SimPeer } from './peer';
import { Pipe, type Segment } from './pipe';

/**
 * The client side of one simulated connection, returned by `SimNetwork.connect`.
 * It owns the two pipes; the server side is the {@link SimPeer} created on accept.
 *
 * Like Node with allowHalfOpen=false, a FIN from the peer ends the socket: onEnd, an
 * automatic FIN back (after anything still queued), then onClose.
 */
export class SimSocket implements TcpSocket {
  /** The server side, once accepted. */
  peer: SimPeer | undefined;
  private phase: 'connecting' | 'open' | 'closed' = 'connecting';
  private ended = false;
  private peerEnded = false;
  private destroyed = false;
  private connectTimer: TimerId | undefined;
  /** Written bytes not yet delivered to the peer (the write buffer). */
  private backlog = 0;
  private needDrain = false;
  /** Bytes delivered to the client so far, for resetAfterBytes. */
  private bytesIn = 0;
  private readonly up: Pipe;
  private readonly down: Pipe;

  /** @internal Created by SimNetwork.connect. */
  constructor(
    private readonly clock: SimClock,
    readonly target: TcpTarget,
    private readonly handlers: TcpHandlers,
    private readonly faults: SimFaults,
    /** Names this socket in leak reports and timer labels. */
    readonly label: string,
  ) {
    this.up = new Pipe(clock, `sim ${label} client→server`, () => ({
      chunkSize: faults.chunkSize,
      latencyMs: faults.latencyMs,
      bytesPerMs: faults.writeBytesPerMs,
    }));
    this.down = new Pipe(clock, `sim ${label} server→client`, () => ({
      chunkSize: faults.chunkSize,
      latencyMs: faults.latencyMs,
      bytesPerMs: Infinity,
    }));
    this.up.setBlocked(true); // writes made while connecting wait for the connection
    this.up.receiver = (segment) => this.arriveAtPeer(segment);
    this.down.receiver = (segment) => this.arriveAtClient(segment);
  }

  write(bytes: Uint8Array): boolean {
    if (this.destroyed || this.phase === 'closed') throw new Error(`TcpSocket.write: ${this.label} is closed`);
    if (this.ended) throw new Error(`TcpSocket.write: called after end() on ${this.label}`);
    if (this.peerEnded) throw new Error(`TcpSocket.write: the peer has closed ${this.label}`);
    if (bytes.length > 0) {
      this.backlog += bytes.length;
      this.up.send({ type: 'data', bytes: bytes.slice() });
    }
    if (this.backlog <= this.faults.writeBufferBytes) return true;
    this.needDrain = true;
    return false;
  }

  end(): void {
    if (this.destroyed || this.phase === 'closed') return;
    this.sendFin();
  }

  destroy(): void {
    if (this.destroyed || this.phase === 'closed') return;
    this.destroyed = true;
    this.clock.clearTimeout(this.connectTimer);
    this.up.abort();
    this.down.abort();
    if (this.peer) this.up.send({ type: 'rst' }); // tell the server, after the latency
    this.clock.setTimeout(() => this.finish(), 0, `sim ${this.label} close`);
  }

  /** True until the client has seen onClose and the server side has closed too. */
  isOpen(): boolean {
    return this.phase !== 'closed' || (this.peer !== undefined && !this.peer.closed);
  }

  /** e.g. "echo.sim:7#3 (client open, server closed)", for leak reports. */
  describe(): string {
    const client = this.destroyed && this.phase !== 'closed' ? 'destroyed' : this.phase;
    const server = this.peer ? (this.peer.closed ? 'closed' : 'open') : 'none';
    return `${this.label} (client ${client}, server ${server})`;
  }

  /** @internal Runs `attempt` after `delayMs`, unless destroyed first. */
  pendConnect(delayMs: number, attempt: () => void): void {
    this.connectTimer = this.clock.setTimeout(attempt, delayMs, `sim ${this.label} connect`);
  }

  /** @internal The connection attempt failed (called from a clock timer). */
  fail(error: HalError): void {
    this.up.abort();
    this.finish(error);
  }

  /** @internal A listener accepted (called from a clock timer): creates the peer, then onConnect. */
  accept(onConnection: (peer: SimPeer) => void): void {
    if (this.phase !== 'connecting' || this.destroyed) return;
    this.phase = 'open';
    this.peer = new SimPeer(this.clock, this.target, this.down, this.up);
    this.up.setBlocked(false); // before the script runs, so it may pauseReading()
    onConnection(this.peer);
    if (this.isLive()) this.handlers.onConnect();
  }

  private arriveAtPeer(segment: Segment): void {
    this.peer?.receive(segment);
    if (segment.type !== 'data') return;
    this.backlog -= segment.bytes.length;
    if (this.needDrain && this.backlog === 0 && this.isLive()) {
      this.needDrain = false;
      this.handlers.onDrain();
    }
  }

  private arriveAtClient(segment: Segment): void {
    if (!this.isLive()) return;
    switch (segment.type) {
      case 'data':
        this.receiveData(segment.bytes);
        return;
      case 'fin':
        this.peerEnded = true;
        this.handlers.onEnd();
        if (!this.destroyed) this.sendFin();
        this.finish();
        return;
      case 'rst':
        this.up.abort();
        this.finish(resetError(`connection ${this.label} reset by peer`));
        return;
    }
  }

  private receiveData(bytes: Uint8Array): void {
    const limit = this.faults.resetAfterBytes;
    if (limit === undefined || this.bytesIn + bytes.length < limit) {
      this.bytesIn += bytes.length;
      this.handlers.onData(bytes);
      return;
    }
    // The network cuts the connection once `limit` bytes got through, e.g. mid-frame.
    const head = bytes.subarray(0, Math.max(0, limit - this.bytesIn));
    this.bytesIn += head.length;
    if (head.length > 0) this.handlers.onData(head);
    if (!this.isLive()) return;
    this.up.abort();
    this.down.abort();
    this.peer?.lost();
    this.finish(resetError(`connection ${this.label} reset after ${limit} bytes (sim fault)`));
  }

  private sendFin(): void {
    if (this.ended) return;
    this.ended = true;
    this.up.send({ type: 'fin' });
  }

  /** Terminal: optional onError, then the one onClose. Only ever called from a clock timer. */
  private finish(error?: HalError): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.clock.clearTimeout(this.connectTimer);
    if (error && !this.destroyed) this.handlers.onError(error);
    this.handlers.onClose();
  }

  /** Whether handlers other than the final onClose may still run. */
  private isLive(): boolean {
    return this.phase !== 'closed' && !this.destroyed;
  }
}

function resetError(message: string): HalError {
  return { kind: 'reset', code: 'ECONNRESET', message };
}
