import { createHash } from 'node:crypto';

/** SHA-1 from OpenSSL, for the handshake's Sec-WebSocket-Accept. */
export function nodeSha1(data: Uint8Array): Uint8Array {
  const digest = createHash('sha1').update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.length);
}
