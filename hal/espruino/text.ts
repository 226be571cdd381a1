// protocol/utf8 directly: the protocol's index would pull in its module-level tables.
import { Utf8Validator } from '../../protocol/utf8';
import type { TextCodec } from '../types';

/** Any byte that is not ASCII (Espruino's regex engine takes \x ranges in a class). */
const NON_ASCII = /[\x80-\xff]/;
const validator = new Utf8Validator();

/**
 * Text on Espruino's ESP builds: strings are byte strings (no unicode), so a UTF-8 message
 * is simply its bytes, one character each. Both directions are native conversions.
 */
export const espruinoTextCodec: TextCodec = {
  encode: function (text: string): Uint8Array {
    return E.toUint8Array(text);
  },
  decode: function (bytes: Uint8Array, start: number, end: number): string {
    // E.toString of a whole Uint8Array returns the array's own storage, and the receive
    // buffer is reused: so convert a fresh copy, which nothing else can write to.
    return E.toString(new Uint8Array(bytes.subarray(start, end)));
  },
  /**
   * The ASCII fast path: a native copy of the range and a native regex scan, no loop in
   * JavaScript (8000 ASCII bytes on an ESP32-like Linux build: ~2.8 ms, against ~77 ms for the
   * JavaScript validator). ASCII is valid UTF-8; from the first other byte, a character
   * boundary, the JavaScript validator checks the rest.
   */
  validate: function (bytes: Uint8Array, start: number, end: number): boolean {
    const found = NON_ASCII.exec(E.toString(bytes.subarray(start, end)));
    if (found === null) return true;
    validator.reset();
    return validator.update(bytes, start + found.index, end) && validator.isComplete();
  },
};
