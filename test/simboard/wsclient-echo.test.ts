/**
 * The built dist/<board>/wsclient.js on a simulated board: loaded as the Web IDE loads a module
 * (Modules.addCached), used as a user would (`new (require('wsclient').WebSocket)(url, options)`),
 * echoing text and binary messages of every length class (7-bit, 16-bit and 64-bit lengths,
 * at and around each boundary) with a `ws` server on 127.0.0.1. The board checks every echo
 * byte for byte; the host checks what the server received, that the close was clean, and
 * that nothing was thrown on the board.
 */
import { expect } from 'chai';
import { createSimBoard, type SimBoard } from '../../tools/simboard/index.ts';
import { pattern } from '../helpers/tcp-recorder.ts';
import {
  asciiText,
  BOARD_ASCII,
  BOARD_PATTERN,
  BOARDS,
  wsclientBundles,
  CHUNK,
  readReport,
  startEchoServer,
  until,
  type EchoServer,
  type WsclientBundles,
} from './helpers.ts';

/** Payload lengths: around the 7-bit / 16-bit / 64-bit length encodings of RFC 6455 §5.2. */
const SIZES = [0, 125, 126, 1000, 8000, 65535, 65536];
/** Multi-byte UTF-8 text: 2-, 3- and 4-byte sequences (the board sees the bytes of the literal). */
const UTF8_UNIT = 'héllo wörld € ✓ 🌍 — ';
/** The long UTF-8 message: this many units, so its sequences straddle socket chunks and fragments. */
const UTF8_REPEAT = 700;

/** What the board sends, in order: ASCII text and binary of each size, then the UTF-8 texts. */
interface Expected {
  binary: boolean;
  bytes: Buffer;
  label: string;
}

function expectedMessages(): Expected[] {
  const out: Expected[] = [];
  SIZES.forEach((n, i) => {
    out.push({ binary: false, bytes: Buffer.from(asciiText(n, i), 'latin1'), label: `text ${n}` });
    out.push({ binary: true, bytes: Buffer.from(pattern(n, i)), label: `binary ${n}` });
  });
  out.push({ binary: false, bytes: Buffer.from(UTF8_UNIT, 'utf8'), label: 'utf8 short' });
  out.push({ binary: false, bytes: Buffer.from(UTF8_UNIT.repeat(UTF8_REPEAT), 'utf8'), label: 'utf8 long' });
  return out;
}

/**
 * The program on the board. It sends one message, waits for its echo, compares it with what it
 * sent, then sends the next; at the end it closes with 1000. `report` is read by the host.
 * `require('net').connect` is wrapped only to record the largest 'data' chunk the HAL got.
 */
function boardScript(url: string): string {
  return `${BOARD_PATTERN}
${BOARD_ASCII}
var report = { failures: [], echoed: [], maxChunk: 0, opened: 0, errors: [], close: null, done: false };
var net = require('net');
var connect0 = net.connect;
net.connect = function (options, callback) {
  var s = connect0.call(net, options, callback);
  s.on('data', function (d) { if (d.length > report.maxChunk) report.maxChunk = d.length; });
  return s;
};
var sizes = ${JSON.stringify(SIZES)};
var unit = ${JSON.stringify(UTF8_UNIT)};
var long = '';
for (var r = 0; r < ${UTF8_REPEAT}; r++) long += unit;
var queue = [];
sizes.forEach(function (n, i) {
  queue.push({ label: 'text ' + n, data: ascii(n, i) });
  queue.push({ label: 'binary ' + n, data: pattern(n, i) });
});
queue.push({ label: 'utf8 short', data: unit });
queue.push({ label: 'utf8 long', data: long });
var current = null;
function same(got, want) {
  if (typeof want === 'string') return typeof got === 'string' && got === want;
  if (!(got instanceof Uint8Array) || got.length !== want.length) return false;
  for (var i = 0; i < want.length; i++) if (got[i] !== want[i]) return false;
  return true;
}
var WebSocket = require('wsclient').WebSocket;
// The board profiles cap messages at 16 KiB (esp32) / 8 KiB (esp8266) because the chips' JsVar
// pools cannot hold more. This test lifts the limits to reach the 64-bit length encoding (65536
// bytes) and several-KiB messages on both boards, so it runs the boards without their JsVar limit
// (memoryLimit: false): neither chip could hold these messages (nor, on the ESP8266, today's
// module uploaded to RAM next to them). It checks the protocol, not the capacity.
var ws = new WebSocket(${JSON.stringify(url)}, { maxMessageSize: 70000, maxBufferedAmount: 70000 });
function next() {
  current = queue.shift();
  if (current === undefined) { ws.close(1000, 'done'); return; }
  if (!ws.send(current.data)) report.failures.push('send refused: ' + current.label);
}
ws.onopen = function () { report.opened++; next(); };
ws.onmessage = function (e) {
  if (current === null || current === undefined) { report.failures.push('unexpected message'); return; }
  var ok = same(e.data, current.data);
  report.echoed.push(current.label + (ok ? ' ok' : ' BAD'));
  if (!ok) report.failures.push('echo differs: ' + current.label + ' (got ' + typeof e.data + ' of length ' + e.data.length + ')');
  next();
};
ws.onerror = function (e) { report.errors.push(e.kind + ' ' + e.code + ' ' + e.message); };
ws.onclose = function (e) {
  report.close = { code: e.code, reason: e.reason, wasClean: e.wasClean, willReconnect: e.willReconnect, unsent: e.unsent };
  report.done = true;
};
`;
}

describe('simboard: the built wsclient module echoes with a ws server', function () {
  this.timeout(60_000);
  let bundles: WsclientBundles | undefined;
  let board: SimBoard | undefined;
  let server: EchoServer | undefined;

  before(async () => {
    bundles = await wsclientBundles();
  });
  afterEach(async () => {
    await board?.shutdown();
    await server?.close();
    board = undefined;
    server = undefined;
  });

  for (const name of BOARDS) {
    it(`${name}: text and binary messages of 0 … 65536 bytes come back byte for byte; the close is clean`, async () => {
      server = await startEchoServer();
      board = createSimBoard({ board: name, memoryLimit: false }); // see the board script's comment
      board.addModule('wsclient', bundles![name]);
      board.run(boardScript(server.url), 'echo-test.js');
      const b = board;
      await until('the board to finish', () => readReport(b, 'report.done') === true, 45_000, b);

      const report = readReport(b);
      const expected = expectedMessages();
      expect(report.failures, report.failures.join('\n')).to.deep.equal([]);
      expect(report.errors).to.deep.equal([]);
      expect(report.echoed).to.deep.equal(expected.map((m) => `${m.label} ok`));
      expect(report.opened).to.equal(1);
      expect(report.close).to.deep.equal({ code: 1000, reason: 'done', wasClean: true, willReconnect: false, unsent: 0 });

      // The server got exactly what was sent, in order, as text or binary.
      const s = server;
      await until('the server to see the close', () => s.connections.length === 1 && s.connections[0]!.close !== undefined);
      const peer = s.connections[0]!;
      expect(peer.messages.map((m) => `${m.binary ? 'binary' : 'text'} ${m.data.length}`)).to.deep.equal(
        expected.map((m) => `${m.binary ? 'binary' : 'text'} ${m.bytes.length}`),
      );
      peer.messages.forEach((m, i) => {
        expect(m.data.equals(expected[i]!.bytes), `${expected[i]!.label}: the server received other bytes`).to.equal(true);
      });
      // The UTF-8 literal of the board's source reached the server as the same characters.
      expect(peer.messages.at(-2)!.data.toString('utf8')).to.equal(UTF8_UNIT);
      expect(peer.close).to.deep.equal({ code: 1000, reason: 'done' });

      // The simboard hands out at most one chunk of chunkSize per 'data' event; large echoes filled it.
      expect(report.maxChunk).to.equal(CHUNK[name]);
      expect(b.uncaught.map(String)).to.deep.equal([]);
    });
  }
});
