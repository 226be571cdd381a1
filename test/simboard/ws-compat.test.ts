/**
 * dist/<board>/ws.js, the drop-in for Espruino's `ws` module (firmware/ws-compat.ts), on a
 * simulated board: uploaded to Storage as `ws`, as a user replaces Espruino's module, then
 * running the usage example of EspruinoDocs' modules/ws.md unmodified except for host and port,
 * against a `ws` server on 127.0.0.1. Then what the example does not reach, in the same style of
 * sketch: binary both ways, fragments, invalid UTF-8, close codes, keepAlive in seconds,
 * header values, failures. The host checks what the server saw; the board prints or reports.
 */
import type { IncomingMessage } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WebSocketServer, type WebSocket as PeerSocket } from 'ws';
import { buildBoard } from '../../tools/build.ts';
import { createSimBoard, type BoardName, type SimBoard } from '../../tools/simboard/index.ts';
import { BOARDS, readReport, until } from './helpers.ts';
import { DOCS_CALLBACKS, DOCS_SEND, docsExample, EXAMPLE_OPENING_LINES } from './ws-compat-docs.ts';

/** One connection as the server saw it. */
interface Peer {
  socket: PeerSocket;
  request: IncomingMessage;
  messages: { binary: boolean; data: Buffer }[];
  /** Pings the client sent, with the server's clock (ms) when each arrived. */
  pings: { at: number; data: Buffer }[];
  pongs: Buffer[];
  close: { code: number; reason: string } | undefined;
}

interface Server {
  port: number;
  peers: Peer[];
  close(): Promise<void>;
}

/** A `ws` server on 127.0.0.1 that records every connection and, when `echo`, echoes messages. */
async function startServer(echo: boolean): Promise<Server> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  const peers: Peer[] = [];
  wss.on('connection', (socket, request) => {
    const peer: Peer = { socket, request, messages: [], pings: [], pongs: [], close: undefined };
    peers.push(peer);
    socket.on('error', () => {}); // failures are the point of some tests; the close records them
    socket.on('message', (data, binary) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      peer.messages.push({ binary, data: bytes });
      if (echo) socket.send(bytes, { binary });
    });
    socket.on('ping', (data) => peer.pings.push({ at: performance.now(), data }));
    socket.on('pong', (data) => peer.pongs.push(data));
    socket.on('close', (code, reason) => {
      peer.close = { code, reason: reason.toString('utf8') };
    });
  });
  return {
    port: (wss.address() as AddressInfo).port,
    peers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

let built: Promise<Record<BoardName, string>> | undefined;

/** dist/<board>/ws.js of each board, built once with tools/build.ts (gate and budgets included). */
function wsBundles(): Promise<Record<BoardName, string>> {
  built ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'simboard-ws-compat-'));
    try {
      const code = {} as Record<BoardName, string>;
      for (const name of BOARDS) {
        const build = await buildBoard(name, dir);
        const ws = build.bundles.find((b) => path.basename(b.file) === 'ws.js');
        if (!ws) throw new Error(`buildBoard(${name}) wrote no ws.js`);
        code[name] = await readFile(ws.file, 'utf8');
      }
      return code;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return built;
}

/** The board's console lines written by the sketch (those of the example start with these). */
function sketchLines(board: SimBoard): string[] {
  return board.output.filter((line) => /^(Connected|MSG: |Connection closed|Handshake|Got a|RAW: )/.test(line));
}

describe("simboard: ws.js, the drop-in for Espruino's ws module", function () {
  this.timeout(60_000);
  let bundles: Record<BoardName, string>;
  let board: SimBoard | undefined;
  let server: Server | undefined;

  before(async () => {
    bundles = await wsBundles();
  });
  afterEach(async () => {
    await board?.shutdown();
    await server?.close();
    board = undefined;
    server = undefined;
  });

  /** A board with ws.js written to Storage as "ws", as `npm run flash`/the Web IDE store a module. */
  /** `timing`: without the JsVar limit, whose memory walk after each callback delays I/O by up to a few hundred ms. */
  function bootWithModule(name: BoardName, timing = false): SimBoard {
    const b = createSimBoard(timing ? { board: name, memoryLimit: false } : { board: name });
    b.run(`require('Storage').write('ws', ${JSON.stringify(bundles[name])});`, 'upload-ws.js');
    return b;
  }

  for (const name of BOARDS) {
    it(`${name}: the ws.md example runs unmodified: open, text, pings, fragments, the console's send, a clean close`, async () => {
      server = await startServer(true);
      board = bootWithModule(name);
      board.run(docsExample(server.port) + DOCS_CALLBACKS, 'ws-example.js');
      const b = board;
      const s = server;
      await until('the board to connect', () => s.peers.length === 1, 5000, b);
      const peer = s.peers[0]!;
      // The request carries the example's options, header values as strings.
      expect(peer.request.url).to.equal('/');
      expect(peer.request.headers.origin).to.equal('Espruino');
      expect(peer.request.headers['sec-websocket-protocol']).to.equal('echo-protocol');
      expect(peer.request.headers.some).to.equal('header');
      expect(peer.request.headers['ultimate-question']).to.equal('42');
      expect(peer.socket.protocol).to.equal('echo-protocol');
      await until('open', () => sketchLines(b).includes('Connected to server'), 5000, b);

      peer.socket.send('Hello Espruino €');
      await until('the text message', () => sketchLines(b).some((l) => l.startsWith('MSG: Hello')), 5000, b);
      // A ping is answered with its own payload (Espruino's module answers "pong").
      peer.socket.ping('are-you-there');
      await until('the pong', () => peer.pongs.length === 1, 5000, b);
      expect(peer.pongs[0]!.toString()).to.equal('are-you-there');
      peer.socket.pong('unsolicited'); // RFC 6455 §5.5.3: a one-way heartbeat
      await until('the pong event', () => sketchLines(b).includes('Got a pong'), 5000, b);
      // A message in fragments, split inside the UTF-8 bytes of "€", arrives whole, once.
      const euro = Buffer.from('fragmented €', 'utf8');
      peer.socket.send(euro.subarray(0, euro.length - 2), { binary: false, fin: false });
      peer.socket.send(euro.subarray(euro.length - 2), { binary: false, fin: true });
      await until('the fragmented message', () => sketchLines(b).some((l) => l.startsWith('MSG: fragmented')), 5000, b);

      b.run(DOCS_SEND, 'console');
      await until('the echo of hello world', () => sketchLines(b).includes('MSG: hello world'), 5000, b);
      expect(peer.messages).to.deep.equal([{ binary: false, data: Buffer.from('hello world') }]);

      peer.socket.close(1000, 'bye');
      await until('the close', () => sketchLines(b).includes('Connection closed'), 5000, b);
      await until('the server to see the close', () => peer.close !== undefined, 5000, b);
      // The client answered with a close frame echoing the code (Espruino's module drops TCP: 1006).
      expect(peer.close).to.deep.equal({ code: 1000, reason: '' });

      expect(sketchLines(b)).to.deep.equal([...EXAMPLE_OPENING_LINES, 'MSG: hello world', 'MSG: hello world', 'Connection closed']);
      expect(b.uncaught.map(String)).to.deep.equal([]);
    });
  }

  describe('what the example does not reach (esp32)', () => {
    /** A sketch in the style of Espruino's module that records every event in `report`. */
    function recorder(host: string, port: number, options: string): string {
      return `var report = { events: [], sent: [] };
var WebSocket = require('ws');
var ws = new WebSocket(${JSON.stringify(host)}, { port: ${port}${options} });
function show(x) {
  if (typeof x === 'string') return 'string:' + x;
  if (typeof x === 'number') return 'number:' + x;
  if (x instanceof Uint8Array) return 'Uint8Array:' + x.join(',');
  if (x && typeof x === 'object') return 'object:' + x.kind + ':' + x.code;
  return typeof x;
}
['open', 'handshake', 'message', 'ping', 'pong', 'close', 'error'].forEach(function (type) {
  ws.on(type, function (a, b) {
    var e = type;
    for (var i = 0; i < arguments.length; i++) e += ' ' + show(arguments[i]);
    report.events.push(e);
  });
});
`;
    }

    const events = (b: SimBoard): string[] => readReport<{ events: string[] }>(b).events;

    it('binary arrives as a Uint8Array; Uint8Array and send(str, 0x82) go out as binary; close gives code and reason', async () => {
      server = await startServer(false);
      board = bootWithModule('esp32');
      board.run(recorder('127.0.0.1', server.port, ''), 'binary.js');
      const b = board;
      const s = server;
      await until('open', () => events(b).includes('open'), 5000, b);
      const peer = s.peers[0]!;
      expect(peer.request.headers.origin).to.equal('Espruino'); // the module's default origin
      expect(peer.request.headers.host).to.equal(`127.0.0.1:${s.port}`);

      peer.socket.send(Buffer.from([0, 1, 255]), { binary: true });
      await until('the binary message', () => events(b).length > 2, 5000, b);
      b.run(
        `report.sent.push(ws.send(new Uint8Array([9, 8, 7])), ws.send(E.toString(new Uint8Array([1, 2, 255])), 0x82),
        ws.send('text'), ws.send('abc', 0x89));`,
        'console',
      );
      await until('the three messages and the ping', () => peer.messages.length === 3 && peer.pings.length === 1, 5000, b);
      expect(peer.messages).to.deep.equal([
        { binary: true, data: Buffer.from([9, 8, 7]) },
        { binary: true, data: Buffer.from([1, 2, 255]) },
        { binary: false, data: Buffer.from('text') },
      ]);
      expect(peer.pings[0]!.data.toString()).to.equal('abc');
      expect(() => b.run("ws.send('x', 0x88)")).to.throw('opcode must be 0x81 (text), 0x82 (binary) or 0x89 (ping), got 136');

      peer.socket.close(4001, 'custom');
      await until('the close', () => events(b).some((e) => e.startsWith('close')), 5000, b);
      expect(readReport<{ sent: boolean[] }>(b).sent).to.deep.equal([true, true, true, true]);
      expect(events(b)).to.deep.equal(['handshake', 'open', 'message Uint8Array:0,1,255', 'pong', 'close number:4001 string:custom']);
      expect(peer.close).to.deep.equal({ code: 4001, reason: '' });
      expect(b.uncaught.map(String)).to.deep.equal([]);
    });

    it('ws.close() sends a close frame (1000), then close fires with the code the server echoed', async () => {
      server = await startServer(false);
      board = bootWithModule('esp32');
      board.run(recorder('127.0.0.1', server.port, ", path: '/room?x=1'"), 'close.js');
      const b = board;
      const s = server;
      await until('open', () => events(b).includes('open'), 5000, b);
      expect(s.peers[0]!.request.url).to.equal('/room?x=1');
      b.run('ws.close();', 'console');
      await until('the close', () => events(b).some((e) => e.startsWith('close')), 5000, b);
      expect(events(b)).to.deep.equal(['handshake', 'open', 'close number:1000 string:']);
      await until('the server to see the close', () => s.peers[0]!.close !== undefined, 5000, b);
      expect(s.peers[0]!.close).to.deep.equal({ code: 1000, reason: '' });
    });

    it('invalid UTF-8 in a text message fails the connection with 1007 (an error event, then close 1007)', async () => {
      server = await startServer(false);
      board = bootWithModule('esp32');
      board.run(recorder('127.0.0.1', server.port, ''), 'utf8.js');
      const b = board;
      const s = server;
      await until('open', () => events(b).includes('open'), 5000, b);
      s.peers[0]!.socket.send(Buffer.from([0x68, 0x69, 0xc0, 0xaf]), { binary: false }); // overlong "/"
      await until('the close', () => events(b).some((e) => e.startsWith('close')), 5000, b);
      expect(events(b)).to.deep.equal([
        'handshake',
        'open',
        'error object:protocol:WS_ERR_INVALID_UTF8',
        'close number:1007 string:a text message is not valid UTF-8',
      ]);
      await until('the server to see the close', () => s.peers[0]!.close !== undefined, 5000, b);
      expect(s.peers[0]!.close!.code).to.equal(1007);
    });

    it('keepAlive is in seconds: keepAlive 1 pings about once a second', async () => {
      server = await startServer(false);
      board = bootWithModule('esp32', true);
      board.run(recorder('127.0.0.1', server.port, ', keepAlive: 1'), 'keepalive.js');
      const b = board;
      const s = server;
      await until('two pings', () => s.peers.length === 1 && s.peers[0]!.pings.length >= 2, 10_000, b);
      const pings = s.peers[0]!.pings;
      // A lower bound only: milliseconds (1 ms) would send them back to back; 60 s none at all.
      expect(pings[1]!.at - pings[0]!.at).to.be.at.least(900);
      await until('the pongs', () => events(b).filter((e) => e === 'pong').length >= 2, 5000, b);
    });

    it("a refused connection gives an error event, then close 1006 (Espruino's module gives neither)", async () => {
      // A port that was just listening and is closed now: refused.
      const probe = await startServer(false);
      const port = probe.port;
      await probe.close();
      board = bootWithModule('esp32');
      board.run(recorder('127.0.0.1', port, ''), 'refused.js');
      const b = board;
      await until('the close', () => events(b).some((e) => e.startsWith('close')), 5000, b);
      expect(events(b)).to.deep.equal(['error object:refused:-9', 'close number:1006 string:the connection closed before the handshake completed']);
      expect(b.evaluate('ws.send("late")')).to.equal(false);
    });
  });
});
