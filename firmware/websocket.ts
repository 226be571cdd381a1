import {
  ClientProtocol, encodeCloseReason, localError, parseWsUrl, ReadyState, resolveOptions, utf16TextCodec, validateHandshakeOptions,
  type HandshakeOptions, type ProtocolError, type TextCodec, type WsUrl,
} from '../protocol/index';
import type { Hal, HalError, TcpSocket, TimerId } from '../hal/types';
import { backoffDelay, type BackoffPolicy, FATAL_CLOSE_CODES, FATAL_STATUSES, STABLE_CONNECTION_MS } from './backoff';
import { resolveClientOptions, type ResolvedOptions, type WebSocketOptions } from './client-options';

/** Why a connection failed, as the error event reports it. */
export type ErrorKind = 'refused' | 'dns' | 'reset' | 'timeout' | 'tls' | 'closed' | 'other' | 'handshake' | 'protocol' | 'heartbeat';

/** What every event carries: its type and the client it comes from, as in the browser. */
export interface BaseEvent { target: WebSocket }
export interface ErrorEvent extends BaseEvent { type: 'error'; kind: ErrorKind; code: string | number; message: string; status: number }
export interface CloseEvent extends BaseEvent { type: 'close'; code: number; reason: string; wasClean: boolean; willReconnect: boolean; unsent: number }
export interface MessageEvent extends BaseEvent { type: 'message'; data: string | Uint8Array | ArrayBuffer }
export interface OpenEvent extends BaseEvent { type: 'open'; protocol: string }
export interface ControlEvent extends BaseEvent { type: 'ping' | 'pong'; data: Uint8Array }
export interface ReconnectEvent extends BaseEvent { type: 'reconnect'; attempt: number; delay: number }
/** The events by type, so that a listener's event is typed by what it listens to. */
export interface WebSocketEventMap {
  open: OpenEvent; message: MessageEvent; close: CloseEvent; error: ErrorEvent; ping: ControlEvent; pong: ControlEvent; reconnect: ReconnectEvent;
}
export type WebSocketEventType = keyof WebSocketEventMap;
/** Options of addEventListener: `once` removes the listener after its first call. */
export interface ListenerOptions { once?: boolean }
/** A stored listener: any event type's (each is typed where it is added). */
type Listener = (event: never) => void;

const EVENT_TYPES = ['open', 'message', 'close', 'error', 'ping', 'pong', 'reconnect'];

/**
 * The bytes of what send() or ping() was given: a Uint8Array as is, an ArrayBuffer or any other
 * view (DataView, Uint16Array, …) by its bytes, never element by element. Anything else throws
 * WS_ERR_BAD_DATA before any allocation.
 */
function bytesOf(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  const view = data as ArrayBufferView | null;
  if (view !== null && typeof view === 'object' && view.buffer instanceof ArrayBuffer && typeof view.byteLength === 'number') {
    return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }
  throw localError('WS_ERR_BAD_DATA', 'data must be a string, a Uint8Array, an ArrayBuffer or an ArrayBuffer view, got ' +
    (data === null ? 'null' : data instanceof Array ? 'an array' : typeof data));
}

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
  // The same constants on every instance, as in the browser (set on the prototype below).
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;
  /** The browser's names for on() and off(). */
  declare addEventListener: <K extends WebSocketEventType>(type: K, listener: (event: WebSocketEventMap[K]) => void, options?: ListenerOptions) => this;
  declare removeEventListener: <K extends WebSocketEventType>(type: K, listener: (event: WebSocketEventMap[K]) => void) => this;

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
  /** What the opening handshake adds to the request: origin, subprotocols, headers. */
  private handshake: HandshakeOptions;
  private options: ResolvedOptions;
  private listeners: { [type: string]: Listener[] } = {};
  private codec: TextCodec;
  /** The current connection's protocol; made when the connection starts (it draws the key then). */
  private core: ClientProtocol | null = null;
  private socket: TcpSocket | null = null;
  private writable = false;
  private ended = false;
  /**
   * Messages accepted by send() and not yet written whole; they survive a reconnect. When
   * `handed`, pending[0] is being framed by the protocol (fragment by fragment): it stays here
   * until its last fragment is written, so a connection lost mid-message resends it whole.
   */
  private pending: Uint8Array[] = [];
  private pendingText: boolean[] = [];
  private pendingBytes = 0;
  private handed = false;
  private timer: TimerId | null = null;
  private pingTimer: TimerId | null = null;
  private pongTimer: TimerId | null = null;
  private pingSentAt = 0;
  private lastError: ErrorEvent | null = null;
  private attempt = 0;
  /** When the current connection opened (clock ms), -1 when it did not. */
  private openedAt = -1;
  /** Set by close() or a final failure: no reconnect, no send. */
  private stopped = false;
  /** Set once the final close event fired: nothing fires after it. */
  private done = false;
  private connection = 0;

  constructor(url: string, protocols?: string | string[] | WebSocketOptions | null, options?: WebSocketOptions) {
    if (protocols !== undefined && protocols !== null && typeof protocols === 'object' && !(protocols instanceof Array)) {
      options = protocols;
      protocols = undefined;
    }
    const list = protocols === undefined || protocols === null ? [] : typeof protocols === 'string' ? [protocols] : protocols;
    if (!(list instanceof Array)) {
      throw localError('WS_ERR_BAD_PROTOCOL', 'protocols must be a string or an array of strings, got ' + typeof protocols);
    }
    this.options = resolveClientOptions(options);
    const hal = this.options.hal || defaultHal();
    if (!hal) throw new Error('no HAL: pass options.hal or set WebSocket.defaultHal');
    this.hal = hal;
    this.codec = hal.text || utf16TextCodec;
    this.url = url;
    this.target = parseWsUrl(url);
    this.handshake = { origin: this.options.origin, protocols: list, headers: this.options.headers };
    this.binaryType = this.options.binaryType;
    // Everything a connection will use is checked now, so a bad argument throws here and not
    // later in a callback; the protocol itself is made when the connection starts.
    resolveOptions(this.options.protocol);
    validateHandshakeOptions(this.handshake);
    const self = this;
    this.later(function () { self.connect(); }, 0);
  }

  /** Bytes accepted by send() and not yet handed to the network. */
  get bufferedAmount(): number {
    // The handed message counts by what the protocol has not framed yet.
    if (!this.handed) return this.pendingBytes;
    return this.pendingBytes - this.pending[0].length + (this.core as ClientProtocol).bufferedAmount;
  }

  /**
   * Adds a listener for 'open', 'message', 'close', 'error', 'ping', 'pong' or 'reconnect'
   * (also as addEventListener); with `{ once: true }` it is removed after its first call.
   * Throws WS_ERR_BAD_LISTENER for another type or a listener that is not a function.
   */
  on<K extends WebSocketEventType>(type: K, listener: (event: WebSocketEventMap[K]) => void, options?: ListenerOptions): this {
    if (EVENT_TYPES.indexOf(type) < 0) throw localError('WS_ERR_BAD_LISTENER', 'no event "' + type + '" (use ' + EVENT_TYPES.join(', ') + ')');
    if (typeof listener !== 'function') throw localError('WS_ERR_BAD_LISTENER', 'the listener for "' + type + '" must be a function');
    let added: Listener = listener;
    if (options && options.once) {
      const self = this;
      // Called once, then gone; off(type, listener) finds it through `listener`.
      added = function (event: WebSocketEventMap[K]) {
        self.off(type, listener);
        listener(event);
      };
      (added as { listener?: Listener }).listener = listener;
    }
    (this.listeners[type] || (this.listeners[type] = [])).push(added);
    return this;
  }

  /** Removes a listener added with on() or addEventListener() (also as removeEventListener). */
  off<K extends WebSocketEventType>(type: K, listener: (event: WebSocketEventMap[K]) => void): this {
    const list = this.listeners[type];
    if (list) {
      for (let i = 0; i < list.length; i++) {
        if (list[i] === listener || (list[i] as { listener?: Listener }).listener === listener) {
          list.splice(i, 1);
          break;
        }
      }
    }
    return this;
  }

  /**
   * Sends a message: a string as text; a Uint8Array, ArrayBuffer or other ArrayBuffer view as
   * binary, by its bytes (copied if it has to wait). Anything else throws WS_ERR_BAD_DATA.
   * Returns false, keeping nothing, when the client is closed or the queue would exceed
   * maxBufferedAmount (checked before any copy). While reconnecting, messages wait for the next
   * connection.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): boolean {
    const text = typeof data === 'string';
    let bytes = text ? null : bytesOf(data);
    if (this.stopped || (this.readyState !== ReadyState.Open && this.options.reconnect === null)) return false;
    const room = this.options.maxBufferedAmount - this.bufferedAmount;
    if (bytes === null) {
      // UTF-8 takes at least a byte per UTF-16 unit: a longer string cannot fit; refuse it unencoded.
      if ((data as string).length > room) return false;
      bytes = this.codec.encode(data as string);
    }
    if (bytes.length > room) return false;
    const core = this.core;
    if (this.pending.length === 0 && this.writable && core !== null) {
      try {
        if (core.sendNow(bytes, text)) {
          // Nothing waited ahead of it and it fit in one frame: framed already, written now.
          this.write(core);
          return true;
        }
      } catch (e) {
        this.maskFailed(e);
        return false;
      }
    }
    // It waits: binary is copied, since the caller may change its array meanwhile.
    if (!text) bytes = new Uint8Array(bytes);
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
    // A message the protocol is framing cannot be taken back half-sent: it stays.
    const kept = this.handed ? 1 : 0;
    const count = this.pending.length - kept;
    // slice, not `length = kept`: Espruino refuses assignments to an array's length.
    this.pending = this.pending.slice(0, kept);
    this.pendingText = this.pendingText.slice(0, kept);
    this.pendingBytes = kept === 1 ? this.pending[0].length : 0;
    return count;
  }

  /**
   * Sends a ping (at most 125 bytes; data as for send()); returns false unless the connection
   * is open. Throws WS_ERR_BAD_DATA for data send() would refuse.
   */
  ping(data?: string | ArrayBuffer | ArrayBufferView): boolean {
    const bytes = data === undefined ? null : typeof data === 'string' ? this.codec.encode(data) : bytesOf(data);
    const core = this.core;
    if (this.readyState !== ReadyState.Open || core === null || core.readyState !== ReadyState.Open) return false;
    core.sendPing(bytes);
    this.pump();
    return true;
  }

  /**
   * Starts the closing handshake and stops reconnecting. Throws WS_ERR_BAD_CLOSE, changing
   * nothing, for a code that may not be sent or a reason that is not a string of at most 123
   * bytes. While connecting, the attempt is abandoned (close 1006, as in the browser).
   */
  close(code?: number, reason?: string): void {
    const closeCode = code === undefined ? 1000 : code;
    const closeReason = reason === undefined ? '' : reason;
    encodeCloseReason(closeCode, closeReason, this.codec);
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimer();
    const core = this.core;
    const socket = this.socket;
    if (socket === null && core !== null && core.readyState === ReadyState.Closed) {
      // Waiting to reconnect: nothing is connected, so the client is closed at once.
      this.finish(closeCode, closeReason, true);
      return;
    }
    if (socket === null || core === null || core.readyState === ReadyState.Connecting) {
      // Still connecting: the attempt is abandoned, as a browser does.
      this.socket = null;
      if (socket !== null) socket.destroy();
      this.finish(1006, '', false);
      return;
    }
    core.close(closeCode, closeReason);
    this.readyState = core.readyState;
    const self = this;
    this.after(this.options.closeTimeout, function () { self.abort(); });
    this.pump();
  }

  // ---- connection life cycle -------------------------------------------------------------

  /** A protocol for a new connection; throws when the entropy source refuses to make its key. */
  private newProtocol(): ClientProtocol {
    const self = this;
    const id = ++this.connection;
    // Events of an old connection are ignored once a newer one exists.
    const live = () => id === self.connection;
    this.core = new ClientProtocol({
      url: this.target,
      handshake: this.handshake,
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
    this.readyState = ReadyState.Connecting;
    this.writable = false;
    this.ended = false;
    this.lastError = null;
    this.openedAt = -1;
    let core: ClientProtocol;
    try {
      core = this.newProtocol();
    } catch (e) {
      // The entropy source refused to make a key (a failed health test): no connection with
      // a predictable key, now or later, so this is final.
      const error = e as { code?: string; message?: string };
      this.fail('other', error.code || 'WS_ERR_WEAK_ENTROPY', String(error.message), 0);
      this.finish(1006, String(error.message), false);
      return;
    }
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
    this.openedAt = this.hal.clock.now();
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
    try {
      while (this.writable) {
        if (!this.handed && this.pending.length > 0 && core.bufferedAmount === 0 && core.readyState === ReadyState.Open) {
          this.handed = true;
          if (this.pendingText[0]) core.sendEncodedText(this.pending[0]);
          else core.sendBinary(this.pending[0]);
        }
        if (!core.nextTransmit() || !this.write(core)) break;
        if (this.handed && core.bufferedAmount === 0) {
          // Its last fragment is written: only now is the message off our hands.
          this.handed = false;
          this.pendingBytes -= (this.pending.shift() as Uint8Array).length;
          this.pendingText.shift();
        }
      }
    } catch (e) {
      this.maskFailed(e);
      return;
    }
    if (core.wantsTcpClose && !this.ended && this.writable) {
      this.ended = true;
      socket.end();
      const self = this;
      this.after(this.options.closeTimeout, function () { self.abort(); });
    }
  }

  /**
   * A frame's mask could not be drawn (the entropy source failed): no frame goes out with a
   * predictable mask, so the connection is failed; the next one will refuse to start.
   */
  private maskFailed(e: unknown): void {
    const error = e as { code?: string; message?: string };
    this.fail('other', error.code || 'WS_ERR_WEAK_ENTROPY', String(error.message), 0);
    this.abort();
  }

  /** Writes the protocol's output; false when the socket closed under us. */
  private write(core: ClientProtocol): boolean {
    try {
      this.writable = (this.socket as TcpSocket).write(core.output.subarray(core.outputStart, core.outputEnd));
      return true;
    } catch (_e) {
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
    if (this.readyState === ReadyState.Open) this.readyState = ReadyState.Closing;
    // A transport failure already explained why the connection ended.
    if (this.lastError !== null) return;
    const handshake = error.handshake;
    const kind = handshake !== null ? 'handshake' : error.closeCode === 1006 ? 'closed' : 'protocol';
    this.fail(kind, error.code, error.message, handshake === null ? 0 : handshake.status);
  }

  private fail(kind: string, code: string | number, message: string, status: number): void {
    const event: ErrorEvent = { type: 'error', kind: kind as ErrorKind, code: code, message: message, status: status, target: this };
    if (this.lastError === null) this.lastError = event;
    this.dispatch('error', event);
  }

  private closed(code: number, reason: string, clean: boolean): void {
    this.clearTimer();
    this.stopHeartbeat();
    this.socket = null;
    // Whatever the protocol was framing is resent whole on the next connection.
    this.handed = false;
    // Only a connection that stayed up a while shows the server is healthy again.
    if (this.openedAt >= 0 && this.hal.clock.now() - this.openedAt >= STABLE_CONNECTION_MS) this.attempt = 0;
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
    // A close listener may have called close(): then that was the final close.
    if (this.stopped) return;
    // Spreading a fleet needs no secret: a failed entropy source falls back to Math.random.
    const random = new Uint8Array(2);
    let draw = Math.random();
    try {
      this.hal.entropy.fill(random);
      draw = ((random[0] << 8) | random[1]) / 65536;
    } catch (_e) { /* keep Math.random's draw */ }
    const delay = backoffDelay(policy as BackoffPolicy, this.attempt, draw);
    this.attempt++;
    this.dispatch('reconnect', { type: 'reconnect', attempt: this.attempt, delay: delay });
    const self = this;
    this.after(delay, function () { self.connect(); });
  }

  /** Terminal close: reports what was accepted but never sent. */
  private finish(code: number, reason: string, clean: boolean): void {
    this.stopped = true;
    this.clearTimer();
    this.stopHeartbeat();
    // Later events of the connection, if any is still winding down, are ignored.
    this.connection++;
    const unsent = this.pending.length;
    this.pending = [];
    this.pendingText = [];
    this.pendingBytes = 0;
    this.handed = false;
    if (this.done) return;
    this.done = true;
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
      const core = self.core;
      // The connection is going down (or a failure is closing it): no more pings on it.
      if (self.readyState !== ReadyState.Open || core === null || core.readyState !== ReadyState.Open) return;
      self.pingTimer = self.hal.clock.setTimeout(beat, interval);
      if (self.pongTimer !== null) return;
      self.pingSentAt = self.hal.clock.now();
      core.sendPing(null);
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
  private dispatch<K extends WebSocketEventType>(type: K, event: Omit<WebSocketEventMap[K], 'target'>): void {
    (event as WebSocketEventMap[K]).target = this;
    const handler = (this as unknown as { [name: string]: Listener | null | undefined })['on' + type];
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

  private call(listener: Listener, event: unknown): void {
    try {
      (listener as (event: unknown) => void)(event);
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
// On the prototype: one copy for all instances, as in the browser. Assigned, not declared in
// the class body, so that esbuild keeps the class a plain declaration (see above).
const proto = WebSocket.prototype as unknown as { [name: string]: unknown };
proto.CONNECTING = 0;
proto.OPEN = 1;
proto.CLOSING = 2;
proto.CLOSED = 3;
proto.addEventListener = proto.on;
proto.removeEventListener = proto.off;
