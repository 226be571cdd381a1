import { localError } from './errors';

/**
 * Every limit and buffer size of one connection. All fields are optional; `resolveOptions`
 * fills the defaults and rejects a bad value with an error naming the field.
 */
export interface ProtocolOptions {
  /** Largest message (all fragments together) accepted from the server, in bytes. Over it: close 1009. */
  maxMessageSize?: number;
  /** Largest single frame payload accepted from the server, in bytes (default: maxMessageSize). */
  maxFrameSize?: number;
  /** Bound on the HTTP response header block, in bytes. */
  maxHeaderBytes?: number;
  /** Size of the one output buffer; larger messages are sent as several fragments. */
  txBufferSize?: number;
  /** Initial size of the receive buffer for fragmented or split messages; it grows up to maxMessageSize. */
  rxBufferSize?: number;
}

/** ProtocolOptions with every default filled in. */
export interface Limits {
  maxMessageSize: number;
  maxFrameSize: number;
  maxHeaderBytes: number;
  txBufferSize: number;
  rxBufferSize: number;
}

/** Bytes in front of the payload in the output buffer: the largest header (14) rounded up so the payload is 32-bit aligned. */
export const TX_PAYLOAD_OFFSET = 16;
/** The smallest output buffer: room for a 125-byte control frame behind the aligned header. */
export const MIN_TX_BUFFER = TX_PAYLOAD_OFFSET + 128;

/** Validates `options` and returns the complete limits. Throws WS_ERR_BAD_OPTION naming the field. */
export function resolveOptions(options: ProtocolOptions | undefined): Limits {
  const maxInt = 0x7fffffff;
  // [field, default, minimum, maximum]; a default of -1 means "derived from another field".
  // Inside the function: on a board, a table at module level would stay in RAM for good.
  const fields: [string, number, number, number][] = [
    ['maxMessageSize', 1048576, 1, maxInt],
    ['maxFrameSize', -1, 1, maxInt],
    ['maxHeaderBytes', 4096, 64, 1048576],
    ['txBufferSize', 16384, MIN_TX_BUFFER, 16777216],
    ['rxBufferSize', -1, 16, maxInt],
  ];
  const given = (options || {}) as { [name: string]: unknown };
  const known: { [name: string]: boolean } = {};
  const out: { [name: string]: number } = {};
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const name = field[0];
    known[name] = true;
    const value = given[name];
    if (value === undefined) {
      out[name] = field[1];
      continue;
    }
    if (typeof value !== 'number' || !isFinite(value) || Math.floor(value) !== value || value < field[2] || value > field[3]) {
      throw localError('WS_ERR_BAD_OPTION', `option ${name} must be a whole number from ${field[2]} to ${field[3]}, got ${JSON.stringify(value)}`);
    }
    out[name] = value;
  }
  const names = Object.keys(given);
  for (let i = 0; i < names.length; i++) {
    if (!known[names[i]] && given[names[i]] !== undefined) {
      throw localError('WS_ERR_BAD_OPTION', `unknown option ${names[i]}`);
    }
  }
  if (out.maxFrameSize < 0) out.maxFrameSize = out.maxMessageSize;
  if (out.maxFrameSize > out.maxMessageSize) {
    throw localError('WS_ERR_BAD_OPTION', `option maxFrameSize (${out.maxFrameSize}) must not exceed maxMessageSize (${out.maxMessageSize})`);
  }
  if (out.rxBufferSize < 0) out.rxBufferSize = Math.min(out.maxMessageSize, 16384);
  if (out.rxBufferSize > out.maxMessageSize) out.rxBufferSize = out.maxMessageSize;
  return {
    maxMessageSize: out.maxMessageSize,
    maxFrameSize: out.maxFrameSize,
    maxHeaderBytes: out.maxHeaderBytes,
    txBufferSize: out.txBufferSize,
    rxBufferSize: out.rxBufferSize,
  };
}
