import { localError } from '../protocol/index';
import type { ProtocolOptions } from '../protocol/index';
import type { Hal, TlsOptions } from '../hal/types';
import type { BackoffPolicy } from './backoff';

/** Options of a WebSocket; every field is optional. */
export interface WebSocketOptions extends ProtocolOptions {
  /** The platform; defaults to WebSocket.defaultHal, set by the build for the board. */
  hal?: Hal;
  origin?: string;
  headers?: { [name: string]: string };
  /** TCP connect deadline, ms. */
  connectTimeout?: number;
  /** Deadline for the server's 101 once TCP is up, ms. */
  handshakeTimeout?: number;
  /** How long to wait for the server to end TCP after the close handshake, ms. */
  closeTimeout?: number;
  /** Send a ping every this many ms while open; 0 turns the heartbeat off. */
  pingInterval?: number;
  /** A pong must arrive this many ms after a heartbeat ping, or the connection is declared dead. */
  pongTimeout?: number;
  /** Reconnect after the connection is lost: true for the default policy, or the policy. */
  reconnect?: boolean | (Partial<BackoffPolicy> & { retryFatal?: boolean });
  /** Bound on bytes accepted by send() and not yet written; send() returns false beyond it. */
  maxBufferedAmount?: number;
  /** How binary messages are delivered. */
  binaryType?: 'uint8array' | 'arraybuffer';
  /** TLS settings for wss:// (CA to trust, verification). */
  tls?: TlsOptions;
}

export interface ResolvedOptions {
  hal: Hal | undefined;
  origin: string | undefined;
  headers: { [name: string]: string };
  connectTimeout: number;
  handshakeTimeout: number;
  closeTimeout: number;
  pingInterval: number;
  pongTimeout: number;
  reconnect: BackoffPolicy | null;
  retryFatal: boolean;
  maxBufferedAmount: number;
  binaryType: string;
  tls: TlsOptions | undefined;
  protocol: ProtocolOptions;
}

/** Validates the options; a bad value throws WS_ERR_BAD_OPTION naming the field. */
export function resolveClientOptions(options: WebSocketOptions | undefined): ResolvedOptions {
  // Tables and helpers live in here, not at module level: on a board, what the module's top
  // level creates stays in RAM for good, and these are needed once per client.
  // Arrays, not indexOf on one string of names: Espruino's String indexOf also "finds" a
  // needle that runs past the end of the string when the part that fits matches.
  const protocolFields = ['maxMessageSize', 'maxFrameSize', 'maxHeaderBytes', 'txBufferSize', 'rxBufferSize'];
  const otherFields = [
    'hal',
    'origin',
    'headers',
    'connectTimeout',
    'handshakeTimeout',
    'closeTimeout',
    'pingInterval',
    'pongTimeout',
    'reconnect',
    'maxBufferedAmount',
    'binaryType',
    'tls',
  ];
  const bad = function (name: string, rule: string, value: unknown): Error {
    return localError('WS_ERR_BAD_OPTION', 'option ' + name + ' must be ' + rule + ', got ' + JSON.stringify(value));
  };
  const duration = function (given: { [name: string]: unknown }, key: string, fallback: number, min: number, label: string): number {
    const value = given[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(value >= min) || value > 2147483647) throw bad(label, 'a number ≥ ' + min, value);
    return value;
  };
  const given = (options || {}) as { [name: string]: unknown };
  const names = Object.keys(given);
  const protocol: { [name: string]: unknown } = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (protocolFields.indexOf(name) >= 0) protocol[name] = given[name];
    else if (otherFields.indexOf(name) < 0) throw localError('WS_ERR_BAD_OPTION', 'unknown option ' + name);
  }
  let reconnect: BackoffPolicy | null = null;
  let retryFatal = false;
  const r = given.reconnect;
  if (r === true || (typeof r === 'object' && r !== null)) {
    const policy = (r === true ? {} : r) as { [name: string]: unknown };
    reconnect = {
      minDelay: duration(policy, 'minDelay', 1000, 1, 'reconnect.minDelay'),
      maxDelay: duration(policy, 'maxDelay', 60000, 1, 'reconnect.maxDelay'),
      maxAttempts: duration(policy, 'maxAttempts', 0, 0, 'reconnect.maxAttempts'),
    };
    if (reconnect.maxDelay < reconnect.minDelay) throw bad('reconnect.maxDelay', 'at least reconnect.minDelay', reconnect.maxDelay);
    retryFatal = policy.retryFatal === true;
  } else if (r !== undefined && r !== false) {
    throw bad('reconnect', 'a boolean or an object', r);
  }
  const binaryType = given.binaryType === undefined ? 'uint8array' : given.binaryType;
  if (binaryType !== 'uint8array' && binaryType !== 'arraybuffer') throw bad('binaryType', '"uint8array" or "arraybuffer"', binaryType);
  const headers = given.headers === undefined ? {} : given.headers;
  if (typeof headers !== 'object' || headers === null) throw bad('headers', 'an object of header names to values', headers);
  if (given.origin !== undefined && typeof given.origin !== 'string') throw bad('origin', 'a string', given.origin);
  return {
    hal: given.hal as Hal | undefined,
    origin: given.origin as string | undefined,
    headers: headers as { [name: string]: string },
    connectTimeout: duration(given, 'connectTimeout', 10000, 1, 'connectTimeout'),
    handshakeTimeout: duration(given, 'handshakeTimeout', 10000, 1, 'handshakeTimeout'),
    closeTimeout: duration(given, 'closeTimeout', 5000, 1, 'closeTimeout'),
    pingInterval: duration(given, 'pingInterval', 30000, 0, 'pingInterval'),
    pongTimeout: duration(given, 'pongTimeout', 10000, 1, 'pongTimeout'),
    reconnect: reconnect,
    retryFatal: retryFatal,
    maxBufferedAmount: duration(given, 'maxBufferedAmount', 1048576, 1, 'maxBufferedAmount'),
    binaryType: binaryType as string,
    tls: given.tls as TlsOptions | undefined,
    protocol: protocol as ProtocolOptions,
  };
}
