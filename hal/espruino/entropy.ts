/**
 * Entropy for keys and masks on the ESP chips.
 *
 * Math.random() and E.hwRand() are one fixed-seed generator on ESP builds: the same sequence
 * after every boot. The real source is the chip's hardware RNG register (read with peek32),
 * random while the radio is on. Each fresh register word is mixed, with the microsecond bits
 * of getTime(), into a small add-rotate-xor state, so a biased or partly stuck register
 * still spreads over all output bits. The protocol draws 256 bytes at a time, so the loop
 * does one register read and a handful of integer operations per 4 bytes.
 */
// protocol/errors directly: the protocol's index would pull in its module-level tables.
import { localError } from '../../protocol/errors';
import type { Entropy } from '../types';

/** How the entropy source is built. */
export interface EspruinoEntropyOptions {
  /** Reads one 32-bit word of the hardware RNG; null when the chip's register is not reachable. */
  readRegister: (() => number) | null;
  /**
   * When the register fails its start-up test: false (the default) makes fill() throw
   * WS_ERR_WEAK_ENTROPY, so no client connects with predictable keys and masks; true falls
   * back to E.hwRand() and getTime(), with one warning.
   */
  allowWeakEntropy?: boolean;
  /** Where the one warning goes (default console.log). */
  warn?: (message: string) => void;
}

/** Register reads of the start-up test. */
const HEALTH_READS = 8;

/**
 * The start-up test: `reads` words must all differ (a stuck or slow register repeats) and
 * none may be all zeros or all ones (an unmapped address). A read that throws fails it.
 */
export function registerLooksRandom(read: () => number, reads: number): boolean {
  const seen: number[] = [];
  try {
    for (let i = 0; i < reads; i++) {
      const word = read() >>> 0;
      if (word === 0 || word === 0xffffffff || seen.indexOf(word) >= 0) return false;
      seen.push(word);
    }
  } catch (e) {
    return false;
  }
  return true;
}

/** An Entropy over the board's RNG register; see {@link EspruinoEntropyOptions}. */
export function createEspruinoEntropy(options: EspruinoEntropyOptions): Entropy {
  const register = options.readRegister;
  const warn = options.warn || function (message: string) { console.log(message); };
  const healthy = register !== null && registerLooksRandom(register, HEALTH_READS);
  const weak = !healthy && options.allowWeakEntropy === true;
  // Weak mode draws from Espruino's PRNG, seeded by the boot time in microseconds.
  const read = healthy ? register as () => number : function () { return E.hwRand(); };
  let warned = false;
  let a = (getTime() * 1e6) | 0;
  let b = read() | 0;
  // The continuous test: a register read equal to the one before means it stopped changing.
  let last = b;

  // One add-rotate-xor round per fresh word.
  function next(): number {
    const r = read() | 0;
    if (r === last && healthy) {
      throw localError('WS_ERR_WEAK_ENTROPY', 'the hardware random number register repeated a value: refusing to make keys');
    }
    last = r;
    a = (a + r) | 0;
    const x = b ^ a;
    b = (x << 13) | (x >>> 19);
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    return a ^ b;
  }

  return {
    fill: function (out: Uint8Array): void {
      if (!healthy && !weak) {
        throw localError('WS_ERR_WEAK_ENTROPY',
          'the hardware random number register failed its start-up test, so WebSocket keys and masks would be predictable; ' +
          'pass { allowWeakEntropy: true } to connect anyway');
      }
      if (weak && !warned) {
        warned = true;
        warn('wsclient: WARNING: no hardware randomness, WebSocket keys and masks are predictable (allowWeakEntropy)');
      }
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
  };
}
