/**
 * The HAL on Espruino (ESP32, ESP8266): sockets over net/tls, byte-string text, native
 * SHA-1 where the build has it, getTime()/setTimeout, and entropy from the chip's RNG register.
 *
 * Shaped by what memory costs on the board: code stays in flash, but every function object,
 * local, property and object is made of JsVars (a function about 5, a property or local 1–2),
 * and the ESP8266 has 1,600 of them for everything. So there is one factory,
 * createEspruinoHal, which builds only the closures the HAL interface needs; the clock and
 * the text codec are constant objects (clock.ts, text.ts); a connection is four closures over
 * a few numbers, with one listener for every socket event.
 *
 * What Espruino's sockets do differently from Node, and what the HAL does about it:
 * - 'data' delivers a byte string: it becomes a Uint8Array over the string's own storage.
 * - write() sends its argument's toString(), so a Uint8Array would go out as "1,2,3": bytes
 *   are converted with E.toString() first. write() always returns false; 'drain' (queue
 *   empty) is the only flow control, so the HAL counts what it wrote since the last drain and
 *   returns false (then reports onDrain) once that reaches the board's write window.
 * - ESP32 connect failures are thrown by net.connect; ESP8266 ones come as 'error' events
 *   {code, message} with the codes of libs/network/socketerrors.h (-1…-15), then end and close.
 * - Every close emits 'end' just before 'close' (after failed connects and errors too), so
 *   'end' is not listened to: a close of a connection that was up, without error or
 *   destroy(), is the FIN (onEnd, then onClose).
 * - There is no destroy(): end() it and ignore everything but one synthetic onClose.
 */
import type { BoardRuntime } from '../../boards/types';
// protocol/errors directly: the protocol's index would pull in its module-level tables.
import { localError } from '../../protocol/errors';
import type { Entropy, Hal, HalErrorKind, TcpConnector, TcpHandlers, TcpSocket, TcpTarget, WifiLink } from '../types';
import { espruinoClock } from './clock';
import { registerLooksRandom } from './entropy';
import { espruinoTextCodec } from './text';

export { espruinoClock } from './clock';
export { registerLooksRandom } from './entropy';
export { espruinoTextCodec } from './text';
export { createWifiLink, isUsableIp } from './wifi';
export type { EspruinoWifi, WifiLinkOptions } from './wifi';

/** What createEspruinoHal needs of a board profile. */
export type HalBoard = Pick<BoardRuntime, 'tls' | 'nativeSha1' | 'rngRegister'> & Partial<Pick<BoardRuntime, 'writeWindow'>>;

/** Options of {@link createEspruinoHal}; every field is optional. */
export interface EspruinoHalOptions {
  /**
   * Connect even when the hardware RNG fails its start-up test, with keys and masks from
   * Espruino's predictable PRNG (a warning is printed once). Default false: the client refuses.
   */
  allowWeakEntropy?: boolean;
  /**
   * Reads one 32-bit word of hardware randomness (default: peek32 of the board's RNG
   * register). null: there is none (e.g. Espruino's Linux build, where peek32 of an ESP
   * address crashes); then only allowWeakEntropy lets a client connect.
   */
  readRegister?: (() => number) | null;
  /** The Wi-Fi link to expose as `hal.wifi` (see createWifiLink). */
  wifi?: WifiLink | undefined;
}

/** Set to true by tools/build.ts for boards without TLS, so their bundle has no require('tls'). */
declare const __WSCLIENT_NO_TLS__: boolean;

/** Bytes written since the socket's queue was last empty before write() returns false, when the board names none. */
const enum Default { WriteWindow = 1024 }

/** The entropy source's state: the start-up test has not run yet, passed, failed but weak entropy is allowed, failed. */
const enum Rng { Untested = 0, Healthy = 1, Weak = 2, Refused = 3 }

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
const enum Code { TlsPeerCloseNotify = -30848 }

/** An Espruino socket 'error' payload, or one made here for a failure Espruino throws. */
interface SocketError {
  code?: unknown;
  message?: unknown;
}

/** The part of an Espruino Socket used here. */
interface EspruinoSocket {
  write(data: string): boolean;
  end(): void;
  on(event: string, listener: (arg: SocketEvent) => void): void;
}

/**
 * What a socket listener gets: a byte string ('data'), a boolean ('close': whether an error
 * came first), the socket itself ('connect' and 'drain'), or an error ('error').
 */
type SocketEvent = string | boolean | EspruinoSocket | SocketError | undefined;

/**
 * Builds the Espruino HAL for `board`. Reads no randomness yet: the entropy start-up test runs
 * at the first fill(), when the first connection starts (the ESP32's RNG needs the radio on).
 */
export function createEspruinoHal(board: HalBoard, options?: EspruinoHalOptions): Hal {
  const o = options || {};
  // The entropy source: its state (Rng), and an add-rotate-xor mixing state (a, b) that each
  // fresh register word goes into, with the microsecond bits of getTime(), so a biased or
  // partly stuck register still spreads over all output bits. `last` and `before` are the two
  // previous words, for the continuous test: a read equal to the one two before means the
  // register stopped changing or alternates between two values (about 2^-32 per read for a
  // random one).
  let rng = Rng.Untested;
  let a = (getTime() * 1e6) | 0;
  let b = 0;
  let last = 0;
  let before = 0;

  const hal: Hal = {
    tcp: {
      supportsTls: board.tls,
      connect: function (target: TcpTarget, handlers: TcpHandlers): TcpSocket {
        let socket: EspruinoSocket | null = null;
        let state = 0;
        // Bytes written since the queue was last empty.
        let sent = 0;

        // Every socket event, told apart by its argument (see SocketEvent). Espruino calls it
        // with `this` set to the socket; it needs none.
        const on = function (x: SocketEvent): void {
          if (state & Conn.Closed) return;
          const live = !(state & Conn.Dead);
          if (typeof x === 'string') {
            // A view of the string's storage, no copy: the string is ours alone from here on.
            if (live) handlers.onData(new Uint8Array(E.toArrayBuffer(x)));
          } else if (typeof x === 'boolean') {
            if ((state & (Conn.Connected | Conn.Failed | Conn.Dead)) === Conn.Connected) handlers.onEnd();
            state |= Conn.Closed;
            // Drops the socket, whose listener is this closure: both are freed without a GC pass.
            socket = null;
            handlers.onClose();
          } else if (x === socket && x !== null) {
            // 'connect' comes first (Espruino only drains before it when something was written
            // before it, and then the connection is up too); every later one is a 'drain'.
            if (!(state & Conn.Connected)) {
              state |= Conn.Connected;
              if (live) handlers.onConnect();
              return;
            }
            sent = 0;
            // Espruino also drains after writes nobody waits for.
            if (!(state & Conn.Draining) || !live) return;
            state &= ~Conn.Draining;
            handlers.onDrain();
          } else {
            const e = (typeof x === 'object' && x !== null ? x : {}) as SocketError;
            const code = typeof e.code === 'number' ? e.code : -10;
            // An orderly TLS shutdown (close_notify) shows up as an error; end and close follow.
            if (code === Code.TlsPeerCloseNotify || state & Conn.Failed) return;
            state |= Conn.Failed;
            if (!live) return;
            // -9 ("connection reset") is how a refused connect shows up too: before the
            // connection was up it can only be a refusal. -1 (closed) is never an Espruino
            // error event: it is the HAL's own, for a write that found the socket gone. Codes
            // below Espruino's own range come straight from mbedTLS (-0x7xxx…-0x1xxx).
            let kind: HalErrorKind = 'other';
            if (code === -6) kind = 'dns';
            else if (code === -9) kind = state & Conn.Connected ? 'reset' : 'refused';
            else if (code === -3) kind = 'timeout';
            else if (code === -1) kind = 'closed';
            else if (code === -13 || code === -14 || code < -0x1000) kind = 'tls';
            handlers.onError({ kind: kind, code: code, message: typeof e.message === 'string' && e.message !== '' ? e.message : `socket error ${code}` });
          }
        };

        try {
          const opened: { [key: string]: unknown } = { host: target.host, port: target.port };
          if (target.tls) {
            if (typeof __WSCLIENT_NO_TLS__ !== 'undefined' && __WSCLIENT_NO_TLS__) throw new Error('this board has no TLS');
            // Espruino's TLS checks no certificate (mbedTLS VERIFY_NONE) and sends no usable
            // SNI; `ca` is passed on for builds that use it.
            const tls = target.tlsOptions;
            if (tls && tls.ca !== undefined) opened.ca = typeof tls.ca === 'string' ? tls.ca : E.toString(tls.ca);
            socket = require('tls').connect(opened, on) as EspruinoSocket;
          } else socket = require('net').connect(opened, on) as EspruinoSocket;
          socket.on('data', on);
          socket.on('drain', on);
          socket.on('error', on);
          socket.on('close', on);
        } catch (thrown) {
          // ESP32: DNS failure or refused connect. Reported later, never inside connect(), with
          // the codes of socketerrors.h (-6 not found, -9 reset/refused), so both chips report
          // the same numbers.
          const message = thrown && typeof (thrown as SocketError).message === 'string' ? (thrown as { message: string }).message : String(thrown);
          const error: SocketError = {
            code: message.indexOf('locate host') >= 0 ? -6 : message.indexOf('create socket') >= 0 ? -9 : /ssl|tls|certificate/i.test(message) ? -13 : -10,
            message: message,
          };
          setTimeout(function () {
            on(error);
            on(true);
          }, 0);
        }

        return {
          write: function (bytes: Uint8Array): boolean {
            const s = socket;
            if (s === null || state & (Conn.Closed | Conn.Dead | Conn.Ended)) throw new Error('This socket is closed');
            try {
              // For a whole array E.toString returns the array's own storage (no copy); that is
              // safe because socket.write appends a copy to the socket's queue before returning.
              s.write(E.toString(bytes));
            } catch (_e) {
              // Espruino closed the socket (a dead link, a reset) before its 'close' event
              // reached us: no throw from here, and one onError and onClose soon, with or
              // without Espruino's own events.
              state |= Conn.Ended;
              setTimeout(function () {
                on({ code: -1, message: 'the connection closed while writing' });
                on(true);
              }, 0);
              return false;
            }
            sent += bytes.length;
            if (sent < (board.writeWindow === undefined ? Default.WriteWindow : board.writeWindow)) return true;
            state |= Conn.Draining;
            return false;
          },
          end: function (): void {
            if (state & (Conn.Ended | Conn.Dead | Conn.Closed)) return;
            state |= Conn.Ended;
            if (socket !== null) socket.end();
          },
          destroy: function (): void {
            if (state & (Conn.Dead | Conn.Closed)) return;
            if (socket !== null && !(state & Conn.Ended)) {
              try {
                socket.end();
              } catch (_e) {
                // already closing: nothing to stop
              }
            }
            state |= Conn.Dead | Conn.Ended;
            setTimeout(function () { on(false); }, 0);
          },
        };
      },
    },
    clock: espruinoClock,
    entropy: {
      fill: function (out: Uint8Array): void {
        const register = o.readRegister;
        // One fresh word: the injected reader, the board's register, or in weak mode Espruino's
        // PRNG (seeded by the boot time in microseconds).
        const read = function (): number {
          return (rng === Rng.Weak ? E.hwRand() : register === undefined ? peek32(board.rngRegister) : (register as () => number)()) | 0;
        };
        if (rng === Rng.Untested) {
          // Once, at the first fill(): on an ESP32 the register is a true RNG only once the
          // radio is on. The verdict holds for every later fill().
          if (register !== null && registerLooksRandom(read)) rng = Rng.Healthy;
          else if (o.allowWeakEntropy === true) {
            rng = Rng.Weak;
            console.log('wsclient: WARNING: no hardware randomness, WebSocket keys and masks are predictable (allowWeakEntropy)');
          } else rng = Rng.Refused;
          if (rng !== Rng.Refused) {
            b = read();
            last = b;
            before = b;
          }
        }
        if (rng === Rng.Refused) {
          throw localError('WS_ERR_WEAK_ENTROPY',
            'the hardware random number register failed its start-up test, so WebSocket keys and masks would be predictable; ' +
            'pass { allowWeakEntropy: true } to connect anyway');
        }
        // One add-rotate-xor round per fresh word. The protocol draws 256 bytes at a time, so
        // this is one register read and a handful of integer operations per 4 bytes.
        const next = function (): number {
          const r = read();
          if (r === before && rng === Rng.Healthy) {
            throw localError('WS_ERR_WEAK_ENTROPY', 'the hardware random number register repeated a value: refusing to make keys');
          }
          before = last;
          last = r;
          a = (a + r) | 0;
          const x = b ^ a;
          b = (x << 13) | (x >>> 19);
          a = (((a << 7) | (a >>> 25)) + b) | 0;
          return a ^ b;
        };
        // Timing jitter: when in the boot this draw happens, to the microsecond.
        a = (a + ((getTime() * 1e6) | 0)) | 0;
        const n = out.length;
        // Whole words straight into an aligned view; the odd tail byte by byte.
        const whole = (out.byteOffset & 3) === 0 ? n >> 2 : 0;
        if (whole > 0) {
          const words = new Int32Array(out.buffer, out.byteOffset, whole);
          for (let i = 0; i < whole; i++) words[i] = next();
        }
        for (let i = whole * 4; i < n; i += 4) {
          const w = next();
          out[i] = w;
          if (i + 1 < n) out[i + 1] = w >> 8;
          if (i + 2 < n) out[i + 2] = w >> 16;
          if (i + 3 < n) out[i + 3] = w >> 24;
        }
      },
    },
    text: espruinoTextCodec,
  };
  if (board.nativeSha1) {
    try {
      // require('crypto') is looked up again per call (once per handshake): a built-in
      // module, so that is cheap, and the HAL keeps no reference to it.
      if (typeof require('crypto').SHA1 === 'function') {
        // It returns a 20-byte ArrayBuffer.
        hal.sha1 = function (data: Uint8Array): Uint8Array { return new Uint8Array(require('crypto').SHA1(data)); };
      }
    } catch (_e) {
      // e.g. the 512 KB ESP8266 build: the protocol's own SHA-1 is used instead
    }
  }
  if (o.wifi) hal.wifi = o.wifi;
  return hal;
}

// Parts of the HAL on their own, for tests and tools (each is createEspruinoHal's). A board
// bundle imports only createEspruinoHal, so these cost it nothing.

/** A board with nothing: no TLS, no SHA-1, no register. */
const BARE: HalBoard = { tls: false, nativeSha1: false, rngRegister: 0 };

/** A TcpConnector over `require('net')`, and over `require('tls')` when `tls` is true. */
export function createEspruinoTcp(tls: boolean, writeWindow?: number): TcpConnector {
  return createEspruinoHal(writeWindow === undefined ? { tls: tls, nativeSha1: false, rngRegister: 0 } : { tls: tls, nativeSha1: false, rngRegister: 0, writeWindow: writeWindow }).tcp;
}

/** How {@link createEspruinoEntropy} is built: the register reader is required here. */
export type EspruinoEntropyOptions = Required<Pick<EspruinoHalOptions, 'readRegister'>> & Pick<EspruinoHalOptions, 'allowWeakEntropy'>;

/** The HAL's entropy source over `options.readRegister` (see EspruinoHalOptions). */
export function createEspruinoEntropy(options: EspruinoEntropyOptions): Entropy {
  return createEspruinoHal(BARE, options).entropy;
}

/** `require('crypto').SHA1` as a HAL sha1, or undefined when the build has no crypto module. */
export function findNativeSha1(): ((data: Uint8Array) => Uint8Array) | undefined {
  return createEspruinoHal({ tls: false, nativeSha1: true, rngRegister: 0 }).sha1;
}
