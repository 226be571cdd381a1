import { at } from './at';

/** Entropy that returns 0,1,2,… (or repeats a fixed pattern) so masks and keys are predictable. */
export function countingEntropy(pattern?: number[]): (out: Uint8Array) => void {
  let n = 0;
  return (out) => {
    for (let i = 0; i < out.length; i++, n++) out[i] = pattern ? at(pattern, n % pattern.length, 'entropy pattern') : n & 0xff;
  };
}
