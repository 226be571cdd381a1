import { randomFillSync } from 'node:crypto';
import type { Entropy } from '../types';

/** Bytes of OS randomness drawn per refill: one call serves 32 of the protocol's 256-byte mask pools. */
const POOL_SIZE = 8192;

/**
 * Entropy from the operating system's CSPRNG, drawn in bulk: small requests are served from
 * an 8 KiB pool of its bytes (each byte handed out once, then forgotten), larger ones go
 * straight to the CSPRNG.
 */
export function createNodeEntropy(): Entropy {
  const pool = new Uint8Array(POOL_SIZE);
  let next = POOL_SIZE;
  return {
    fill(out) {
      const n = out.length;
      if (n > POOL_SIZE) {
        randomFillSync(out);
        return;
      }
      if (next + n > POOL_SIZE) {
        randomFillSync(pool);
        next = 0;
      }
      out.set(n === POOL_SIZE ? pool : pool.subarray(next, next + n));
      // Wipe what was handed out: the pool never serves the same bytes twice, nor keeps them.
      pool.fill(0, next, next + n);
      next += n;
    },
  };
}
