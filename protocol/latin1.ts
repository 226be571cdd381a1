/**
 * One-byte-per-character text: the ASCII of HTTP headers, and Espruino's byte strings.
 */

// Espruino's Function.apply takes at most 256 arguments (64 before 2v10), and makes a JsVar of
// each: 16 at a time keeps that array small where a response head is read on a full ESP8266.
const CHUNK = 16;

/**
 * Builds a string from `codes[start, end)`, one character per element. Chunked so that no
 * `apply` gets more than {@link CHUNK} arguments.
 */
export function charCodesToString(codes: Uint8Array | Uint16Array, start: number, end: number): string {
  let text = '';
  while (start < end) {
    const stop = end - start > CHUNK ? start + CHUNK : end;
    text += String.fromCharCode.apply(null, codes.subarray(start, stop) as unknown as number[]);
    start = stop;
  }
  return text;
}

/** Encodes `text` with one byte per character (char code & 0xFF). Meant for ASCII text. */
export function latin1Encode(text: string): Uint8Array {
  const n = text.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Decodes `bytes[start, end)` with one character per byte. */
export function latin1Decode(bytes: Uint8Array, start: number, end: number): string {
  return charCodesToString(bytes, start, end);
}
