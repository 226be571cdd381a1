import type { TextCodec } from '../types';

/**
 * Text on Espruino's ESP builds: strings are byte strings (no unicode), so a UTF-8 message
 * is simply its bytes, one character each. Both directions are native conversions.
 */
export const espruinoTextCodec: TextCodec = {
  encode: function (text: string): Uint8Array {
    // A view of the string's own storage (strings never change): no copy of the message.
    return new Uint8Array(E.toArrayBuffer(text));
  },
  decode: function (bytes: Uint8Array, start: number, end: number, owned?: boolean): string {
    // E.toString returns a whole Uint8Array's own storage and copies a part of one. Unless the
    // caller gave the array up, the string must not share it (the receive buffer is reused).
    if (start === 0 && end === bytes.length) return E.toString(owned ? bytes : new Uint8Array(bytes));
    return E.toString(bytes.subarray(start, end));
  },
  /**
   * The ASCII fast path: a native copy of the range and a native regex scan, no loop in
   * JavaScript (8000 ASCII bytes on an ESP32-like Linux build: ~2.8 ms, against ~77 ms for the
   * JavaScript validator). ASCII is valid UTF-8; anything else is left to the protocol's
   * validator (undefined). Espruino has no native that validates UTF-8 (E.decodeUTF8 accepts
   * anything), and a regex covering every UTF-8 rule needs a dozen alternatives, which its
   * recursive matcher walks one C stack frame each, at every byte: too deep for the ESP8266.
   * The regex is made per call, so it holds no memory between messages.
   */
  validate: function (bytes: Uint8Array, start: number, end: number): boolean | undefined {
    return /[\x80-\xff]/.test(E.toString(bytes.subarray(start, end))) ? undefined : true;
  },
};
