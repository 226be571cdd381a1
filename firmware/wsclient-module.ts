/**
 * Entry of the Espruino module `wsclient` (dist/<board>/wsclient.js), in the spirit of
 * Espruino's own `ws` module but with no HAL to pass:
 *
 *   var WebSocket = require('wsclient').WebSocket;
 *   var ws = new WebSocket('ws://192.168.1.10:8080/path', ['chat'], { pingInterval: 20000 });
 *   ws.on('open', function () { ws.send('hello'); });
 *   ws.on('message', function (event) { print(event.data); });
 *
 * The board's limits are the defaults (options win), and the board's HAL is created on the
 * first construction and shared after that.
 */
import type { LibraryBoard } from '../boards/types';
import { createEspruinoHal, type EspruinoHalOptions } from '../hal/espruino/index';
import type { WebSocketOptions } from './client-options';
import { WebSocket as ClientWebSocket } from './websocket';

/** The board this bundle is built for, defined by tools/build.ts: only its profile is inlined. */
declare const __WSCLIENT_LIBRARY_BOARD__: LibraryBoard;

/** Options of the module's WebSocket: the client's, plus how to make the board's HAL. */
export interface EspruinoWebSocketOptions extends WebSocketOptions, Pick<EspruinoHalOptions, 'allowWeakEntropy' | 'readRegister'> {}

/**
 * The WebSocket client on this board: `new WebSocket(url, protocols?, options?)`, where
 * options may also come second. See firmware/websocket.ts for events and methods.
 */
export class WebSocket extends ClientWebSocket {
  // Espruino does not inherit static members: repeat them.
  static override CONNECTING = 0;
  static override OPEN = 1;
  static override CLOSING = 2;
  static override CLOSED = 3;

  constructor(url: string, protocols?: string | string[] | EspruinoWebSocketOptions, options?: EspruinoWebSocketOptions) {
    const optionsSecond = protocols !== undefined && typeof protocols === 'object' && !(protocols instanceof Array);
    // The client's options: board defaults, then the caller's; HAL options become a HAL. (In
    // here, not a function of its own: every module-level function stays in the board's RAM.)
    const board = __WSCLIENT_LIBRARY_BOARD__;
    const out: { [name: string]: unknown } = {};
    const limits = board.limits as { [name: string]: unknown };
    const names = Object.keys(limits);
    for (let i = 0; i < names.length; i++) out[names[i]] = limits[names[i]];
    out.maxBufferedAmount = board.maxBufferedAmount;
    let halOptions: { [name: string]: unknown } | null = null;
    const source = ((optionsSecond ? protocols : options) || {}) as { [name: string]: unknown };
    const keys = Object.keys(source);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const value = source[key];
      if (value === undefined) continue;
      // Options that configure the HAL: given any, the WebSocket gets a HAL of its own.
      if (key === 'allowWeakEntropy' || key === 'readRegister') (halOptions || (halOptions = {}))[key] = value;
      else out[key] = value;
    }
    if (out.hal === undefined) {
      if (halOptions !== null) out.hal = createEspruinoHal(board, halOptions as EspruinoHalOptions);
      else if (ClientWebSocket.defaultHal === null) ClientWebSocket.defaultHal = createEspruinoHal(board);
    }
    super(url, optionsSecond ? undefined : (protocols as string | string[] | undefined), out as WebSocketOptions);
  }
}
