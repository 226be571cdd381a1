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

/** Encodes a UTF-16 string; lone surrogates become U+FFFD (EF BF BD). */
function encodeUtf16(text: string): Uint8Array {
  const n = text.length;
  // First pass sizes the output so it is allocated once.
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
  // Every sequence yields no more UTF-16 units than it has bytes.
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

/**
 * Incremental UTF-8 validator (the WHATWG decoder's state machine without the decoding).
 * Fails at the first byte that makes the input invalid, whatever the chunking.
 */
export class Utf8Validator {
  private need: number;
  private lower: number;
  private upper: number;
  private failed: boolean;

  constructor() {
    this.need = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
    this.failed = false;
  }

  /** Forgets all input, for the next message. */
  reset(): void {
    this.need = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
    this.failed = false;
  }

  /**
   * Feeds `bytes[start, end)`. Returns false as soon as the input so far cannot be the start
   * of valid UTF-8, and keeps returning false until {@link reset}.
   */
  update(bytes: Uint8Array, start: number, end: number): boolean {
    if (this.failed) return false;
    let need = this.need;
    let lower = this.lower;
    let upper = this.upper;
    let i = start;
    while (i < end) {
      const b = bytes[i++];
      if (need > 0) {
        if (b < lower || b > upper) {
          this.failed = true;
          return false;
        }
        lower = 0x80;
        upper = 0xbf;
        need--;
      } else if (b < 0x80) {
        // ASCII fast path: four bytes per step, then one at a time.
        while (i + 4 <= end && (bytes[i] | bytes[i + 1] | bytes[i + 2] | bytes[i + 3]) < 0x80) i += 4;
        while (i < end && bytes[i] < 0x80) i++;
      } else if (b >= 0xc2 && b <= 0xdf) need = 1;
      else if (b >= 0xe0 && b <= 0xef) {
        need = 2;
        if (b === 0xe0) lower = 0xa0; // overlong below U+0800
        else if (b === 0xed) upper = 0x9f; // surrogates U+D800..U+DFFF
      } else if (b >= 0xf0 && b <= 0xf4) {
        need = 3;
        if (b === 0xf0) lower = 0x90; // overlong below U+10000
        else if (b === 0xf4) upper = 0x8f; // above U+10FFFF
      } else {
        // 0x80..0xC1 (continuation or overlong lead) and 0xF5..0xFF never start a character.
        this.failed = true;
        return false;
      }
    }
    this.need = need;
    this.lower = lower;
    this.upper = upper;
    return true;
  }

  /** Continuation bytes the character in progress still needs: 0 at a character boundary. */
  pending(): number {
    return this.need;
  }

  /** True when nothing invalid was seen and the input ends on a character boundary. */
  isComplete(): boolean {
    return !this.failed && this.need === 0;
  }
}

/** True when `bytes[start, end)` is complete, valid UTF-8. */
export function isValidUtf8(bytes: Uint8Array, start: number, end: number): boolean {
  const validator = new Utf8Validator();
  return validator.update(bytes, start, end) && validator.isComplete();
}
