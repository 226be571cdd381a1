import { isValidCloseCode } from './close-codes';
import { MAX_CLOSE_REASON } from './opcodes';
import { localError } from './errors';
import type { Utf8Validator, TextCodec } from './utf8';

/** A received close frame's content, or why it is invalid. */
export interface ClosePayload {
  code: number;
  reason: string;
  /** 0 when valid; otherwise the close code to fail the connection with (1002 or 1007). */
  failCode: number;
  failMessage: string;
}

/** RFC 6455 §5.5.1 and §7.4: decodes and validates a close frame's payload `bytes[0, length)`. */
export function parseClosePayload(bytes: Uint8Array, length: number, codec: TextCodec, validator: Utf8Validator): ClosePayload {
  const result: ClosePayload = { code: 1005, reason: '', failCode: 0, failMessage: '' };
  if (length === 0) return result;
  if (length === 1) {
    result.failCode = 1002;
    result.failMessage = 'a close frame carried a 1-byte payload';
    return result;
  }
  const code = (bytes[0] << 8) | bytes[1];
  if (!isValidCloseCode(code)) {
    result.failCode = 1002;
    result.failMessage = `a close frame carried the invalid code ${code}`;
    return result;
  }
  validator.reset();
  if (!validator.update(bytes, 2, length) || !validator.isComplete()) {
    result.failCode = 1007;
    result.failMessage = 'a close reason is not valid UTF-8';
    return result;
  }
  result.code = code;
  result.reason = codec.decode(bytes, 2, length);
  return result;
}

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
