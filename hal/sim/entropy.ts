import type { Entropy } from '../types';

const DEFAULT_SEED = 0x2545f491;

/**
 * Deterministic "entropy" for tests: a xorshift32 generator, so a seed replays the same
 * masks and handshake keys. Predictable by design; never use it outside tests.
 */
export class SeededEntropy implements Entropy {
  private state: number;

  /** A zero seed would lock xorshift at zero, so it is replaced by a fixed non-zero one. */
  constructor(seed = DEFAULT_SEED) {
    this.state = seed >>> 0 || DEFAULT_SEED;
  }

  fill(out: Uint8Array): void {
    let s = this.state;
    for (let i = 0; i < out.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s >>> 24; // the high byte mixes best
    }
    this.state = s;
  }
}
