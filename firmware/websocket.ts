import { ClientProtocol, encodeCloseReason, localError, parseWsUrl, ReadyState, type ProtocolError, type ProtocolHandler, type WsUrl } from '../protocol/index';
import type { Hal, HalError, TcpHandlers, TcpSocket, TimerId } from '../hal/types';
import { backoffDelay, type BackoffPolicy, STABLE_CONNECTION_MS } from './backoff';
import { resolveClientOptions, type ResolvedOptions, type WebSocketOptions } from './client-options';

/** Why a connection failed, as the error event reports it. */
export type ErrorKind = 'refused' | 'dns' | 'reset' | 'timeout' | 'tls' | 'closed' | 'other' | 'handshake' | 'protocol' | 'heartbeat';

/** What every event carries: its type and the client it comes from, as in the browser. */
export interface BaseEvent {
  target: WebSocket;
}
export interface ErrorEvent extends BaseEvent {
  type: 'error';
  kind: ErrorKind;
  code: string | number;
  message: string;
  status: number;
}
export interface CloseEvent extends BaseEvent {
  type: 'close';
  code: number;
  reason: string;
  wasClean: boolean;
  willReconnect: boolean;
  unsent: number;
}
export interface MessageEvent extends BaseEvent {
  type: 'message';
  data: string | Uint8Array | ArrayBuffer;
}
export interface OpenEvent extends BaseEvent {
  type: 'open';
  protocol: string;
}
export interface ControlEvent extends BaseEvent {
  type: 'ping' | 'pong';
  data: Uint8Array;
}
export interface ReconnectEvent extends BaseEvent {
  type: 'reconnect';
  attempt: number;
  delay: number;
}
/** The events by type, so that a listener's event is typed by what it listens to. */
export interface WebSocketEventMap {
  open: OpenEvent;
  message: MessageEvent;
  close: CloseEvent;
  error: ErrorEvent;
  ping: ControlEvent;
  pong: ControlEvent;
  reconnect: ReconnectEvent;
}
export type WebSocketEventType = keyof WebSocketEventMap;
/** Options of addEventListener: `once` removes the listener after its first call. */
export interface ListenerOptions {
  once?: boolean;
}
/** A stored listener: any event type's (each is typed where it is added). */
type Listener = (event: never) => void;

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
  throw localError(
    'WS_ERR_BAD_DATA',
    'data must be a string, a Uint8Array, an ArrayBuffer or an ArrayBuffer view, got ' +
      (data === null ? 'null' : data instanceof Array ? 'an array' : typeof data),
  );
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
 *
 * This object owns time (deadlines, heartbeat, reconnect) and events; the protocol object it
 * keeps for its whole life owns the connection's state and the messages waiting to be sent.
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
  private options: ResolvedOptions;
  private listeners: { [type: string]: Listener[] } = {};
  /** The protocol, for every connection of this client. */
  private core: ClientProtocol;
  private socket: TcpSocket | null = null;
  private writable = false;
  private ended = false;
  /** The one timer of the connection phase (connect, handshake or close deadline, or the reconnect delay). */
  private timer: TimerId | null = null;
  private pingTimer: TimerId | null = null;
  private pongTimer: TimerId | null = null;
  private pingSentAt = 0;
  private lastError: ErrorEvent | null = null;
  private attempt = 0;
  /** Connections started so far. */
  private connections = 0;
  /** When the current connection opened (clock ms), -1 when it did not. */
  private openedAt = -1;
  /** Set between a close that will be followed by a reconnect and that reconnect. */
  private waiting = false;
  /** Set by close() or a final failure: no reconnect, no send. */
  private stopped = false;
  /** Set once the final close event fired: nothing fires after it. */
  private done = false;

  constructor(url: string, protocols?: string | string[] | WebSocketOptions | null, options?: WebSocketOptions) {
    if (protocols !== undefined && protocols !== null && typeof protocols === 'object' && !(protocols instanceof Array)) {
      options = protocols;
      protocols = undefined;
    }
    const list = protocols === undefined || protocols === null ? [] : typeof protocols === 'string' ? [protocols] : protocols;
    if (!(list instanceof Array)) {
      throw localError('WS_ERR_BAD_PROTOCOL', 'protocols must be a string or an array of strings, got ' + typeof protocols);
    }
    let resolved = resolveClientOptions(options);
    const hal = resolved.hal || defaultHal();
    if (!hal) throw new Error('no HAL: pass options.hal or set WebSocket.defaultHal');
    this.options = resolved;
    this.hal = hal;
    this.url = url;
    this.target = parseWsUrl(url);
    this.binaryType = resolved.binaryType;
    const self = this;
    // Throws for bad limits, a bad header, origin or subprotocol: at the call, not in a callback.
    this.core = new ClientProtocol({
      url: this.target,
      handshake: { origin: resolved.origin, protocols: list, headers: resolved.headers },
      options: resolved.protocol,
      entropy: function (out) {
        self.hal.entropy.fill(out);
      },
      sha1: hal.sha1,
      text: hal.text,
      allocate: hal.allocate,
      // This object is the protocol's handler (see the handler methods below).
      handler: this as unknown as ProtocolHandler,
    });
    this.after(0, '', '');
    // The entropy closure keeps this call's variables alive as long as the client lives: let
    // go of what it does not need (on a board, the caller's options are a few dozen JsVars).
    options = undefined;
    protocols = undefined;
    resolved = undefined as unknown as ResolvedOptions;
  }

  /** Bytes accepted by send() and not yet handed to the network. */
  get bufferedAmount(): number {
    return this.core.bufferedAmount;
  }

  /**
   * Adds a listener for 'open', 'message', 'close', 'error', 'ping', 'pong' or 'reconnect'
   * (also as addEventListener); with `{ once: true }` it is removed after its first call.
   * Throws WS_ERR_BAD_LISTENER for another type or a listener that is not a function.
   */
  on<K extends WebSocketEventType>(type: K, listener: (event: WebSocketEventMap[K]) => void, options?: ListenerOptions): this {
    if (['open', 'message', 'close', 'error', 'ping', 'pong', 'reconnect'].indexOf(type) < 0) {
      throw localError('WS_ERR_BAD_LISTENER', 'no event "' + type + '" (use open, message, close, error, ping, pong, reconnect)');
    }
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
   * binary, by its bytes. Anything else throws WS_ERR_BAD_DATA. Returns false, keeping
   * nothing, when the client is closed or the queue would exceed maxBufferedAmount (checked
   * before any copy). While reconnecting, messages wait for the next connection.
   *
   * What is kept: a message framed at once (the connection open, the socket writable, nothing
   * waiting, one frame's worth) is not kept at all; otherwise text is kept as its UTF-8 bytes
   * and binary as a copy, until its last byte is handed to the socket.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): boolean {
    const text = typeof data === 'string';
    let bytes = text ? null : bytesOf(data);
    if (this.stopped || (this.readyState !== ReadyState.Open && this.options.reconnect === null)) return false;
    const room = this.options.maxBufferedAmount - this.core.bufferedAmount;
    if (bytes === null) {
      // UTF-8 takes at least a byte per UTF-16 unit: a longer string cannot fit; refuse it unencoded.
      if ((data as string).length > room) return false;
      bytes = this.core.codec.encode(data as string);
    }
    if (bytes.length > room) return false;
    const core = this.core;
    let framed: boolean;
    try {
      framed = core.send(bytes, text, this.writable && this.socket !== null);
    } catch (e) {
      // The mask could not be drawn: nothing is sent with a predictable mask, and this
      // connection is over.
      this.pump(e);
      return false;
    }
    if (!framed) {
      this.pump();
      return true;
    }
    try {
      // Framed already: written now, ahead of anything queued later.
      this.writable = (this.socket as TcpSocket).write(core.output.subarray(core.outputStart, core.outputEnd));
    } catch (e) {
      // The socket closed under us: the message never left, so it waits for the next connection
      // like any other (binary copied), and this connection is dropped.
      core.send(bytes, text, false);
      this.pump(e);
    }
    return true;
  }

  /**
   * Drops the messages accepted by send() that have not reached the network yet, and returns
   * how many there were. For applications that keep their own copy and resend after a
   * reconnect, so that nothing from the old connection precedes their greeting on the new one.
   * A message partly sent on the open connection cannot be taken back: it stays.
   */
  discardQueued(): number {
    return this.core.discardQueued();
  }

  /**
   * Sends a ping (at most 125 bytes; data as for send()); returns false unless the connection
   * is open. Throws WS_ERR_BAD_DATA for data send() would refuse.
   */
  ping(data?: string | ArrayBuffer | ArrayBufferView): boolean {
    const bytes = data === undefined ? null : typeof data === 'string' ? this.core.codec.encode(data) : bytesOf(data);
    if (this.readyState !== ReadyState.Open || this.core.readyState !== ReadyState.Open) return false;
    this.core.sendPing(bytes);
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
    encodeCloseReason(closeCode, closeReason, this.core.codec);
    if (this.stopped) return;
    this.stopped = true;
    this.after(-1, '', '');
    const socket = this.socket;
    if (this.waiting) {
      // Waiting to reconnect: nothing is connected, so the client is closed at once.
      this.onClosed(closeCode, closeReason, true);
    } else if (socket === null || this.core.readyState === ReadyState.Connecting) {
      // Still connecting: the attempt is abandoned, as a browser does.
      this.socket = null;
      if (socket !== null) socket.destroy();
      this.onClosed(1006, '', false);
    } else {
      this.core.close(closeCode, closeReason);
      this.readyState = this.core.readyState;
      this.after(this.options.closeTimeout, '', '');
      this.pump();
    }
  }

  // ---- connection life cycle -------------------------------------------------------------

  private connect(): void {
    if (this.stopped) return;
    this.readyState = ReadyState.Connecting;
    this.writable = false;
    this.ended = false;
    this.lastError = null;
    this.openedAt = -1;
    this.waiting = false;
    this.connections++;
    const core = this.core;
    try {
      core.start();
    } catch (e) {
      // The entropy source refused to make a key (a failed health test): no connection with
      // a predictable key, now or later, so this is final.
      const error = e as { code?: string; message?: string };
      this.fail('other', error.code || 'WS_ERR_WEAK_ENTROPY', String(error.message), 0);
      this.stopped = true;
      this.onClosed(1006, String(error.message), false);
      return;
    }
    const target = this.target;
    if (target.secure && !this.hal.tcp.supportsTls) {
      this.fail('tls', 'WS_ERR_NO_TLS', 'wss:// needs TLS, which this board does not have: use ws://', 0);
      this.hal.clock.setTimeout(function () {
        core.connectionClosed();
      }, 0);
      return;
    }
    this.after(this.options.connectTimeout, 'WS_ERR_CONNECT_TIMEOUT', 'no TCP connection within ');
    // This object gets the socket's events (see the handler methods below).
    this.socket = this.hal.tcp.connect(
      { host: target.host, port: target.port, tls: target.secure, tlsOptions: this.options.tls },
      this as unknown as TcpHandlers,
    );
  }

  /**
   * Writes whatever the protocol has while the socket takes it; ends TCP when the protocol is
   * done. With `broken`: a frame's mask could not be drawn (the entropy source failed: no frame
   * goes out with a predictable mask, and the next connection will refuse to start), or the
   * socket closed under us, so the connection is dropped and its socket's onClose finishes it.
   */
  private pump(broken?: unknown): void {
    const core = this.core;
    const socket = this.socket;
    if (socket === null) return;
    if (broken === undefined) {
      try {
        while (this.writable && core.nextTransmit()) this.writable = socket.write(core.output.subarray(core.outputStart, core.outputEnd));
      } catch (e) {
        broken = e;
      }
    }
    if (broken !== undefined) {
      const error = broken as { code?: unknown; message?: string };
      this.writable = false;
      // Our own errors (WS_ERR_WEAK_ENTROPY) are reported; a socket's own throw is not news.
      if (typeof error.code === 'string' && error.code.slice(0, 7) === 'WS_ERR_') this.fail('other', error.code, String(error.message), 0);
      socket.destroy();
      return;
    }
    if (core.wantsTcpClose && !this.ended && this.writable) {
      this.ended = true;
      socket.end();
      this.after(this.options.closeTimeout, '', '');
    }
  }

  private fail(kind: string, code: string | number, message: string, status: number): void {
    const event: ErrorEvent = { type: 'error', kind: kind as ErrorKind, code: code, message: message, status: status, target: this };
    if (this.lastError === null) this.lastError = event;
    this.dispatch('error', event);
  }

  /**
   * A connection is gone (the protocol reports it, or close() abandons it): reconnect, or
   * close for good, reporting how many accepted messages were never sent.
   */
  protected onClosed(code: number, reason: string, clean: boolean): void {
    this.after(-1, '', '');
    this.heartbeat(false);
    this.socket = null;
    this.waiting = false;
    // Only a connection that stayed up a while shows the server is healthy again.
    if (this.openedAt >= 0 && this.hal.clock.now() - this.openedAt >= STABLE_CONNECTION_MS) this.attempt = 0;
    const status = this.lastError === null ? 0 : this.lastError.status;
    // A failure no retry will fix: HTTP 400, 401, 403 or 404 refusing the handshake, or a close
    // code saying the two sides disagree about the protocol or the data: retrying repeats it.
    const fatal = status === 400 || status === 401 || status === 403 || status === 404 || code === 1002 || code === 1003 || (code >= 1007 && code <= 1010);
    const policy = this.options.reconnect;
    if (policy === null || this.stopped || (fatal && !this.options.retryFatal) || (policy.maxAttempts > 0 && this.attempt >= policy.maxAttempts)) {
      this.stopped = true;
      const unsent = this.core.discardQueued();
      if (this.done) return;
      this.done = true;
      this.readyState = ReadyState.Closed;
      this.dispatch('close', { type: 'close', code: code, reason: reason, wasClean: clean, willReconnect: false, unsent: unsent });
      return;
    }
    this.readyState = ReadyState.Connecting;
    this.waiting = true;
    this.dispatch('close', { type: 'close', code: code, reason: reason, wasClean: clean, willReconnect: true, unsent: 0 });
    // A close listener may have called close(): then that was the final close.
    if (this.stopped) return;
    // Spreading a fleet needs no secret: a failed entropy source falls back to Math.random.
    const random = new Uint8Array(2);
    let draw = Math.random();
    try {
      this.hal.entropy.fill(random);
      draw = ((random[0] << 8) | random[1]) / 65536;
    } catch (_e) {
      /* keep Math.random's draw */
    }
    const delay = backoffDelay(policy as BackoffPolicy, this.attempt, draw);
    this.attempt++;
    this.dispatch('reconnect', { type: 'reconnect', attempt: this.attempt, delay: delay });
    this.after(delay, '', '');
  }

  // ---- handlers ------------------------------------------------------------------------
  // The protocol's (ProtocolHandler) and the socket's (TcpHandlers) callbacks, as methods of
  // this object rather than closures: on a board a closure costs a dozen JsVars per client,
  // a method a few, once. Protected: not for users, and TypeScript counts them as used.

  protected onOpen(protocol: string): void {
    this.after(-1, '', '');
    if (this.connections > 1) this.reconnects++;
    this.openedAt = this.hal.clock.now();
    this.readyState = ReadyState.Open;
    this.protocol = protocol;
    this.heartbeat(true);
    this.dispatch('open', { type: 'open', protocol: protocol });
  }

  protected onText(text: string): void {
    this.dispatch('message', { type: 'message', data: text });
  }

  protected onBinary(data: Uint8Array): void {
    // An ArrayBuffer of its own: a view may share its buffer with more data.
    const whole = this.binaryType !== 'arraybuffer' || (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength);
    this.dispatch('message', {
      type: 'message',
      data: whole ? (this.binaryType === 'arraybuffer' ? (data.buffer as ArrayBuffer) : data) : new Uint8Array(data).buffer,
    });
  }

  protected onPing(data: Uint8Array): void {
    this.dispatch('ping', { type: 'ping', data: data });
  }

  protected onPong(data: Uint8Array): void {
    if (this.pongTimer !== null) {
      this.hal.clock.clearTimeout(this.pongTimer);
      this.pongTimer = null;
      this.rtt = this.hal.clock.now() - this.pingSentAt;
    }
    this.dispatch('pong', { type: 'pong', data: data });
  }

  protected onClosing(): void {
    this.readyState = ReadyState.Closing;
  }

  /** A failure: the protocol's (it has a closeCode) or the socket's. */
  protected onError(error: ProtocolError | HalError): void {
    const failure = error as ProtocolError;
    if (failure.closeCode === undefined) {
      // The socket's: reported unless the socket is no longer ours.
      const halError = error as HalError;
      if (this.socket !== null) this.fail(halError.kind, halError.code, halError.message, 0);
      return;
    }
    if (this.readyState === ReadyState.Open) this.readyState = ReadyState.Closing;
    // A transport failure already explained why the connection ended.
    if (this.lastError !== null) return;
    const handshake = failure.handshake;
    this.fail(
      handshake !== null ? 'handshake' : failure.closeCode === 1006 ? 'closed' : 'protocol',
      failure.code,
      failure.message,
      handshake === null ? 0 : handshake.status,
    );
  }

  // Events of a socket that is no longer the current one (none is) are ignored.

  protected onConnect(): void {
    if (this.socket === null) return;
    this.writable = true;
    this.after(this.options.handshakeTimeout, 'WS_ERR_HANDSHAKE_TIMEOUT', 'no handshake response within ');
    this.pump();
  }

  protected onData(bytes: Uint8Array): void {
    if (this.socket !== null && this.core.receive(bytes)) this.pump();
  }

  protected onDrain(): void {
    if (this.socket === null) return;
    this.writable = true;
    this.pump();
  }

  protected onEnd(): void {
    // onClose follows; the protocol decides what the end means.
  }

  protected onClose(): void {
    if (this.socket === null) return;
    this.socket = null;
    this.writable = false;
    this.core.connectionClosed();
  }

  // ---- time ----------------------------------------------------------------------------

  /**
   * Sets the one timer of the connection phase. When it fires: with `code`, the connection
   * fails with that error (`message` followed by the delay) and is dropped; without, a
   * connection starts when none is (the first one, or a reconnect), or the current one is
   * dropped (the close deadline). With `ms` negative, only clears the timer.
   */
  private after(ms: number, code: string, message: string): void {
    if (this.timer !== null) this.hal.clock.clearTimeout(this.timer);
    this.timer = null;
    if (ms < 0) return;
    const self = this;
    this.timer = this.hal.clock.setTimeout(function () {
      self.timer = null;
      if (code !== '') self.fail('timeout', code, message + ms + ' ms', 0);
      if (self.socket !== null) self.socket.destroy();
      else if (code === '' && self.core.readyState === ReadyState.Closed) self.connect();
    }, ms);
  }

  /**
   * Starts (`on`) or stops the heartbeat: every pingInterval a ping, and the connection is
   * dropped when its pong is not back within pongTimeout.
   */
  private heartbeat(on: boolean): void {
    const clock = this.hal.clock;
    const interval = this.options.pingInterval;
    if (!on || interval === 0) {
      if (this.pingTimer !== null) clock.clearTimeout(this.pingTimer);
      if (this.pongTimer !== null) clock.clearTimeout(this.pongTimer);
      this.pingTimer = null;
      this.pongTimer = null;
      return;
    }
    const self = this;
    this.pingTimer = clock.setTimeout(function () {
      self.pingTimer = null;
      // The connection is going down (or a failure is closing it): no more pings on it.
      if (self.readyState !== ReadyState.Open || self.core.readyState !== ReadyState.Open) return;
      self.heartbeat(true);
      if (self.pongTimer !== null) return;
      self.pingSentAt = clock.now();
      self.core.sendPing(null);
      self.pump();
      self.pongTimer = clock.setTimeout(function () {
        self.pongTimer = null;
        self.fail('heartbeat', 'WS_ERR_PONG_TIMEOUT', 'no pong within ' + self.options.pongTimeout + ' ms: the connection is dead', 0);
        if (self.socket !== null) self.socket.destroy();
      }, self.options.pongTimeout);
    }, interval);
  }

  /** Calls the listeners; an exception in one is rethrown later so it cannot break the client. */
  private dispatch<K extends WebSocketEventType>(type: K, event: Omit<WebSocketEventMap[K], 'target'>): void {
    (event as WebSocketEventMap[K]).target = this;
    const handler = (this as unknown as { [name: string]: Listener | null | undefined })['on' + type];
    let list = this.listeners[type];
    // A copy when there are several: a listener may add or remove listeners while they run.
    if (list && list.length > 1) list = list.slice();
    const count = list ? list.length : 0;
    for (let i = handler ? -1 : 0; i < count; i++) {
      try {
        ((i < 0 ? handler : (list as Listener[])[i]) as (event: unknown) => void)(event);
      } catch (e) {
        this.hal.clock.setTimeout(function () {
          throw e;
        }, 0);
      }
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
