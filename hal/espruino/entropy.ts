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

/** Register reads of the start-up test: 128 bytes, a moment's work on the board. */
const HEALTH_READS = 32;
/** Among the test's bytes, a value seen this often fails it (see registerLooksRandom). */
const BYTE_CUTOFF = 10;

/**
 * The start-up test, on `reads` words of `read` (at least 3). Each check catches a kind of
 * broken or non-random register, and fails a uniformly random one with the probability given
 * (for 32 reads; below 2e-7 together):
 * - every word differs from all before it: a stuck register, and any cycle shorter than the
 *   run, e.g. two values alternating (NIST SP 800-90B §4.4.1 repetition count on words,
 *   cutoff 2; 1.2e-7);
 * - no two successive differences are equal: a counter or a fixed stride (7e-9);
 * - every bit changes between some two reads, and none changes between all of them: bits
 *   stuck at 0 or 1 (an unmapped address, a register narrower than 32 bits), and the low bit
 *   of a counter, a stride or a power-of-two LCG, which flips every time (3e-8);
 * - no byte value is seen `byteCutoff` times or more among the 4 x `reads` bytes (§4.4.2
 *   adaptive proportion, taken over every value): a biased register (3.2e-8 for cutoff 10).
 * A read that throws fails the test. What it cannot catch: a good PRNG behind the register.
 */
export function registerLooksRandom(read: () => number, reads: number, byteCutoff: number): boolean {
  const words: number[] = [];
  const counts = new Uint8Array(256);
  let prev = 0;
  let diff = 0;
  let always = -1;
  let ever = 0;
  try {
    for (let i = 0; i < reads; i++) {
      const w = read() | 0;
      // Repetitions and short cycles.
      if (words.indexOf(w) >= 0) return false;
      words.push(w);
      if (i > 0) {
        // Counters and strides.
        const d = (w - prev) | 0;
        if (i > 1 && d === diff) return false;
        diff = d;
        // Bits that flip on every read, or on none.
        always &= w ^ prev;
        ever |= w ^ prev;
      }
      prev = w;
      // Adaptive proportion over the bytes so far.
      if (++counts[w & 255] >= byteCutoff || ++counts[(w >> 8) & 255] >= byteCutoff ||
        ++counts[(w >> 16) & 255] >= byteCutoff || ++counts[(w >> 24) & 255] >= byteCutoff) return false;
    }
  } catch (_e) {
    return false;
  }
  return always === 0 && ever === -1;
}

/**
 * An Entropy over the board's RNG register; see {@link EspruinoEntropyOptions}. Nothing is
 * read until the first fill(): the start-up test runs then, when the first connection starts
 * (on an ESP32 the register is a true RNG only once the radio is on), and its verdict holds
 * for every later fill().
 */
export function createEspruinoEntropy(options: EspruinoEntropyOptions): Entropy {
  const register = options.readRegister;
  const warn = options.warn || function (message: string) { console.log(message); };
  // 0 not tested yet, 1 healthy register, 2 weak (allowed), 3 refused.
  let state = 0;
  let read = register as () => number;
  let a = (getTime() * 1e6) | 0;
  let b = 0;
  // The continuous test: a read equal to the one two before means the register stopped
  // changing or alternates between two values (about 2^-32 per read for a random one, as before).
  let last = 0;
  let before = 0;

  function start(): void {
    if (register !== null && registerLooksRandom(register, HEALTH_READS, BYTE_CUTOFF)) state = 1;
    else if (options.allowWeakEntropy === true) {
      state = 2;
      // Weak mode draws from Espruino's PRNG, seeded by the boot time in microseconds.
      read = function () { return E.hwRand(); };
      warn('wsclient: WARNING: no hardware randomness, WebSocket keys and masks are predictable (allowWeakEntropy)');
    } else {
      state = 3;
      return;
    }
    b = read() | 0;
    last = b;
    before = b;
  }

  // One add-rotate-xor round per fresh word.
  function next(): number {
    const r = read() | 0;
    if (r === before && state === 1) {
      throw localError('WS_ERR_WEAK_ENTROPY', 'the hardware random number register repeated a value: refusing to make keys');
    }
    before = last;
    last = r;
    a = (a + r) | 0;
    const x = b ^ a;
    b = (x << 13) | (x >>> 19);
    a = (((a << 7) | (a >>> 25)) + b) | 0;
    return a ^ b;
  }

  return {
    fill: function (out: Uint8Array): void {
      if (state === 0) start();
      if (state === 3) {
        throw localError('WS_ERR_WEAK_ENTROPY',
          'the hardware random number register failed its start-up test, so WebSocket keys and masks would be predictable; ' +
          'pass { allowWeakEntropy: true } to connect anyway');
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
