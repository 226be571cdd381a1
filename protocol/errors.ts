/**
 * The library's error codes: one table, so that `tsc` refuses a misspelt code and a failure
 * reported with the wrong close code, and a test checks the README's failure table against it.
 *
 * Each code maps to the close code a connection ends with when it fails that way (1002, 1007
 * and 1009 are sent to the server; 1006 means TCP ended without a close handshake), or to null
 * for errors thrown at a call (bad arguments, bad configuration), which change nothing. Board
 * code uses only the types: the table is a value for tests and host tools, so a board bundle
 * does not carry it.
 */
export const ERROR_CODES = {
  // The server broke the protocol: the client sends the close code and fails the connection.
  WS_ERR_RESERVED_BITS: 1002,
  WS_ERR_MASKED_FRAME: 1002,
  WS_ERR_UNKNOWN_OPCODE: 1002,
  WS_ERR_FRAGMENTED_CONTROL: 1002,
  WS_ERR_CONTROL_TOO_LONG: 1002,
  WS_ERR_UNEXPECTED_CONTINUATION: 1002,
  WS_ERR_EXPECTED_CONTINUATION: 1002,
  WS_ERR_NON_MINIMAL_LENGTH: 1002,
  WS_ERR_LENGTH_TOP_BIT: 1002,
  WS_ERR_INVALID_CLOSE: 1002,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_FRAME_TOO_BIG: 1009,
  WS_ERR_MESSAGE_TOO_BIG: 1009,
  // The handshake failed (WS_ERR_HANDSHAKE_<kind of HandshakeFailure>), or TCP ended early.
  WS_ERR_HANDSHAKE_STATUS: 1006,
  WS_ERR_HANDSHAKE_UPGRADE: 1006,
  WS_ERR_HANDSHAKE_CONNECTION: 1006,
  WS_ERR_HANDSHAKE_ACCEPT: 1006,
  WS_ERR_HANDSHAKE_SUBPROTOCOL: 1006,
  WS_ERR_HANDSHAKE_EXTENSION: 1006,
  WS_ERR_HANDSHAKE_TOO_LARGE: 1006,
  WS_ERR_HANDSHAKE_MALFORMED: 1006,
  WS_ERR_HANDSHAKE_EOF: 1006,
  WS_ERR_TRUNCATED_FRAME: 1006,
  WS_ERR_NO_CLOSE_FRAME: 1006,
  WS_ERR_ABORTED: 1006,
  // The runtime gave up on the connection.
  WS_ERR_CONNECT_TIMEOUT: 1006,
  WS_ERR_HANDSHAKE_TIMEOUT: 1006,
  WS_ERR_PONG_TIMEOUT: 1006,
  WS_ERR_NO_TLS: 1006,
  WS_ERR_WEAK_ENTROPY: 1006,
  // Thrown at the call: a bad argument or configuration, and nothing changed.
  WS_ERR_BAD_URL: null,
  WS_ERR_BAD_OPTION: null,
  WS_ERR_BAD_HEADER: null,
  WS_ERR_BAD_PROTOCOL: null,
  WS_ERR_BAD_LISTENER: null,
  WS_ERR_BAD_DATA: null,
  WS_ERR_BAD_CLOSE: null,
  WS_ERR_NOT_OPEN: null,
  WS_ERR_BAD_CONFIG: null,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
/** A code a connection fails with, and so the close code it ends with. */
export type FailureCode = { [K in ErrorCode]: (typeof ERROR_CODES)[K] extends null ? never : K }[ErrorCode];
/** The close code that goes with `K`. */
export type CloseCodeOf<K extends ErrorCode> = (typeof ERROR_CODES)[K];

/**
 * Errors thrown to the caller for misuse or bad configuration.
 *
 * Plain `Error`s with a stable `code` string: `class X extends Error` does not work on
 * Espruino, and `instanceof` on such subclasses is unreliable there.
 */
export interface CodedError extends Error {
  code: ErrorCode;
}

/** Builds an Error with a stable code, e.g. `localError('WS_ERR_BAD_URL', 'unsupported scheme "http:"')`. */
export function localError(code: ErrorCode, message: string): CodedError {
  const error = new Error(message) as CodedError;
  error.code = code;
  return error;
}
