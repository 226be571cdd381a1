/**
 * TcpHandlers that record what a socket reports and flag every breach of the HAL rules
 * as it happens: a handler run inside connect/write/end/destroy, anything after onClose,
 * a second onError or onClose, data/end/drain/connect after destroy(), or onData chunks
 * that are not plain Uint8Arrays.
 */
import type { HalError, TcpHandlers, TcpSocket } from '../../hal/types';

export type TcpEvent = 'connect' | 'data' | 'drain' | 'end' | 'error' | 'close';

export class TcpRecorder {
  readonly events: TcpEvent[] = [];
  readonly chunks: Uint8Array[] = [];
  readonly errors: HalError[] = [];
  readonly violations: string[] = [];
  /** Name of the socket method running now, if any. */
  private inCall: string | undefined;
  private destroyed = false;
  private bytes = 0;
  private isClosed = false;
  /** Optional reaction to each onData, after it is recorded (e.g. end once all is echoed). */
  afterData: (() => void) | undefined;

  /** The handlers to pass to connect(); arrow functions, so they need no `this`. */
  readonly handlers: TcpHandlers = {
    onConnect: () => this.record('connect'),
    onData: (bytes) => {
      if (Object.getPrototypeOf(bytes) !== Uint8Array.prototype) this.violate('onData got something other than a plain Uint8Array');
      this.record('data');
      this.chunks.push(bytes);
      this.bytes += bytes.length;
      this.afterData?.();
    },
    onDrain: () => this.record('drain'),
    onEnd: () => this.record('end'),
    onError: (error) => {
      if (this.errors.length > 0) this.violate('a second onError');
      this.record('error');
      this.errors.push(error);
    },
    onClose: () => this.record('close'),
  };

  /** Runs a socket method, flagging any handler that fires before it returns. */
  call<T>(method: string, fn: () => T): T {
    const outer = this.inCall;
    this.inCall = method;
    try {
      return fn();
    } finally {
      this.inCall = outer;
    }
  }

  write(socket: TcpSocket, bytes: Uint8Array): boolean {
    return this.call('write', () => socket.write(bytes));
  }

  end(socket: TcpSocket): void {
    this.call('end', () => socket.end());
  }

  /** destroy(), remembering that from now on only onError and onClose may fire. */
  destroy(socket: TcpSocket): void {
    this.destroyed = true;
    this.call('destroy', () => socket.destroy());
  }

  /** onClose has fired. */
  get closed(): boolean {
    return this.isClosed;
  }

  count(event: TcpEvent): number {
    return this.events.filter((e) => e === event).length;
  }

  receivedLength(): number {
    return this.bytes;
  }

  /** Every received byte, concatenated. */
  received(): Uint8Array {
    return concatBytes(this.chunks);
  }

  private record(event: TcpEvent): void {
    if (this.inCall) this.violate(`on${event} ran synchronously inside ${this.inCall}()`);
    if (this.isClosed) this.violate(`on${event} after onClose`);
    if (this.destroyed && event !== 'error' && event !== 'close') this.violate(`on${event} after destroy()`);
    this.events.push(event);
    if (event === 'close') this.isClosed = true;
  }

  private violate(message: string): void {
    this.violations.push(`${message} (events so far: ${this.events.join(',')})`);
  }
}

export function concatBytes(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Compares bytes, reporting the first difference instead of dumping two huge arrays. */
export function bytesDiff(actual: Uint8Array, expected: Uint8Array): string | undefined {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) return `byte ${i}: got ${actual[i]}, expected ${expected[i]}`;
  }
  return actual.length === expected.length ? undefined : `length ${actual.length}, expected ${expected.length}`;
}

/** A deterministic payload whose bytes differ from their neighbours and cover all 256 values. */
export function pattern(length: number, salt = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >>> 8) + salt) & 0xff;
  return out;
}
