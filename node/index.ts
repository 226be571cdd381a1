/**
 * The package's main entry (`import { WebSocket } from 'espruino-wsclient'`): the client of
 * firmware/websocket.ts with the Node HAL as its default, so `new WebSocket('ws://…')` works
 * on Node as it does in a browser. `options.hal` still overrides it (e.g. a simulated network).
 */
import { WebSocket } from '../firmware/websocket';
import { createNodeHal } from '../hal/node/index';

// One HAL for every client of the process: it holds no connection, only the timers, sockets
// and entropy pool the clients share.
WebSocket.defaultHal = createNodeHal();

export { WebSocket };
export type {
  BaseEvent,
  CloseEvent,
  ControlEvent,
  ErrorEvent,
  ErrorKind,
  ListenerOptions,
  MessageEvent,
  OpenEvent,
  ReconnectEvent,
  WebSocketEventMap,
  WebSocketEventType,
} from '../firmware/websocket';
export type { WebSocketOptions } from '../firmware/client-options';
