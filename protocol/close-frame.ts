import { isValidCloseCode } from './close-codes';
import { MAX_CLOSE_REASON } from './opcodes';
import { localError } from './errors';
import type { TextCodec } from './utf8';

/**
 * Checks what the application passed to close() and returns the reason as UTF-8 bytes.
 * Throws WS_ERR_BAD_CLOSE for a code that may not be sent or a reason over 123 bytes.
 */
export function encodeCloseReason(code: number, reason: string, codec: TextCodec): Uint8Array {
  if (!isValidCloseCode(code)) throw localError('WS_ERR_BAD_CLOSE', `close code ${code} may not be sent (use 1000, 1001, 1002, 1003, 1007-1014 or 3000-4999)`);
  if (typeof reason !== 'string') throw localError('WS_ERR_BAD_CLOSE', `a close reason must be a string, got ${reason === null ? 'null' : typeof reason}`);
  const bytes = codec.encode(reason);
  if (bytes.length > MAX_CLOSE_REASON) {
    throw localError('WS_ERR_BAD_CLOSE', `a close reason is at most ${MAX_CLOSE_REASON} bytes of UTF-8, got ${bytes.length}`);
  }
  return bytes;
}
