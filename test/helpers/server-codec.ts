/**
 * The server's side of RFC 6455 framing, written independently of protocol/ so tests can
 * check the client against it: builds unmasked server frames and decodes masked client frames.
 */

import { at } from './at';

export interface DecodedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  mask: number[];
  payload: Uint8Array;
  /** Bytes the frame occupied on the wire. */
  size: number;
}

/** A server frame (unmasked unless `mask` is given), using the minimal length encoding. */
export function serverFrame(opcode: number, payload: Uint8Array | string, options: { fin?: boolean; rsv?: number; mask?: number[] } = {}): Uint8Array {
  const data = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const fin = options.fin === undefined ? true : options.fin;
  const header: number[] = [(fin ? 0x80 : 0) | ((options.rsv || 0) << 4) | opcode];
  const maskBit = options.mask ? 0x80 : 0;
  const n = data.length;
  if (n < 126) header.push(maskBit | n);
  else if (n < 65536) header.push(maskBit | 126, n >> 8, n & 0xff);
  else {
    header.push(maskBit | 127, 0, 0);
    const high = Math.floor(n / 2 ** 32);
    header.push((high >> 8) & 0xff, high & 0xff, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  const body = options.mask ? applyMask(data, options.mask) : new Uint8Array(data);
  if (options.mask) header.push(...options.mask);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** A close frame payload: 2-byte code then the UTF-8 reason. */
export function closePayload(code: number, reason = ''): Uint8Array {
  const text = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/** Decodes the first frame of `bytes`, unmasking it; null when the bytes hold no whole frame. */
export function decodeFrame(bytes: Uint8Array): DecodedFrame | null {
  if (bytes.length < 2) return null;
  // Every read below comes after a length check, so a missing byte is a bug here.
  const byte = (i: number): number => at(bytes, i, 'decodeFrame: frame bytes');
  const masked = (byte(1) & 0x80) !== 0;
  let length = byte(1) & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return null;
    length = (byte(2) << 8) | byte(3);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return null;
    length = 0;
    for (let i = 2; i < 10; i++) length = length * 256 + byte(i);
    offset = 10;
  }
  const mask: number[] = [];
  if (masked) {
    if (bytes.length < offset + 4) return null;
    for (let i = 0; i < 4; i++) mask.push(byte(offset + i));
    offset += 4;
  }
  if (bytes.length < offset + length) return null;
  const payload = bytes.slice(offset, offset + length);
  return {
    fin: (byte(0) & 0x80) !== 0,
    rsv: (byte(0) >> 4) & 7,
    opcode: byte(0) & 0x0f,
    masked,
    mask,
    payload: masked ? applyMask(payload, mask) : payload,
    size: offset + length,
  };
}

/** `data` XORed with the 4-byte `mask`, as RFC 6455 section 5.3 masks a payload. */
function applyMask(data: Uint8Array, mask: readonly number[]): Uint8Array {
  if (mask.length !== 4) throw new Error(`mask: expected 4 bytes, got ${mask.length}`);
  return data.map((b, i) => b ^ at(mask, i & 3, 'mask'));
}

/** Decodes every whole frame in `bytes`; throws if bytes are left over. */
export function decodeFrames(bytes: Uint8Array): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  let rest = bytes;
  while (rest.length > 0) {
    const frame = decodeFrame(rest);
    if (frame === null) throw new Error(`${rest.length} trailing bytes do not form a whole frame`);
    frames.push(frame);
    rest = rest.subarray(frame.size);
  }
  return frames;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
