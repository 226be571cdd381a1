/**
 * Shared pieces of the tests that run the built client on a simulated board: building the
 * wsclient bundles, a `ws` echo server on 127.0.0.1 that records what it got, polling, and
 * reading the board's report.
 *
 * Values cross realms between the host and the board (`instanceof` fails across them), so the
 * board reports to the host as JSON text (`board.evaluate('JSON.stringify(report)')`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebSocketServer, type WebSocket as PeerSocket } from 'ws';
import { buildBoard } from '../../tools/build.ts';
import type { BoardName, SimBoard } from '../../tools/simboard/index.ts';

export const BOARDS: BoardName[] = ['esp32', 'esp8266'];

/** The most bytes a socket 'data' event may carry on each chip (net->chunkSize). */
export const CHUNK: Record<BoardName, number> = { esp32: 536, esp8266: 268 };

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` on the real event loop every 5 ms; throws after `ms` naming `what` (and the board's last output). */
export async function until(what: string, done: () => boolean, ms = 5000, board?: SimBoard): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) {
      const tail = board ? `\nboard output:\n${board.output.slice(-15).join('\n')}\nuncaught: ${board.uncaught.map(String).join('; ')}` : '';
      throw new Error(`timed out after ${ms} ms waiting for ${what}${tail}`);
    }
    await sleep(5);
  }
}

/** The board's `report` global (or another expression), read as JSON so nothing of the board's realm leaks out. */
export function readReport<T = any>(board: SimBoard, expression = 'report'): T {
  return JSON.parse(board.evaluate(`JSON.stringify(${expression})`) as string) as T;
}

/** The dist/<board>/wsclient.js of each board, as text. */
export type WsclientBundles = Record<BoardName, string>;

let built: Promise<WsclientBundles> | undefined;

/**
 * Builds every board with tools/build.ts `buildBoard` (the Espruino gate and the size budgets
 * included) into a temporary folder, reads each wsclient.js and removes the folder. Built once
 * per mocha run and shared by every test file that asks.
 */
export function wsclientBundles(): Promise<WsclientBundles> {
  built ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'simboard-wsclient-'));
    try {
      const code = {} as WsclientBundles;
      for (const name of BOARDS) {
        const build = await buildBoard(name, dir);
        const library = build.bundles.find((b) => path.basename(b.file) === 'wsclient.js');
        if (!library) throw new Error(`buildBoard(${name}) wrote no wsclient.js`);
        code[name] = await readFile(library.file, 'utf8');
      }
      return code;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return built;
}

/** One message as the server received it. */
export interface PeerMessage {
  binary: boolean;
  data: Buffer;
}

/** One client connection, as the server saw it. */
export interface PeerConnection {
  messages: PeerMessage[];
  /** The close code and reason the server got (1005 / 1006 when there was no close frame). */
  close: { code: number; reason: string } | undefined;
}

/** A `ws` echo server on 127.0.0.1 (ephemeral port, no compression) that records every connection. */
export interface EchoServer {
  url: string;
  connections: PeerConnection[];
  /** Terminates every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const connections: PeerConnection[] = [];
  wss.on('connection', (socket: PeerSocket) => {
    const connection: PeerConnection = { messages: [], close: undefined };
    connections.push(connection);
    socket.on('error', () => {}); // a board that vanishes is the point of some tests
    socket.on('message', (data, binary) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      connection.messages.push({ binary, data: bytes });
      socket.send(bytes, { binary });
    });
    socket.on('close', (code, reason) => {
      connection.close = { code, reason: reason.toString('utf8') };
    });
  });
  const { port } = wss.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `ws://127.0.0.1:${port}/echo`,
    connections,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      });
      return closing;
    },
  };
}

/** The board-side twin of test/helpers/tcp-recorder.ts `pattern` (the same bytes for the same length and salt). */
export const BOARD_PATTERN = `function pattern(n, salt) {
  var u = new Uint8Array(n);
  for (var i = 0; i < n; i++) u[i] = (i * 31 + (i >> 8) + salt) & 255;
  return u;
}`;

/** Printable ASCII text of `n` characters; the host twin of the board's `ascii` in {@link BOARD_ASCII}. */
export function asciiText(n: number, salt: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(32 + ((i * 7 + salt) % 95));
  return s;
}

export const BOARD_ASCII = `function ascii(n, salt) {
  var s = '';
  for (var i = 0; i < n; i++) s += String.fromCharCode(32 + ((i * 7 + salt) % 95));
  return s;
}`;
