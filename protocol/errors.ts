/**
 * Errors thrown to the caller for misuse or bad configuration.
 *
 * Plain `Error`s with a stable `code` string: `class X extends Error` does not work on
 * Espruino, and `instanceof` on such subclasses is unreliable there.
 */
export interface CodedError extends Error {
  code: string;
}

/** Builds an Error with a stable code, e.g. `localError('WS_ERR_BAD_URL', 'unsupported scheme "http:"')`. */
export function localError(code: string, message: string): CodedError {
  const error = new Error(message) as CodedError;
  error.code = code;
  return error;
}
