import type { TextCodec } from '../types';

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
};
