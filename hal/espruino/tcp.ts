/**
 * One TCP or TLS connection over Espruino's `net` and `tls` modules, adapted to the HAL rules
 * (hal/types.ts). What Espruino does differently from Node, and what this file does about it:
 * - 'data' delivers a byte string: it becomes a Uint8Array over the string's own storage.
 * - write() sends its argument's toString(), so a Uint8Array would go out as "1,2,3": bytes
 *   are converted with E.toString() first. write() always returns false; 'drain' (queue
 *   empty) is the only flow control, so this HAL counts what it wrote since the last drain and
 *   returns false (then reports onDrain) once that reaches the board's write window.
 * - ESP32 connect failures are thrown by net.connect; ESP8266 ones come as 'error' events
 *   {code, message} with the codes of libs/network/socketerrors.h (-1…-15), then end and close.
 * - Every close emits 'end' just before 'close' (after failed connects and errors too), so
 *   'end' is not listened to: the close of a connection that was up, without an error or
 *   destroy(), is the peer's FIN (onEnd, then onClose).
 * - There is no destroy(): end() it and ignore everything but one synthetic onClose.
 *
 * Memory, which the ESP8266 has little of, shapes the rest: a connection is one object of five
 * numbers and references, found from its socket through one property; the socket's listener,
 * the same function for every event and every socket, tells the events apart by their
 * argument. Closures per connection would cost about 8 JsVars each (every closure keeps its own
 * list of the scopes around it).
 */
import type { HalErrorKind, TcpHandlers, TcpSocket, TcpTarget } from '../types';

/** Set to true by tools/build.ts for boards without TLS, so their bundle has no require('tls'). */
declare const __WSCLIENT_NO_TLS__: boolean;

/** A connection's state, as bits of one number (one JsVar, where six booleans would take six). */
const enum Conn {
  /** The connection came up. */
  Connected = 1,
  /** end() was called, or a write failed: no more writes. */
  Ended = 2,
  /** destroy() was called: only the synthetic onClose remains. */
  Dead = 4,
  /** An error was reported (at most one). */
  Failed = 8,
  /** onClose ran: nothing more. */
  Closed = 16,
  /** A write is waiting for the queue to empty. */
  Draining = 32,
}

/** mbedTLS's "peer sent close_notify": an orderly TLS shutdown, not a failure. */
const enum Code {
  TlsPeerCloseNotify = -30848,
}

/** An Espruino socket 'error' payload, or one made here for a failure Espruino throws. */
interface SocketError {
  code?: unknown;
  message?: unknown;
}

/** The part of an Espruino Socket used here, and the connection this HAL attaches to it. */
interface EspruinoSocket {
  write(data: string): boolean;
  end(): void;
  on(event: string, listener: (this: EspruinoSocket, arg: SocketEvent) => void): void;
  /** Listeners, as Espruino keeps them: see the constructor. */
  [event: `#on${string}`]: ((this: EspruinoSocket, arg: SocketEvent) => void) | undefined;
  ws?: EspruinoTcpSocket;
}

/**
 * What a socket listener gets: a byte string ('data'), a boolean ('close': whether an error
 * came first), the socket itself ('connect' and 'drain'), or an error object ('error').
 */
export type SocketEvent = string | boolean | EspruinoSocket | SocketError | null | undefined;

/** The listener of every event of every socket: Espruino calls it with `this` set to the socket. */
function listener(this: EspruinoSocket, x: SocketEvent): void {
  const connection = this.ws;
  if (connection) connection.feed(x);
}

/** One connection: an Espruino socket adapted to the HAL rules. */
export class EspruinoTcpSocket implements TcpSocket {
  private netSocket: EspruinoSocket | null = null;
  private handlers: TcpHandlers;
  /** Conn bits. */
  private connState = 0;
  /** Bytes written since the queue was last empty. */
  private sent = 0;
  /** How many of them make write() return false. */
  private writeLimit: number;

  constructor(target: TcpTarget, handlers: TcpHandlers, window: number) {
    this.handlers = handlers;
    this.writeLimit = window;
    try {
      const options: { [key: string]: unknown } = { host: target.host, port: target.port };
      let socket: EspruinoSocket;
      if (target.tls) {
        if (typeof __WSCLIENT_NO_TLS__ !== 'undefined' && __WSCLIENT_NO_TLS__) throw new Error('this board has no TLS');
        // Espruino's TLS checks no certificate (mbedTLS VERIFY_NONE) and sends no usable
        // SNI; `ca` is passed on for builds that use it.
        const tls = target.tlsOptions;
        if (tls && tls.ca !== undefined) options.ca = typeof tls.ca === 'string' ? tls.ca : E.toString(tls.ca);
        socket = require('tls').connect(options, listener) as EspruinoSocket;
      } else socket = require('net').connect(options, listener) as EspruinoSocket;
      socket.ws = this;
      // What socket.on(event, listener) does, without the one-element array it wraps each
      // listener in (2 JsVars per event): Espruino keeps an event's listeners in the property
      // '#on' + event, and calls a function found there as it calls an array of them. Only
      // where none is there yet (someone wrapping net.connect may have added one): on() then
      // adds ours after it.
      const events = ['data', 'drain', 'error', 'close'];
      for (let i = 0; i < events.length; i++) {
        const key = `#on${events[i]}` as const;
        if (socket[key] === undefined) socket[key] = listener;
        else socket.on(events[i], listener);
      }
      this.netSocket = socket;
    } catch (thrown) {
      // ESP32: DNS failure or refused connect. Reported later, never inside connect(), with the
      // codes of socketerrors.h (-6 not found, -9 reset/refused), so both chips report the same.
      const message = thrown && typeof (thrown as SocketError).message === 'string' ? (thrown as { message: string }).message : String(thrown);
      const error: SocketError = {
        code: message.indexOf('locate host') >= 0 ? -6 : message.indexOf('create socket') >= 0 ? -9 : /ssl|tls|certificate/i.test(message) ? -13 : -10,
        message: message,
      };
      const self = this;
      setTimeout(function () {
        self.feed(error);
        self.feed(true);
      }, 0);
    }
  }

  /** For the socket's listener only: feeds one event of the socket (see SocketEvent). */
  feed(x: SocketEvent): void {
    const handlers = this.handlers;
    if (this.connState & Conn.Closed) return;
    const live = !(this.connState & Conn.Dead);
    if (typeof x === 'string') {
      // A view of the string's storage, no copy: the string is ours alone from here on.
      if (live) handlers.onData(new Uint8Array(E.toArrayBuffer(x)));
    } else if (typeof x === 'boolean') {
      if ((this.connState & (Conn.Connected | Conn.Failed | Conn.Dead)) === Conn.Connected) handlers.onEnd();
      this.connState |= Conn.Closed;
      // Drops the socket, which points back here: both are freed without waiting for a GC pass.
      this.netSocket = null;
      handlers.onClose();
    } else if (x === this.netSocket && x !== null) {
      // 'connect' comes first (Espruino drains before it only when something was written
      // before it, and then the connection is up too); every later one is a 'drain'.
      if (!(this.connState & Conn.Connected)) {
        this.connState |= Conn.Connected;
        if (live) handlers.onConnect();
        return;
      }
      this.sent = 0;
      // Espruino also drains after writes nobody waits for.
      if (!(this.connState & Conn.Draining) || !live) return;
      this.connState &= ~Conn.Draining;
      handlers.onDrain();
    } else {
      const e = (typeof x === 'object' && x !== null ? x : {}) as SocketError;
      const code = typeof e.code === 'number' ? e.code : -10;
      // An orderly TLS shutdown (close_notify) shows up as an error; end and close follow.
      if (code === Code.TlsPeerCloseNotify || this.connState & Conn.Failed) return;
      this.connState |= Conn.Failed;
      if (!live) return;
      // -9 ("connection reset") is how a refused connect shows up too: before the connection
      // was up it can only be a refusal. -1 (closed) is never an Espruino error event: the HAL
      // uses it for a write that found the socket gone. Codes below Espruino's own range come
      // straight from mbedTLS (-0x7xxx…-0x1xxx).
      let kind: HalErrorKind = 'other';
      if (code === -6) kind = 'dns';
      else if (code === -9) kind = this.connState & Conn.Connected ? 'reset' : 'refused';
      else if (code === -3) kind = 'timeout';
      else if (code === -1) kind = 'closed';
      else if (code === -13 || code === -14 || code < -0x1000) kind = 'tls';
      handlers.onError({ kind: kind, code: code, message: typeof e.message === 'string' && e.message !== '' ? e.message : `socket error ${code}` });
    }
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.netSocket;
    if (socket === null || this.connState & (Conn.Closed | Conn.Dead | Conn.Ended)) throw new Error('This socket is closed');
    try {
      // For a whole array E.toString returns the array's own storage (no copy); that is safe
      // because socket.write appends a copy to the socket's queue before returning.
      socket.write(E.toString(bytes));
    } catch (_e) {
      // Espruino closed the socket (a dead link, a reset) before its 'close' event reached us:
      // no throw from here, and one onError and onClose soon, with or without Espruino's own.
      this.connState |= Conn.Ended;
      const self = this;
      setTimeout(function () {
        self.feed({ code: -1, message: 'the connection closed while writing' });
        self.feed(true);
      }, 0);
      return false;
    }
    this.sent += bytes.length;
    if (this.sent < this.writeLimit) return true;
    this.connState |= Conn.Draining;
    return false;
  }

  end(): void {
    if (this.connState & (Conn.Ended | Conn.Dead | Conn.Closed)) return;
    this.connState |= Conn.Ended;
    if (this.netSocket !== null) this.netSocket.end();
  }

  destroy(): void {
    if (this.connState & (Conn.Dead | Conn.Closed)) return;
    const socket = this.netSocket;
    if (socket !== null && !(this.connState & Conn.Ended)) {
      try {
        socket.end();
      } catch (_e) {
        // already closing: nothing to stop
      }
    }
    this.connState |= Conn.Dead | Conn.Ended;
    const self = this;
    setTimeout(function () {
      self.feed(false);
    }, 0);
  }
}
