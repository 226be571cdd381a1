/**
 * Base64 encoding (RFC 4648 §4: standard alphabet, with padding), used for the handshake keys.
 */
/**
 * Encodes `data` as base64 with the standard alphabet and `=` padding. Used for 16- and
 * 20-byte keys only, so a string built piece by piece costs nothing that matters, and the
 * alphabet, a literal in here, stays in flash on a board.
 */
export function base64Encode(data: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const n = data.length;
  let out = '';
  for (let i = 0; i < n; i += 3) {
    // One to three bytes: 2 to 4 characters, then padding to 4.
    const v = (data[i] << 16) | (i + 1 < n ? data[i + 1] << 8 : 0) | (i + 2 < n ? data[i + 2] : 0);
    out +=
      alphabet.charAt(v >> 18) +
      alphabet.charAt((v >> 12) & 63) +
      (i + 1 < n ? alphabet.charAt((v >> 6) & 63) : '=') +
      (i + 2 < n ? alphabet.charAt(v & 63) : '=');
  }
  return out;
}
