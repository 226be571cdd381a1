/**
 * The HAL on Espruino (ESP32, ESP8266): sockets over net/tls, byte-string text, native
 * SHA-1 where the build has it, getTime()/setTimeout, and entropy from the chip's RNG register.
 *
 * Shaped by what memory costs on the board: code stays in flash, but every function object,
 * local, property and object is made of JsVars (a function about 5, a property or local 1–2),
 * and the ESP8266 has 1,600 of them for everything. So there is one factory,
 * createEspruinoHal, which builds only the closures the HAL interface needs; the clock and
 * the text codec are constant objects (clock.ts, text.ts); a connection is one small object
 * (tcp.ts). The closures it makes (connect, fill) are each about 8 JsVars: every closure
 * keeps its own list of the scopes around it.
 */
import type { BoardRuntime } from '../../boards/types';
// protocol/errors directly: the protocol's index would pull in its module-level tables.
import { localError } from '../../protocol/errors';
import type { Entropy, Hal, TcpConnector, TcpHandlers, TcpSocket, TcpTarget, WifiLink } from '../types';
import { espruinoClock } from './clock';
import { registerLooksRandom } from './entropy';
import { EspruinoTcpSocket } from './tcp';
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

/** Bytes written since the socket's queue was last empty before write() returns false, when the board names none. */
const enum Default {
  WriteWindow = 1024,
}

/** The entropy source's state: the start-up test has not run yet, passed, failed but weak entropy is allowed, failed. */
const enum Rng {
  Untested = 0,
  Healthy = 1,
  Weak = 2,
  Refused = 3,
}

/**
 * `require('crypto').SHA1` as a HAL sha1 (it returns a 20-byte ArrayBuffer). The module is
 * looked up per call, once per handshake: a built-in, so that is cheap, and nothing holds it.
 */
function nativeSha1(data: Uint8Array): Uint8Array {
  return new Uint8Array(require('crypto').SHA1(data));
}

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
        return new EspruinoTcpSocket(target, handlers, board.writeWindow === undefined ? Default.WriteWindow : board.writeWindow);
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
          throw localError(
            'WS_ERR_WEAK_ENTROPY',
            'the hardware random number register failed its start-up test, so WebSocket keys and masks would be predictable; ' +
              'pass { allowWeakEntropy: true } to connect anyway',
          );
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
      if (typeof require('crypto').SHA1 === 'function') hal.sha1 = nativeSha1;
    } catch (_e) {
      // e.g. the 512 KB ESP8266 build: the protocol's own SHA-1 is used instead
    }
  }
  if (o.wifi) hal.wifi = o.wifi;
  return hal;
}

// Parts of the HAL on their own, for tests and tools. A board bundle imports only
// createEspruinoHal, so these cost it nothing; the sockets and SHA-1 are built here without
// createEspruinoHal, so that a bundle of them alone stays small (the interpreter tests load
// such bundles with Modules.addCached, which keeps their source in JsVars).

/** A TcpConnector over `require('net')`, and over `require('tls')` when `tls` is true; createEspruinoHal's `tcp`. */
export function createEspruinoTcp(tls: boolean, writeWindow?: number): TcpConnector {
  return {
    supportsTls: tls,
    connect: function (target: TcpTarget, handlers: TcpHandlers): TcpSocket {
      return new EspruinoTcpSocket(target, handlers, writeWindow === undefined ? Default.WriteWindow : writeWindow);
    },
  };
}

/** How {@link createEspruinoEntropy} is built: the register reader is required here. */
export type EspruinoEntropyOptions = Required<Pick<EspruinoHalOptions, 'readRegister'>> & Pick<EspruinoHalOptions, 'allowWeakEntropy'>;

/** The HAL's entropy source over `options.readRegister` (see EspruinoHalOptions). */
export function createEspruinoEntropy(options: EspruinoEntropyOptions): Entropy {
  return createEspruinoHal({ tls: false, nativeSha1: false, rngRegister: 0 }, options).entropy;
}

/** createEspruinoHal's sha1: `require('crypto').SHA1`, or undefined when the build has no crypto module. */
export function findNativeSha1(): ((data: Uint8Array) => Uint8Array) | undefined {
  try {
    return typeof require('crypto').SHA1 === 'function' ? nativeSha1 : undefined;
  } catch (_e) {
    return undefined;
  }
}
