/**
 * Byte conversions with Espruino's rules. Board strings are 8-bit (one char per byte, as on
 * ESP builds, which have no unicode): the host reads a char as its low 8 bits.
 */
import { types } from 'node:util';

/** The bytes of an 8-bit string (chars above 255 keep their low byte, as the board would have stored them). */
export function latin1Bytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** An 8-bit string, one char per byte. */
export function latin1String(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * What a file uploaded to the board becomes: the Web IDE / CLI send UTF-8, and an ESP build keeps
 * those bytes as 8-bit chars, so `"✓".length` is 3 on the board.
 */
export function asUploaded(source: string): string {
  return Buffer.from(source, 'utf8').toString('latin1');
}

/** How console text on the board (bytes) shows in a UTF-8 terminal. */
export function asTerminalText(boardText: string): string {
  return Buffer.from(boardText, 'latin1').toString('utf8');
}

/**
 * Collects bytes the way Espruino's jsvIterateCallback does for E.toString / E.toUint8Array /
 * btoa / crypto: numbers and booleans are one byte, strings one byte per char, arrays and typed
 * arrays one byte per element, ArrayBuffers and DataViews their bytes, `{data, count}` repeats.
 * Works on values of any realm (board or host).
 */
export function collectBytes(value: unknown, out: number[] = []): number[] {
  if (typeof value === 'number' || typeof value === 'boolean') {
    out.push(Number(value) & 0xff);
  } else if (typeof value === 'string') {
    for (let i = 0; i < value.length; i++) out.push(value.charCodeAt(i) & 0xff);
  } else if (types.isArrayBuffer(value)) {
    for (const b of new Uint8Array(value)) out.push(b);
  } else if (types.isDataView(value)) {
    for (const b of new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) out.push(b);
  } else if (types.isTypedArray(value)) {
    const view = value as unknown as ArrayLike<number>;
    for (let i = 0; i < view.length; i++) out.push(Number(view[i]) & 0xff);
  } else if (Array.isArray(value)) {
    for (const item of value) collectBytes(item, out);
  } else if (value !== null && typeof value === 'object' && 'data' in value) {
    const { data, count } = value as { data: unknown; count?: unknown };
    const times = count === undefined ? 1 : Number(count);
    for (let i = 0; i < times; i++) collectBytes(data, out);
  }
  return out;
}
