import { ClientProtocol, parseWsUrl, ReadyState, type ProtocolError, type WsUrl } from '../protocol/index';
import type { Hal, HalError, TcpSocket, TimerId } from '../hal/types';
import { backoffDelay, type BackoffPolicy, FATAL_CLOSE_CODES, FATAL_STATUSES } from './backoff';
import { resolveClientOptions, type ResolvedOptions, type WebSocketOptions } from './client-options';

/** Why a connection failed, as the error event reports it. */
export type ErrorKind = 'refused' | 'dns' | 'reset' | 'timeout' | 'tls' | 'closed' | 'other' | 'handshake' | 'protocol' | 'heartbeat';

export interface ErrorEvent { type: 'error'; kind: ErrorKind; code: string | number; message: string; status: number }
export interface CloseEvent { type: 'close'; code: number; reason: string; wasClean: boolean; willReconnect: boolean; unsent: number }
export interface MessageEvent { type: 'message'; data: string | Uint8Array | ArrayBuffer }
export interface OpenEvent { type: 'open'; protocol: string }
export interface ControlEvent { type: 'ping' | 'pong'; data: Uint8Array }
export interface ReconnectEvent { type: 'reconnect'; attempt: number; delay: number }
type Listener = (event: any) => void;

/** The bytes of `view` as an ArrayBuffer of their own (a view may share its buffer with more data). */
function ownBuffer(view: Uint8Array): ArrayBuffer {
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return view.buffer as ArrayBuffer;
  return new Uint8Array(view).buffer as ArrayBuffer;
}

/** WebSocket.defaultHal, read from outside the class: naming the class inside its own body makes esbuild emit a named class expression. */
function defaultHal(): Hal | null {
  return WebSocket.defaultHal;
}

/**
 * A WebSocket client shaped like the browser's, over any HAL (Node, the simulator, Espruino).
 *
 * Differences from the browser, all on purpose for unattended devices: send() returns false
 * instead of throwing when the message cannot be accepted; an optional heartbeat detects dead
 * connections; an optional reconnect keeps the object alive across connections (open and close
 * fire once per connection, and close says whether a reconnect follows).
 */
export class WebSocket {
  // Declared only, assigned after the class: esbuild lowers static fields into a named class
  // expression, whose name Espruino leaves undefined inside the class.
  declare static CONNECTING: number;
  declare static OPEN: number;
  declare static CLOSING: number;
  declare static CLOSED: number;
  /** The HAL used when options.hal is not given; the board build sets it. */
  declare static defaultHal: Hal | null;

  readonly url: string;
  readyState = ReadyState.Connecting;
  /** The subprotocol the server chose for the current connection. */
  protocol = '';
  binaryType: string;
  /** Round-trip time of the last heartbeat ping, ms (-1 before the first pong). */
  rtt = -1;
  /** Connections opened so far minus one: how many times the client reconnected. */
  reconnects = 0;
  onopen: ((event: OpenEvent) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;

  private hal: Hal;
  private target: WsUrl;
  private protocols: string[];
  private options: ResolvedOptions;
  private listeners: { [type: string]: Listener[] } = {};
  private core: ClientProtocol | null = null;
  private socket: TcpSocket | null = null;
  private writable = false;
  private ended = false;
  /** Messages accepted by send() and not yet handed to the protocol; they survive a reconnect. */
  private pending: Uint8Array[] = [];
  private pendingText: boolean[] = [];
  private pendingBytes = 0;
  private timer: TimerId | null = null;
  private pingTimer: TimerId | null = null;
  private pongTimer: TimerId | null = null;
  private pingSentAt = 0;
  private lastError: ErrorEvent | null = null;
  private attempt = 0;
  private stopped = false;
  private connection = 0;

  constructor(url: string, protocols?: string | string[] | WebSocketOptions, options?: WebSocketOptions) {
    if (protocols !== undefined && typeof protocols === 'object' && !(protocols instanceof Array)) {
      options = protocols;
      protocols = undefined;
    }
    this.options = resolveClientOptions(options);
    const hal = this.options.hal || defaultHal();
    if (!hal) throw new Error('no HAL: pass options.hal or set WebSocket.defaultHal');
    this.hal = hal;
    this.url = url;
    this.target = parseWsUrl(url);
    this.protocols = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : protocols as string[];
    this.binaryType = this.options.binaryType;
    // Build one protocol now so a bad header or subprotocol throws here, not later in a callback.
    this.newProtocol();
    const self = this;
    this.later(function () { self.connect(); }, 0);
  }

  /** Bytes accepted by send() and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.pendingBytes + (this.core === null ? 0 : this.core.bufferedAmount);
  }

  /** Adds a listener for 'open', 'message', 'close', 'error', 'ping', 'pong' or 'reconnect'. */
  on(type: string, listener: Listener): this {
    (this.listeners[type] || (this.listeners[type] = [])).push(listener);
    return this;
  }

  /** Removes a listener added with on(). */
  off(type: string, listener: Listener): this {
    const list = this.listeners[type];
    if (list) {
      const at = list.indexOf(listener);
      if (at >= 0) list.splice(at, 1);
    }
    return this;
  }

  /**
   * Queues a message: a string is sent as text, a Uint8Array or ArrayBuffer as binary (copied).
   * Returns false, keeping nothing, when the client is closed or the queue would exceed
   * maxBufferedAmount. While reconnecting, messages wait for the next connection.
   */
  send(data: string | Uint8Array | ArrayBuffer): boolean {
    if (this.stopped || (this.readyState !== ReadyState.Open && this.options.reconnect === null)) return false;
    const core = this.core as ClientProtocol;
    let bytes: Uint8Array;
    const text = typeof data === 'string';
    if (text) bytes = (this.hal.text || core.codec).encode(data as string);
    else bytes = new Uint8Array(data as Uint8Array);
    if (this.pendingBytes + core.bufferedAmount + bytes.length > this.options.maxBufferedAmount) return false;
    if (this.pending.length === 0 && this.writable && core.sendNow(bytes, text)) {
      // Nothing waited ahead of it and it fit in one frame: framed already, written now.
      this.write(core);
      return true;
    }
    this.pending.push(bytes);
    this.pendingText.push(text);
    this.pendingBytes += bytes.length;
    this.pump();
    return true;
  }

  /**
   * Drops the messages accepted by send() that have not reached the network yet, and returns
   * how many there were. For applications that keep their own copy and resend after a
   * reconnect, so that nothing from the old connection precedes their greeting on the new one.
   */
  discardQueued(): number {
    const count = this.pending.length;
    this.pending = [];
    this.pendingText = [];
    this.pendingBytes = 0;
    return count;
  }

  /** Sends a ping (at most 125 bytes); returns false unless the connection is open. */
  ping(data?: string | Uint8Array): boolean {
    if (this.readyState !== ReadyState.Open || this.core === null) return false;
    const bytes = data === undefined ? null : typeof data === 'string' ? (this.hal.text || this.core.codec).encode(data) : data;
    this.core.sendPing(bytes);
    this.pump();
    return true;
  }

  /**
   * Starts the closing handshake and stops reconnecting. Throws WS_ERR_BAD_CLOSE for a code
   * that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void {
    const core = this.core;
    if (core === null) return;
    this.stopped = true;
    this.clearTimer();
    core.close(code, reason);
    if (this.socket === null) {
      // Waiting to reconnect: nothing is connected, so the client is closed at once.
      this.finish(code === undefined ? 1000 : code, reason || '', true);
      return;
    }
    this.readyState = core.readyState;
    const self = this;
    this.after(this.options.closeTimeout, function () { self.abort(); });
    this.pump();
  }

  // ---- connection life cycle -------------------------------------------------------------

  private newProtocol(): ClientProtocol {
    const self = this;
    const id = ++this.connection;
    // Events of an old connection are ignored once a newer one exists.
    const live = () => id === self.connection;
    this.core = new ClientProtocol({
      url: this.target,
      handshake: { origin: this.options.origin, protocols: this.protocols, headers: this.options.headers },
      options: this.options.protocol,
      entropy: (out) => self.hal.entropy.fill(out),
      sha1: this.hal.sha1,
      text: this.hal.text,
      allocate: this.hal.allocate,
      handler: {
        onOpen: (protocol) => { if (live()) self.opened(protocol); },
        onText: (text) => { if (live()) self.dispatch('message', { type: 'message', data: text }); },
        onBinary: (data) => { if (live()) self.dispatch('message', { type: 'message', data: self.binaryType === 'arraybuffer' ? ownBuffer(data) : data }); },
        onPing: (data) => { if (live()) self.dispatch('ping', { type: 'ping', data: data }); },
        onPong: (data) => { if (live()) self.ponged(data); },
        onClosing: () => { if (live()) self.readyState = ReadyState.Closing; },
        onClosed: (code, reason, clean) => { if (live()) self.closed(code, reason, clean); },
        onError: (error) => { if (live()) self.protocolFailed(error); },
      },
    });
    return this.core;
  }

  private connect(): void {
    if (this.stopped) return;
    const core = this.core as ClientProtocol;
    this.readyState = ReadyState.Connecting;
    this.writable = false;
    this.ended = false;
    this.lastError = null;
    const self = this;
    const secure = this.target.secure;
    if (secure && !this.hal.tcp.supportsTls) {
      this.fail('tls', 'WS_ERR_NO_TLS', 'wss:// needs TLS, which this board does not have: use ws://', 0);
      this.later(() => core.connectionClosed(), 0);
      return;
    }
    this.after(this.options.connectTimeout, () => {
      self.fail('timeout', 'WS_ERR_CONNECT_TIMEOUT', `no TCP connection within ${self.options.connectTimeout} ms`, 0);
      self.abort();
    });
    const socket = this.hal.tcp.connect({ host: this.target.host, port: this.target.port, tls: secure, tlsOptions: this.options.tls }, {
      onConnect: () => {
        if (self.socket !== socket) return;
        self.writable = true;
        self.after(self.options.handshakeTimeout, () => {
          self.fail('timeout', 'WS_ERR_HANDSHAKE_TIMEOUT', `no handshake response within ${self.options.handshakeTimeout} ms`, 0);
          self.abort();
        });
        self.pump();
      },
      onData: (bytes) => {
        if (self.socket !== socket) return;
        if (core.receive(bytes)) self.pump();
      },
      onDrain: () => {
        if (self.socket !== socket) return;
        self.writable = true;
        self.pump();
      },
      onEnd: () => { /* onClose follows; the protocol decides what the end means */ },
      onError: (error: HalError) => {
        if (self.socket !== socket) return;
        self.fail(error.kind, error.code, error.message, 0);
      },
      onClose: () => {
        if (self.socket !== socket) return;
        self.socket = null;
        self.writable = false;
        core.connectionClosed();
      },
    });
    this.socket = socket;
  }

  private opened(protocol: string): void {
    this.clearTimer();
    if (this.attempt > 0 || this.connection > 1) this.reconnects++;
    this.attempt = 0;
    this.readyState = ReadyState.Open;
    this.protocol = protocol;
    this.startHeartbeat();
    this.dispatch('open', { type: 'open', protocol: protocol });
  }

  /** Writes whatever the protocol has, one message handed over at a time, while the socket takes it. */
  private pump(): void {
    const core = this.core;
    const socket = this.socket;
    if (core === null || socket === null) return;
    while (this.writable) {
      if (this.pending.length > 0 && core.bufferedAmount === 0 && core.readyState === ReadyState.Open) {
        const bytes = this.pending.shift() as Uint8Array;
        this.pendingBytes -= bytes.length;
        if (this.pendingText.shift()) core.sendEncodedText(bytes);
        else core.sendBinary(bytes);
      }
      if (!core.nextTransmit() || !this.write(core)) break;
    }
    if (core.wantsTcpClose && !this.ended && this.writable) {
      this.ended = true;
      socket.end();
      const self = this;
      this.after(this.options.closeTimeout, function () { self.abort(); });
    }
  }

  /** Writes the protocol's output; false when the socket closed under us. */
  private write(core: ClientProtocol): boolean {
    try {
      this.writable = (this.socket as TcpSocket).write(core.output.subarray(core.outputStart, core.outputEnd));
      return true;
    } catch (e) {
      // The socket closed under us; its onClose will finish the connection. Never throw from here.
      this.writable = false;
      this.abort();
      return false;
    }
  }

  /** Drops the TCP connection now; onClose of the socket finishes the job. */
  private abort(): void {
    if (this.socket !== null) this.socket.destroy();
  }

  private protocolFailed(error: ProtocolError): void {
    // A transport failure already explained why the handshake never finished.
    if (this.lastError !== null) return;
    const handshake = error.handshake;
    this.fail(handshake === null ? 'protocol' : 'handshake', error.code, error.message, handshake === null ? 0 : handshake.status);
  }

  private fail(kind: string, code: string | number, message: string, status: number): void {
    const event: ErrorEvent = { type: 'error', kind: kind as ErrorKind, code: code, message: message, status: status };
    if (this.lastError === null) this.lastError = event;
    this.dispatch('error', event);
  }

  private closed(code: number, reason: string, clean: boolean): void {
    this.clearTimer();
    this.stopHeartbeat();
    this.socket = null;
    const error = this.lastError;
    const fatal = (error !== null && error.status > 0 && FATAL_STATUSES.indexOf(error.status) >= 0)
      || FATAL_CLOSE_CODES.indexOf(code) >= 0;
    const policy = this.options.reconnect;
    const retry = policy !== null && !this.stopped && (!fatal || this.options.retryFatal)
      && (policy.maxAttempts === 0 || this.attempt < policy.maxAttempts);
    if (!retry) {
      this.finish(code, reason, clean);
      return;
    }
    this.readyState = ReadyState.Connecting;
    this.dispatch('close', { type: 'close', code: code, reason: reason, wasClean: clean, willReconnect: true, unsent: 0 });
    const random = new Uint8Array(2);
    this.hal.entropy.fill(random);
    const delay = backoffDelay(policy as BackoffPolicy, this.attempt, ((random[0] << 8) | random[1]) / 65536);
    this.attempt++;
    this.dispatch('reconnect', { type: 'reconnect', attempt: this.attempt, delay: delay });
    const self = this;
    this.after(delay, function () {
      if (self.stopped) return;
      self.newProtocol();
      self.connect();
    });
  }

  /** Terminal close: reports what was accepted but never sent. */
  private finish(code: number, reason: string, clean: boolean): void {
    this.stopped = true;
    this.clearTimer();
    this.stopHeartbeat();
    const unsent = this.pending.length;
    this.pending = [];
    this.pendingText = [];
    this.pendingBytes = 0;
    if (this.readyState === ReadyState.Closed) return;
    this.readyState = ReadyState.Closed;
    this.dispatch('close', { type: 'close', code: code, reason: reason, wasClean: clean, willReconnect: false, unsent: unsent });
  }

  // ---- heartbeat -----------------------------------------------------------------------

  private startHeartbeat(): void {
    const interval = this.options.pingInterval;
    if (interval === 0) return;
    const self = this;
    this.pingTimer = this.hal.clock.setTimeout(function beat() {
      self.pingTimer = null;
      if (self.readyState !== ReadyState.Open || self.core === null) return;
      self.pingTimer = self.hal.clock.setTimeout(beat, interval);
      if (self.pongTimer !== null) return;
      self.pingSentAt = self.hal.clock.now();
      self.core.sendPing(null);
      self.pump();
      self.pongTimer = self.hal.clock.setTimeout(() => {
        self.pongTimer = null;
        self.fail('heartbeat', 'WS_ERR_PONG_TIMEOUT', `no pong within ${self.options.pongTimeout} ms: the connection is dead`, 0);
        self.abort();
      }, self.options.pongTimeout);
    }, interval);
  }

  private ponged(data: Uint8Array): void {
    if (this.pongTimer !== null) {
      this.hal.clock.clearTimeout(this.pongTimer);
      this.pongTimer = null;
      this.rtt = this.hal.clock.now() - this.pingSentAt;
    }
    this.dispatch('pong', { type: 'pong', data: data });
  }

  private stopHeartbeat(): void {
    if (this.pingTimer !== null) this.hal.clock.clearTimeout(this.pingTimer);
    if (this.pongTimer !== null) this.hal.clock.clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }

  // ---- plumbing ------------------------------------------------------------------------

  /** The one timer of the connection phase (connect, handshake or close deadline). */
  private after(ms: number, fn: () => void): void {
    this.clearTimer();
    const self = this;
    this.timer = this.hal.clock.setTimeout(function () {
      self.timer = null;
      fn();
    }, ms);
  }

  private later(fn: () => void, ms: number): void {
    this.hal.clock.setTimeout(fn, ms);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.hal.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  /** Calls the listeners; an exception in one is rethrown later so it cannot break the client. */
  private dispatch(type: string, event: any): void {
    const handler = (this as any)['on' + type] as Listener | null | undefined;
    const list = this.listeners[type];
    if (handler) this.call(handler, event);
    if (list && list.length === 1) {
      // The usual single listener needs no copy of the list.
      this.call(list[0], event);
    } else if (list) {
      // A copy: a listener may add or remove listeners while they run.
      const copy = list.slice();
      for (let i = 0; i < copy.length; i++) this.call(copy[i], event);
    }
  }

  private call(listener: Listener, event: any): void {
    try {
      listener(event);
    } catch (e) {
      this.later(() => { throw e; }, 0);
    }
  }
}

WebSocket.CONNECTING = 0;
WebSocket.OPEN = 1;
WebSocket.CLOSING = 2;
WebSocket.CLOSED = 3;
WebSocket.defaultHal = null;
