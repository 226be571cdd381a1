/**
 * Entropy for keys and masks on the ESP chips (the source itself is createEspruinoHal's
 * `entropy`, in index.ts; this file holds its start-up test).
 *
 * Math.random() and E.hwRand() are one fixed-seed generator on ESP builds: the same sequence
 * after every boot. The real source is the chip's hardware RNG register (read with peek32),
 * random while the radio is on. Each fresh register word is mixed, with the microsecond bits
 * of getTime(), into a small add-rotate-xor state, so a biased or partly stuck register
 * still spreads over all output bits. The protocol draws 256 bytes at a time, so the loop
 * does one register read and a handful of integer operations per 4 bytes.
 */
/** The start-up test's defaults: 32 register reads (128 bytes, a moment's work on the board), and the byte cut-off. */
const enum Health {
  Reads = 32,
  ByteCutoff = 10,
}

/**
 * The start-up test, on `reads` words of `read` (at least 3; default 32), run once at the first
 * fill(): its arrays are garbage when it returns. Each check catches a kind of
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
 *   adaptive proportion, taken over every value): a biased register (3.2e-8 for the default
 *   cutoff, 10).
 * A read that throws fails the test. What it cannot catch: a good PRNG behind the register.
 */
export function registerLooksRandom(read: () => number, reads?: number, byteCutoff?: number): boolean {
  const n = reads || Health.Reads;
  const cutoff = byteCutoff || Health.ByteCutoff;
  const words: number[] = [];
  const counts = new Uint8Array(256);
  let prev = 0;
  let diff = 0;
  let always = -1;
  let ever = 0;
  try {
    for (let i = 0; i < n; i++) {
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
      if (++counts[w & 255] >= cutoff || ++counts[(w >> 8) & 255] >= cutoff || ++counts[(w >> 16) & 255] >= cutoff || ++counts[(w >> 24) & 255] >= cutoff)
        return false;
    }
  } catch (_e) {
    return false;
  }
  return always === 0 && ever === -1;
}
