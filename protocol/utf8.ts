/**
 * UTF-8 for WebSocket text messages: a codec for UTF-16 hosts, and an incremental validator.
 * RFC 6455 §8.1: text payloads MUST be valid UTF-8 (RFC 3629), checked as they arrive.
 */
import { charCodesToString } from './latin1';

/** Converts between the platform's strings and UTF-8 bytes. */
export interface TextCodec {
  encode(text: string): Uint8Array;
  /**
   * The text of UTF-8 `bytes[start, end)`. `owned`: the caller gives the array up (it will
   * never change it), so the string may share its memory instead of copying.
   */
  decode(bytes: Uint8Array, start: number, end: number, owned?: boolean): string;
  /**
   * Optional native check of `bytes[start, end)` on its own: true when it is complete, valid
   * UTF-8, false when it is not, undefined when the codec cannot tell quickly (the protocol's
   * JavaScript validator then decides).
   */
  validate?: ((bytes: Uint8Array, start: number, end: number) => boolean | undefined) | undefined;
}

/** What {@link utf8Scan} returns when the input can no longer be valid UTF-8. */
export const UTF8_INVALID = -1;

/**
 * Incremental UTF-8 validation (the WHATWG decoder's state machine without the decoding), as
 * one function over a number, so that validating costs no object and one call per piece.
 *
 * `state` is what the previous piece returned (0 to begin). Returns 0 when `bytes[start, end)`
 * leaves the input on a character boundary, UTF8_INVALID (-1) from the first byte that makes
 * it invalid (and for every later piece), or else a positive state for the character still
 * open: its missing continuation bytes (1 to 3) in the low 2 bits, the bounds of the next
 * continuation byte above them.
 */
export function utf8Scan(state: number, bytes: Uint8Array, start: number, end: number): number {
  if (state < 0) return state;
  let need = state & 3;
  let lower = need > 0 ? (state >> 2) & 0xff : 0x80;
  let upper = need > 0 ? state >> 10 : 0xbf;
  let i = start;
  while (i < end) {
    const b = bytes[i++];
    if (need > 0) {
      if (b < lower || b > upper) return UTF8_INVALID;
      lower = 0x80;
      upper = 0xbf;
      need--;
    } else if (b < 0x80) {
      // ASCII runs, four bytes per test: an interpreter pays for every loop pass.
      while (i + 4 <= end && (bytes[i] | bytes[i + 1] | bytes[i + 2] | bytes[i + 3]) < 0x80) i += 4;
      while (i < end && bytes[i] < 0x80) i++;
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0)
        lower = 0xa0; // overlong below U+0800
      else if (b === 0xed) upper = 0x9f; // surrogates U+D800..U+DFFF
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0)
        lower = 0x90; // overlong below U+10000
      else if (b === 0xf4) upper = 0x8f; // above U+10FFFF
    } else return UTF8_INVALID;
  }
  return need === 0 ? 0 : need | (lower << 2) | (upper << 10);
}

/** True when `bytes[start, end)` is complete, valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  return utf8Scan(0, bytes, start, end) === 0;
}

/** Encodes a UTF-16 string; lone surrogates become U+FFFD (EF BF BD). */
function encodeUtf16(text: string): Uint8Array {
  const n = text.length;
  let size = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size += 4;
      i++;
    } else size += 3;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 63);
      continue;
    }
    if ((c & 0xf800) === 0xd800) {
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (d & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >> 18);
        out[o++] = 0x80 | ((c >> 12) & 63);
        out[o++] = 0x80 | ((c >> 6) & 63);
        out[o++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[o++] = 0xe0 | (c >> 12);
    out[o++] = 0x80 | ((c >> 6) & 63);
    out[o++] = 0x80 | (c & 63);
  }
  return out;
}

/**
 * Decodes UTF-8 `bytes[start, end)` to a UTF-16 string. Input is expected to be valid; if it
 * is not, each maximal invalid subpart becomes U+FFFD, as the WHATWG decoder does.
 */
function decodeUtf16(bytes: Uint8Array, start: number, end: number): string {
  const units = new Uint16Array(end - start);
  let n = 0;
  let i = start;
  while (i < end) {
    let c = bytes[i++];
    if (c < 0x80) {
      units[n++] = c;
      continue;
    }
    let need = 0;
    let lower = 0x80;
    let upper = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lower = 0xa0;
      else if (c === 0xed) upper = 0x9f;
      c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lower = 0x90;
      else if (c === 0xf4) upper = 0x8f;
      c &= 0x07;
    } else c = -1;
    while (need > 0 && c >= 0) {
      const b = i < end ? bytes[i] : -1;
      if (b < lower || b > upper) c = -1;
      else {
        c = (c << 6) | (b & 63);
        lower = 0x80;
        upper = 0xbf;
        need--;
        i++;
      }
    }
    if (c < 0) units[n++] = 0xfffd;
    else if (c < 0x10000) units[n++] = c;
    else {
      c -= 0x10000;
      units[n++] = 0xd800 | (c >> 10);
      units[n++] = 0xdc00 | (c & 0x3ff);
    }
  }
  return charCodesToString(units, 0, n);
}

/** UTF-8 codec for hosts whose strings are UTF-16 (Node, browsers). */
export const utf16TextCodec: TextCodec = { encode: encodeUtf16, decode: decodeUtf16 };
