/**
 * Close status codes (RFC 6455 §7.4) and which of them may travel in a Close frame.
 */

/** 1000: normal closure; the purpose of the connection was fulfilled. */
export const CLOSE_NORMAL = 1000;
/** 1001: an endpoint is going away (server shutdown, page navigation). */
export const CLOSE_GOING_AWAY = 1001;
/** 1002: protocol error. */
export const CLOSE_PROTOCOL_ERROR = 1002;
/** 1003: a data type the endpoint cannot accept. */
export const CLOSE_UNSUPPORTED_DATA = 1003;
/** 1005: no status code was present (local use only, never sent). */
export const CLOSE_NO_STATUS = 1005;
/** 1006: closed without a Close frame (local use only, never sent). */
export const CLOSE_ABNORMAL = 1006;
/** 1007: message data inconsistent with its type, e.g. invalid UTF-8 in a text message. */
export const CLOSE_INVALID_PAYLOAD = 1007;
/** 1008: a message violates the endpoint's policy. */
export const CLOSE_POLICY_VIOLATION = 1008;
/** 1009: a message is too big to process. */
export const CLOSE_MESSAGE_TOO_BIG = 1009;
/** 1010: the client expected the server to negotiate an extension. */
export const CLOSE_MANDATORY_EXTENSION = 1010;
/** 1011: the server hit an unexpected condition. */
export const CLOSE_INTERNAL_ERROR = 1011;

/**
 * True when `code` may appear in a Close frame on the wire, in either direction:
 * 1000–1003, 1007–1014 (defined or IANA-registered) and 3000–4999 (libraries, applications).
 */
export function isValidCloseCode(code: number): boolean {
  // RFC 6455 §7.4.1: 1004, 1005, 1006 and 1015 MUST NOT be set in a Close frame; §7.4.2: 0–999 unused.
  if ((code | 0) !== code) return false;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}
