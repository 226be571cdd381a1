/**
 * The package's public API, pinned: the names each entry point exports, and the public members
 * of its WebSocket class. test/package/exports.test.ts checks the sources against these lists
 * and test/package/pack.test.ts checks the installed package. A change here is a change of the
 * public API: make it on purpose (and say so in CHANGELOG.md), never as a side effect.
 */

/** One entry point: the source behind it and what it exports. */
export interface EntryPoint {
  /** How users import it (an npm subpath), or, for a board module, how they require it. */
  name: string;
  /** Its source, from the repository root. */
  source: string;
  /** Names that exist at run time (sorted). */
  values: string[];
  /** Every exported name, types included (sorted). */
  all: string[];
}

export const NPM_ENTRIES: EntryPoint[] = [
  {
    name: 'espruino-wsclient',
    source: 'node/index.ts',
    values: ['WebSocket'],
    all: [
      'BaseEvent',
      'CloseEvent',
      'ControlEvent',
      'ErrorEvent',
      'ErrorKind',
      'ListenerOptions',
      'MessageEvent',
      'OpenEvent',
      'ReconnectEvent',
      'WebSocket',
      'WebSocketEventMap',
      'WebSocketEventType',
      'WebSocketOptions',
    ],
  },
  {
    name: 'espruino-wsclient/protocol',
    source: 'protocol/index.ts',
    values: [
      'ClientProtocol',
      'ERROR_CODES',
      'ReadyState',
      'base64Encode',
      'encodeCloseReason',
      'isValidCloseCode',
      'localError',
      'parseWsUrl',
      'resolveOptions',
      'sha1',
      'utf16TextCodec',
      'validateHandshakeOptions',
    ],
    all: [
      'ClientProtocol',
      'ClientProtocolConfig',
      'CloseCodeOf',
      'CodedError',
      'ERROR_CODES',
      'ErrorCode',
      'FailureCode',
      'HandshakeFailure',
      'HandshakeOptions',
      'Limits',
      'ProtocolError',
      'ProtocolHandler',
      'ProtocolOptions',
      'ReadyState',
      'TextCodec',
      'WsUrl',
      'base64Encode',
      'encodeCloseReason',
      'isValidCloseCode',
      'localError',
      'parseWsUrl',
      'resolveOptions',
      'sha1',
      'utf16TextCodec',
      'validateHandshakeOptions',
    ],
  },
  {
    name: 'espruino-wsclient/hal',
    source: 'hal/types.ts',
    values: [],
    all: [
      'Clock',
      'Entropy',
      'Hal',
      'HalError',
      'HalErrorKind',
      'TcpConnector',
      'TcpHandlers',
      'TcpSocket',
      'TcpTarget',
      'TextCodec',
      'TimerId',
      'TlsOptions',
      'WifiLink',
    ],
  },
];

/** The board modules (dist/<board>/*.js): `require('wsclient')` is an object, `require('ws')` the constructor itself. */
export const BOARD_ENTRIES: EntryPoint[] = [
  { name: "require('wsclient')", source: 'firmware/wsclient-module.ts', values: ['WebSocket'], all: ['EspruinoWebSocketOptions', 'WebSocket'] },
  { name: "require('ws')", source: 'firmware/ws-compat.ts', values: [], all: [] },
];

/** The public members of the WebSocket class users get (sorted). */
export const WEBSOCKET_MEMBERS = {
  instance: [
    'CLOSED',
    'CLOSING',
    'CONNECTING',
    'OPEN',
    'addEventListener',
    'binaryType',
    'bufferedAmount',
    'close',
    'discardQueued',
    'off',
    'on',
    'onclose',
    'onerror',
    'onmessage',
    'onopen',
    'ping',
    'protocol',
    'readyState',
    'reconnects',
    'removeEventListener',
    'rtt',
    'send',
    'url',
  ],
  static: ['CLOSED', 'CLOSING', 'CONNECTING', 'OPEN', 'defaultHal'],
};
