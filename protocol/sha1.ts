/**
 * SHA-1 (FIPS 180-4) in 32-bit integer arithmetic, for hosts without a native one.
 * Only the handshake uses it (RFC 6455 §4.1 Sec-WebSocket-Accept), so it favours small code.
 */

/** Returns the 20-byte SHA-1 digest of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  const h = new Int32Array([0x67452301, -0x10325477, -0x67452302, 0x10325476, -0x3c2d1e10]);
  // The message schedule, made per call: on a board a module-level array would stay in RAM.
  const W = new Int32Array(80);
  // One 64-byte block into the state h (FIPS 180-4 §6.1.2); nested: see W.
  const block = function (h: Int32Array, W: Int32Array, data: Uint8Array, offset: number): void {
    for (let t = 0; t < 16; t++, offset += 4) {
      W[t] = (data[offset] << 24) | (data[offset + 1] << 16) | (data[offset + 2] << 8) | data[offset + 3];
    }
    for (let t = 16; t < 80; t++) {
      const x = W[t - 3] ^ W[t - 8] ^ W[t - 14] ^ W[t - 16];
      W[t] = (x << 1) | (x >>> 31);
    }
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    for (let t = 0; t < 80; t++) {
      let f: number;
      if (t < 20) f = ((b & c) | (~b & d)) + 0x5a827999;
      else if (t < 40) f = (b ^ c ^ d) + 0x6ed9eba1;
      else if (t < 60)
        f = ((b & c) | (b & d) | (c & d)) - 0x70e44324; // 0x8F1BBCDC as int32
      else f = (b ^ c ^ d) - 0x359d3e2a; // 0xCA62C1D6 as int32
      // The sum stays below 2^53, so one |0 at the end wraps it exactly.
      const tmp = (((a << 5) | (a >>> 27)) + f + e + W[t]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = tmp;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
  };
  const n = data.length;
  const full = n - (n & 63);
  for (let i = 0; i < full; i += 64) block(h, W, data, i);
  // Padding: the remaining bytes, 0x80, zeros, then the bit length as a 64-bit big-endian number.
  const tail = new Uint8Array(n - full < 56 ? 64 : 128);
  tail.set(data.subarray(full, n));
  tail[n - full] = 0x80;
  const end = tail.length;
  const hi = Math.floor(n / 0x20000000); // bits above 2^32 of n * 8
  const lo = n << 3;
  tail[end - 8] = hi >>> 24;
  tail[end - 7] = hi >>> 16;
  tail[end - 6] = hi >>> 8;
  tail[end - 5] = hi;
  tail[end - 4] = lo >>> 24;
  tail[end - 3] = lo >>> 16;
  tail[end - 2] = lo >>> 8;
  tail[end - 1] = lo;
  block(h, W, tail, 0);
  if (end > 64) block(h, W, tail, 64);
  const out = new Uint8Array(20);
  for (let i = 0; i < 5; i++) {
    const v = h[i];
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
  return out;
}
