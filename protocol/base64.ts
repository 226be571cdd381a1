/**
 * Base64 encoding (RFC 4648 §4: standard alphabet, with padding), used for the handshake keys.
 */
import { latin1Decode, latin1Encode } from './latin1';

const ALPHABET = latin1Encode('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD = 61; // '='

/** Encodes `data` as base64 with the standard alphabet and `=` padding. */
export function base64Encode(data: Uint8Array): string {
  const n = data.length;
  const out = new Uint8Array(((n + 2) / 3 | 0) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out[o++] = ALPHABET[v >> 18];
    out[o++] = ALPHABET[(v >> 12) & 63];
    out[o++] = ALPHABET[(v >> 6) & 63];
    out[o++] = ALPHABET[v & 63];
  }
  if (i < n) {
    // One or two bytes left: emit 2 or 3 characters, then pad to 4.
    const two = i + 1 < n;
    const v = (data[i] << 16) | (two ? data[i + 1] << 8 : 0);
    out[o++] = ALPHABET[v >> 18];
    out[o++] = ALPHABET[(v >> 12) & 63];
    out[o++] = two ? ALPHABET[(v >> 6) & 63] : PAD;
    out[o++] = PAD;
  }
  return latin1Decode(out, 0, o);
}
