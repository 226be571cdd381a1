/**
 * Entry of the Espruino module `ws` (dist/<board>/ws.js): a drop-in for the client of
 * EspruinoDocs' `ws` module, on this library's client. Uploaded to Storage as `ws`, a sketch
 * written for Espruino's module runs unchanged:
 *
 *   var WebSocket = require('ws');
 *   var ws = new WebSocket('192.168.1.10', { port: 8080, path: '/', protocol: 'chat', keepAlive: 60 });
 *   ws.on('open', function () { ws.send('hello'); });
 *   ws.on('message', function (msg) { print(msg); });
 *
 * Same constructor, options and events as Espruino's module; what differs is only what that
 * module gets wrong (README, "Migrating from Espruino's ws"): binary, fragments, UTF-8
 * validation, masks from the hardware RNG, the close handshake and its codes, pings answered
 * with their payload, dead connections detected. Events are emitted with Espruino's own
 * EventEmitter (`emit` on every object), so they run after the current code, as there.
 *
 * Kept small on purpose: every function and property is memory on the board. The module
 * exports the constructor itself (`module.exports`), not an object, as Espruino's does.
 */
import type { CloseEvent, ControlEvent, ErrorEvent, MessageEvent, OpenEvent } from './websocket';
import { WebSocket } from './wsclient-module';

/** The options of Espruino's `ws` client; all optional. */
interface EspruinoWsOptions {
  /** TCP port (80). */
  port?: number;
  /** Request path ('/'). */
  path?: string;
  /** One subprotocol to offer (none). */
  protocol?: string;
  /** The `Origin` header ('Espruino', as Espruino's module sends). */
  origin?: string;
  /** Seconds between pings (60; 0 also means 60, as there). */
  keepAlive?: number;
  /** Extra request headers; values are sent as strings (`42` → "42"). */
  headers?: { [name: string]: unknown };
  /** Ignored: version 13 is the only one (RFC 6455). */
  protocolVersion?: number;
  /** Ignored: a client always masks (RFC 6455 §5.3). */
  masking?: boolean;
}

/** Espruino's EventEmitter, on every object of the board (not declared by TypeScript's lib). */
interface Emitter {
  emit(event: string, a?: unknown, b?: unknown): void;
}

/** The client's events that are relayed. */
type ClientEvent = OpenEvent | MessageEvent | CloseEvent | ErrorEvent | ControlEvent;

class EspruinoWs {
  private client: WebSocket;

  constructor(host: string, options?: EspruinoWsOptions) {
    const o = options || {};
    const given = o.headers || {};
    const headers: { [name: string]: string } = {};
    const names = Object.keys(given);
    for (let i = 0; i < names.length; i++) headers[names[i]] = String(given[names[i]]);
    const client = new WebSocket('ws://' + host + ':' + (o.port || 80) + (o.path || '/'), o.protocol ? [o.protocol] : [], {
      origin: o.origin || 'Espruino',
      headers: headers,
      // Seconds, as in Espruino's module, where 0 and a missing value both mean 60.
      pingInterval: (o.keepAlive as number) * 1000 || 60000,
    });
    this.client = client;
    const self = this as unknown as Emitter;
    // One function relays every event (each function costs memory on the board), with the
    // arguments Espruino's module gives, plus what it could not give (close code and reason).
    function relay(event: ClientEvent): void {
      if (event.type === 'message') self.emit('message', event.data);
      else if (event.type === 'close') self.emit('close', event.code, event.reason);
      else if (event.type === 'error') self.emit('error', event);
      else {
        if (event.type === 'open') self.emit('handshake');
        self.emit(event.type);
      }
    }
    client.onopen = client.onmessage = client.onclose = client.onerror = relay;
    client.on('ping', relay);
    client.on('pong', relay);
  }

  /**
   * Sends `msg`: a string as text, or, with opcode 0x82 (as Espruino's module is used for
   * binary: `send(E.toString(bytes), 0x82)`), as binary; a Uint8Array or ArrayBuffer is sent as
   * binary. Opcode 0x89 sends a ping. Returns false when the message was not accepted (not
   * open, or the send queue is full).
   */
  send(msg: string | ArrayBuffer | ArrayBufferView, opcode?: number): boolean {
    const client = this.client;
    if (opcode === 0x89) return client.ping(msg);
    if (opcode === 0x82) return client.send(typeof msg === 'string' ? E.toUint8Array(msg) : msg);
    if (opcode !== undefined && opcode !== 0x81) throw new Error('ws.send: opcode must be 0x81 (text), 0x82 (binary) or 0x89 (ping), got ' + opcode);
    return client.send(msg);
  }

  /** Starts the closing handshake (code 1000); 'close' follows once the server answered. */
  close(): void {
    this.client.close();
  }
}

// Espruino's module loader returns `module.exports`: `require('ws')` is the constructor itself.
// (Behind a typeof test because esbuild warns about a bare `module` in an ES module.)
(typeof module === 'object' ? module : { exports: null }).exports = EspruinoWs;
