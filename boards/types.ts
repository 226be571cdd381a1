/**
 * What the build, the HAL and the tools need to know about one board. Boards are data:
 * a profile file imports only this file (and protocol types), never platform code.
 */
import type { ProtocolOptions } from '../protocol/index';

/** One supported board: an Espruino build on one chip. */
export interface BoardProfile {
  /** Short name: the `--board` value of the tools and the folder under dist/. */
  name: string;
  /** Board id of the Espruino build, for the espruino CLI's `--board` (selects the built-in modules). */
  espruinoBoard: string;
  /** Baud rate of the serial console. */
  baud: number;
  /** JsVars we plan for (a conservative share of the pool) and the bytes of one JsVar. */
  vars: number;
  bytesPerVar: number;
  /** Most bytes per socket 'data' event, and per send pass of the network loop. */
  chunkSize: number;
  /** The client's protocol limits on this board (defaults; a WebSocket's options may override them). */
  limits: ProtocolOptions;
  /** Default bound on bytes accepted by send() and not yet written. */
  maxBufferedAmount: number;
  /**
   * Bytes written to a socket since its queue was last empty before the client waits for
   * 'drain': more means fewer rounds of JavaScript per message, and more JsVars in the queue.
   */
  writeWindow: number;
  /** Whether the build has `require('tls')`; without it wss:// is refused. */
  tls: boolean;
  /** Whether the build has `require('crypto').SHA1` (checked again at run time). */
  nativeSha1: boolean;
  /** Address of the chip's hardware random number register, read with peek32. */
  rngRegister: number;
  /** Pins that analogRead() supports, for sensor readings. */
  analogPins: string[];
  /**
   * The readings this board really has besides its pins by name ('analog' is the first analog
   * pin; 'temperature', 'memory'): what the streaming app accepts, with analogPins, and its
   * default `sensors`. A reading the chip lacks would stream nothing but nulls.
   */
  sensors: string[];
  /** Readings the streaming application keeps while offline or unacknowledged (its ring buffer). */
  readingCapacity: number;
  /** Upper bound, in bytes, of each bundle for this board. */
  budget: BundleBudget;
}

/** Size budgets of the bundles written to dist/<board>/. */
export interface BundleBudget {
  /** dist/<board>/wsclient.js: the client library alone, as an Espruino module. */
  wsclient: number;
  /** dist/<board>/firmware.js: the application with the library inside. */
  firmware: number;
  /**
   * JsVars wsclient.js holds once required from Storage, as tools/memory-estimate.ts estimates
   * them from the bundle: above `target` the build warns, above `limit` it fails.
   */
  residentVars: { target: number; limit: number };
}

/** The part of a profile the code on the board needs; the build inlines only this. */
export type BoardRuntime = Pick<
  BoardProfile,
  'name' | 'limits' | 'maxBufferedAmount' | 'writeWindow' | 'tls' | 'nativeSha1' | 'rngRegister' | 'analogPins' | 'sensors' | 'readingCapacity'
>;

/** What the library module (wsclient.js, ws.js) needs of its board: the rest stays out of its RAM. */
export type LibraryBoard = Pick<BoardRuntime, 'limits' | 'maxBufferedAmount' | 'writeWindow' | 'tls' | 'nativeSha1' | 'rngRegister'>;

/** The library's part of a board profile, for the build's `__WSCLIENT_LIBRARY_BOARD__`. */
export function libraryBoardOf(board: BoardProfile): LibraryBoard {
  return {
    limits: board.limits,
    maxBufferedAmount: board.maxBufferedAmount,
    writeWindow: board.writeWindow,
    tls: board.tls,
    nativeSha1: board.nativeSha1,
    rngRegister: board.rngRegister,
  };
}

/** Keeps only the fields the board's code needs (what the build bakes into the firmware). */
export function runtimeOf(board: BoardProfile): BoardRuntime {
  return {
    name: board.name,
    ...libraryBoardOf(board),
    analogPins: board.analogPins,
    sensors: board.sensors,
    readingCapacity: board.readingCapacity,
  };
}
