/** The public surface of the sans-I/O protocol core. */
export { ClientProtocol, ReadyState } from './client-protocol';
export type { ClientProtocolConfig, ProtocolError, ProtocolHandler } from './client-protocol';
export { isValidCloseCode } from './close-codes';
export { ERROR_CODES, localError } from './errors';
export type { CloseCodeOf, CodedError, ErrorCode, FailureCode } from './errors';
export { validateHandshakeOptions } from './handshake';
export type { HandshakeFailure, HandshakeOptions } from './handshake';
export { encodeCloseReason } from './close-frame';
export { resolveOptions } from './options';
export type { Limits, ProtocolOptions } from './options';
export { parseWsUrl } from './url';
export type { WsUrl } from './url';
export { sha1 } from './sha1';
export { base64Encode } from './base64';
export { utf16TextCodec } from './utf8';
export type { TextCodec } from './utf8';
