/**
 * The hardware-abstraction layer: interfaces only.
 *
 * Every implementation (hal/node, hal/sim, hal/espruino) keeps these rules, checked by
 * one contract suite (test/hal/contract.ts):
 * 1. No handler runs inside the method call that caused it (connect, write, end, destroy):
 *    callbacks are always delivered later, from the event loop.
 * 2. onClose fires exactly once per socket, and an onError, if any, comes before it.
 *    Nothing fires after onClose.
 * 3. Bytes are never lost, duplicated or reordered, whatever the chunking.
 * 4. When a test ends nothing is left open or scheduled.
 */

/** Why a socket failed. `code` keeps the platform's own number (Espruino's -1…-15, a Node errno). */
export type HalErrorKind = 'refused' | 'dns' | 'reset' | 'timeout' | 'tls' | 'closed' | 'other';

export interface HalError {
  kind: HalErrorKind;
  code: number | string;
  message: string;
}

export interface TlsOptions {
  /** PEM or DER certificate(s) of the authorities to trust, instead of the platform's defaults. */
  ca?: string | Uint8Array;
  /** Verify the server's certificate (default true where the platform can). */
  rejectUnauthorized?: boolean;
  /** Name sent as SNI and checked against the certificate (default: the host). */
  servername?: string;
}

export interface TcpTarget {
  host: string;
  port: number;
  tls: boolean;
  tlsOptions?: TlsOptions | undefined;
}

export interface TcpHandlers {
  /** The connection is up; writing is possible. */
  onConnect(): void;
  /** Received bytes; ownership passes to the handler (it may keep the array). */
  onData(bytes: Uint8Array): void;
  /** Everything written so far has been handed to the network stack. */
  onDrain(): void;
  /** The peer half-closed (FIN). onClose follows. */
  onEnd(): void;
  /** A failure; always followed by exactly one onClose. */
  onError(error: HalError): void;
  /** Terminal: no callback of this socket fires after it. */
  onClose(): void;
}

export interface TcpSocket {
  /**
   * Queue bytes for sending. The array is borrowed: the implementation copies what it needs
   * before returning, so the caller may reuse it at once. Returns true when more may be written
   * now, false when the caller should wait for onDrain. Throws after end() or close.
   */
  write(bytes: Uint8Array): boolean;
  /**
   * Send what is queued, then close our side. Where the platform can half-close (Node, the
   * simulator) the peer's data still arrives until its FIN; Espruino cannot, so there the whole
   * connection closes once the queue is sent, and onEnd may mark that local close.
   */
  end(): void;
  /** Abort now. Idempotent. Only the pending onClose (and an onError before it) may still fire. */
  destroy(): void;
}

export interface TcpConnector {
  readonly supportsTls: boolean;
  /** Start connecting. Never throws for network failures: they arrive as onError then onClose. */
  connect(target: TcpTarget, handlers: TcpHandlers): TcpSocket;
}

/** Opaque timer handle. */
export type TimerId = unknown;

export interface Clock {
  /** Monotonic milliseconds (fractions allowed). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  /** Cancels a pending timer; a handle that already fired or was cleared is ignored. */
  clearTimeout(id: TimerId): void;
}

export interface Entropy {
  /** Fill `out` with unpredictable bytes. Throws if the source cannot be trusted. */
  fill(out: Uint8Array): void;
}

/** Text conversion between the platform's strings and UTF-8 bytes. */
export interface TextCodec {
  encode(text: string): Uint8Array;
  /**
   * The text of UTF-8 `bytes[start, end)`. `owned`: the caller gives the array up (it will
   * never change it), so the string may share its memory instead of copying.
   */
  decode(bytes: Uint8Array, start: number, end: number, owned?: boolean): string;
  /**
   * Optional native check of `bytes[start, end)` on its own: true when it is complete, valid
   * UTF-8, false when it is not, undefined when the codec cannot tell quickly (the protocol's
   * JavaScript validator then decides).
   */
  validate?: ((bytes: Uint8Array, start: number, end: number) => boolean | undefined) | undefined;
}

/** The platform as the client runtime sees it. */
export interface Hal {
  tcp: TcpConnector;
  clock: Clock;
  entropy: Entropy;
  /** A native SHA-1, when the platform has one; otherwise the protocol's fallback is used. */
  sha1?: (data: Uint8Array) => Uint8Array;
  /** How the platform's strings map to UTF-8; otherwise the protocol's UTF-16 codec is used. */
  text?: TextCodec;
  /**
   * A new array of `length` bytes for a message the protocol fills completely before handing
   * it out, so it need not be zeroed (Node: Buffer.allocUnsafeSlow); otherwise new Uint8Array.
   */
  allocate?: (length: number) => Uint8Array;
  /** The network link, when the platform has one to wait for (see WifiLink). */
  wifi?: WifiLink;
}

/**
 * A network link that comes and goes (the boards' Wi-Fi station). Optional: only platforms
 * with such a link have one; the application waits for it before connecting.
 */
export interface WifiLink {
  /** True while the link is up (the station has an IP address). */
  isUp(): boolean;
  /** Calls `fn(up)` on every change of isUp(), from the event loop. */
  onChange(fn: (up: boolean) => void): void;
  /** Starts watching the link and keeping it up; joins `ssid` if given, else uses the saved configuration. */
  start(ssid?: string, password?: string): void;
  /** Stops watching and re-joining (the link itself is left as it is). */
  stop(): void;
}
