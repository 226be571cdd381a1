import { randomFillSync } from 'node:crypto';
import type { Entropy } from '../types';

/** Entropy from the operating system's CSPRNG. */
export function createNodeEntropy(): Entropy {
  return { fill: (out) => void randomFillSync(out) };
}
