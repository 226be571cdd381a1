/**
 * TCP and TLS sockets over Espruino's `net` and `tls` modules, adapted to the HAL rules
 * (hal/types.ts). What Espruino does differently from Node, and what this file does about it:
 * - 'data' delivers a byte string: it becomes a Uint8Array over the string's own storage.
 * - write() sends its argument's toString(), so a Uint8Array would go out as "1,2,3": bytes
 *   are converted with E.toString() first. write() always returns false; 'drain' (queue
 *   empty) is the only flow control, so this HAL counts what it wrote since the last drain and
 *   returns false (then reports onDrain) once that reaches the board's write window.
 * - ESP32 connect failures are thrown by net.connect; ESP8266 ones come as 'error' events.
 * - There is no destroy(): end() it and ignore everything but one synthetic onClose.
 */
import type { TcpConnector, TcpHandlers, TcpSocket, TcpTarget } from '../types';
import { fromConnectThrow, fromErrorEvent, TLS_PEER_CLOSE_NOTIFY } from './errors';

/**
 * Default for how many bytes may be written since the socket's queue was last empty before
 * write() asks the caller to wait for onDrain: small frames then go out without a 'drain'
 * round of JavaScript each, and the queue Espruino keeps in JsVars stays bounded.
 */
const WRITE_WINDOW = 1024;

/** Set to true by tools/build.ts for boards without TLS, so their bundle has no require('tls'). */
declare const __WSCLIENT_NO_TLS__: boolean;

/** The part of an Espruino Socket used here, and the adapter this HAL attaches to it. */
interface EspruinoSocket {
  write(data: string): boolean;
  end(): void;
  // biome-ignore lint/suspicious/noExplicitAny: each event passes its own argument type (string data, error object, nothing)
  on(event: string, listener: (arg?: any) => void): void;
  wsclient?: EspruinoTcpSocket | null;
}

/**
 * A TcpConnector over `require('net')`, and over `require('tls')` when `tls` is true.
 * `writeWindow`: bytes written since the queue was last empty before write() returns false.
 */
export function createEspruinoTcp(tls: boolean, writeWindow?: number): TcpConnector {
  const window = writeWindow === undefined ? WRITE_WINDOW : writeWindow;
  return {
    supportsTls: tls,
    connect: function (target: TcpTarget, handlers: TcpHandlers): TcpSocket {
      return new EspruinoTcpSocket(target, handlers, window);
    },
  };
}

function open(target: TcpTarget, onConnect: (this: EspruinoSocket) => void): EspruinoSocket {
  const options: { [key: string]: unknown } = { host: target.host, port: target.port };
  if (target.tls) {
    if (typeof __WSCLIENT_NO_TLS__ !== 'undefined' && __WSCLIENT_NO_TLS__) throw new Error('this board has no TLS');
    // Espruino's TLS checks no certificate (mbedTLS VERIFY_NONE) and sends no usable SNI;
    // `ca` is passed on for builds that use it.
    const tls = target.tlsOptions;
    if (tls && tls.ca !== undefined) options.ca = typeof tls.ca === 'string' ? tls.ca : E.toString(tls.ca);
    return require('tls').connect(options, onConnect);
  }
  return require('net').connect(options, onConnect);
}

// The socket listeners, shared by every connection: Espruino calls them with `this` set to
// the socket, which points back at its adapter. So a connection costs no closures, which
// matter on the ESP8266's few JsVars. (Plain functions, not static methods: a class that
// names itself inside becomes a named class expression, which Espruino does not bind.)
function onConnect(this: EspruinoSocket): void {
  if (this.wsclient) this.wsclient.connectEvent();
}
function onData(this: EspruinoSocket, data: string): void {
  if (this.wsclient) this.wsclient.dataEvent(data);
}
function onDrain(this: EspruinoSocket): void {
  if (this.wsclient) this.wsclient.drainEvent();
}
function onEnd(this: EspruinoSocket): void {
  if (this.wsclient) this.wsclient.endEvent();
}
function onError(this: EspruinoSocket, event: { code?: number }): void {
  if (this.wsclient) this.wsclient.errorEvent(event);
}
function onClose(this: EspruinoSocket): void {
  if (this.wsclient) this.wsclient.close();
}

/** One connection: an Espruino socket adapted to the HAL rules. */
class EspruinoTcpSocket implements TcpSocket {
  private socket: EspruinoSocket | null = null;
  private handlers: TcpHandlers;
  private connected = false;
  /** end() was called: no more writes. */
  private ended = false;
  /** destroy() was called: only the synthetic onClose remains. */
  private dead = false;
  /** An error was reported (at most one). */
  private failed = false;
  /** onClose ran. */
  private closed = false;
  /** A write is waiting for the queue to empty. */
  private draining = false;
  /** Bytes written since the queue was last empty. */
  private inFlight = 0;
  private window: number;

  constructor(target: TcpTarget, handlers: TcpHandlers, window: number) {
    this.handlers = handlers;
    this.window = window;
    let socket: EspruinoSocket;
    try {
      socket = open(target, onConnect);
    } catch (thrown) {
      // ESP32: DNS failure or refused connect. Report it later, never inside connect().
      const error = fromConnectThrow(thrown);
      const self = this;
      this.failed = true;
      setTimeout(function () {
        if (self.live()) self.handlers.onError(error);
        self.close();
      }, 0);
      return;
    }
    this.socket = socket;
    socket.wsclient = this;
    socket.on('data', onData);
    socket.on('drain', onDrain);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  /** For the shared listeners only. */
  connectEvent(): void {
    this.connected = true;
    if (this.live()) this.handlers.onConnect();
  }

  /** For the shared listeners only. */
  dataEvent(data: string): void {
    // A view of the string's storage, no copy: the string is ours alone from here on.
    if (this.live()) this.handlers.onData(new Uint8Array(E.toArrayBuffer(data)));
  }

  /** For the shared listeners only. */
  drainEvent(): void {
    this.inFlight = 0;
    // Espruino also drains before connect and after writes nobody waits for.
    if (!this.draining || !this.live()) return;
    this.draining = false;
    this.handlers.onDrain();
  }

  /** For the shared listeners only. */
  endEvent(): void {
    // Espruino emits 'end' after failed connects and errors too; only a FIN is an onEnd.
    if (this.connected && !this.failed && this.live()) this.handlers.onEnd();
  }

  /** For the shared listeners only. */
  errorEvent(event: { code?: number }): void {
    // An orderly TLS shutdown (close_notify) shows up as an error; end and close follow.
    if ((event && event.code) === TLS_PEER_CLOSE_NOTIFY || this.failed) return;
    this.failed = true;
    if (this.live()) this.handlers.onError(fromErrorEvent(event, this.connected));
  }

  write(bytes: Uint8Array): boolean {
    const socket = this.socket;
    if (socket === null || this.closed || this.dead || this.ended) throw new Error('This socket is closed');
    try {
      // For a whole array E.toString returns the array's own storage (no copy); that is safe
      // because socket.write appends a copy to the socket's queue before returning.
      socket.write(E.toString(bytes));
    } catch (_e) {
      // Espruino closed the socket (a dead link, a reset) before its 'close' event reached us:
      // no throw from here, and one onClose soon, with or without Espruino's own events.
      this.ended = true;
      const self = this;
      setTimeout(function () {
        if (!self.live()) return;
        if (!self.failed) {
          self.failed = true;
          self.handlers.onError({ kind: 'closed', code: -1, message: 'the connection closed while writing' });
        }
        self.close();
      }, 0);
      return false;
    }
    this.inFlight += bytes.length;
    if (this.inFlight < this.window) return true;
    this.draining = true;
    return false;
  }

  end(): void {
    if (this.ended || this.dead || this.closed) return;
    this.ended = true;
    if (this.socket !== null) this.socket.end();
  }

  destroy(): void {
    if (this.dead || this.closed) return;
    this.dead = true;
    const socket = this.socket;
    if (socket !== null && !this.ended) {
      try {
        socket.end();
      } catch (_e) {
        // already closing: nothing to stop
      }
    }
    this.ended = true;
    const self = this;
    setTimeout(function () { self.close(); }, 0);
  }

  private live(): boolean {
    return !this.closed && !this.dead;
  }

  /** Delivers the one onClose (the socket's, or the synthetic one after destroy or a throw). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Break the socket <-> adapter cycle, so both are freed without waiting for a GC pass.
    if (this.socket !== null) this.socket.wsclient = null;
    this.socket = null;
    this.handlers.onClose();
  }
}
