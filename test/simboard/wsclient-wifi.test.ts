/**
 * The built wsclient module riding out a WiFi drop on a simulated board.
 *
 * The board streams small text messages to a `ws` echo server on 127.0.0.1. The host drops the
 * WiFi mid-stream: the simboard's sockets then stall like a dead link (nothing moves either
 * way, no socket error for 30 s), so only the client's heartbeat can notice. It must declare
 * the connection dead (error 'heartbeat', or a socket failure) and close with 1006 and
 * willReconnect; reconnect attempts fail while the link is down; once the host restores the
 * WiFi the client reconnects by itself, echo works again, and the messages send() accepted
 * while the client was disconnected arrive, in order, on the new connection.
 */
import { expect } from 'chai';
import { createSimBoard, type SimBoard } from '../../tools/simboard/index.ts';
import { BOARDS, wsclientBundles, readReport, startEchoServer, until, type EchoServer, type WsclientBundles } from './helpers.ts';

/** One send() on the board: its text, whether it was accepted, readyState then, and the host's phase. */
interface Sent {
  m: string;
  ok: boolean;
  state: number;
  phase: 'up' | 'down' | 'restored';
}

interface Report {
  opens: number;
  events: string[];
  sent: Sent[];
  echoes: string[];
  reconnects: number;
  readyState: number;
  closed: boolean;
}

const OPEN = 1;

/** The board program: a client with a fast heartbeat and reconnect, and a 40 ms message stream. */
function boardScript(url: string): string {
  return `var report = { opens: 0, events: [], sent: [], echoes: [], reconnects: 0, readyState: 0, closed: false };
var phase = 'up';
var WebSocket = require('wsclient').WebSocket;
var ws = new WebSocket(${JSON.stringify(url)}, {
  reconnect: { minDelay: 200, maxDelay: 1000 },
  pingInterval: 500,
  pongTimeout: 500
});
var seq = 0;
var streamer = setInterval(function () {
  var m = 'm' + (seq++);
  var state = ws.readyState;
  report.sent.push({ m: m, ok: ws.send(m), state: state, phase: phase });
}, 40);
function stopStream() { clearInterval(streamer); }
ws.on('open', function () { report.opens++; report.events.push('open'); });
ws.on('message', function (e) { report.echoes.push(e.data); });
ws.on('error', function (e) { report.events.push('error ' + e.kind + ' ' + e.code); });
ws.on('reconnect', function (e) { report.events.push('reconnect ' + e.attempt); });
ws.on('close', function (e) {
  report.events.push('close ' + e.code + ' clean=' + e.wasClean + ' reconnect=' + e.willReconnect + ' unsent=' + e.unsent);
  if (!e.willReconnect) report.closed = true;
});
function snapshot() { report.reconnects = ws.reconnects; report.readyState = ws.readyState; return report; }
`;
}

describe('simboard: the built wsclient module survives a WiFi drop', function () {
  this.timeout(20_000);
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
    it(`${name}: the heartbeat declares the dead link, the client reconnects after restore, and queued messages arrive`, async () => {
      const started = Date.now();
      server = await startEchoServer();
      // Without the JsVar limit: today's module uploaded to RAM (as addModule does) does not fit the
      // ESP8266's 1,600 JsVars; this test checks the reconnect logic, not the capacity.
      board = createSimBoard({ board: name, memoryLimit: false });
      const s = server;
      const b = board;
      b.addModule('wsclient', bundles![name]);
      b.run(boardScript(s.url), 'wifi-test.js');
      const report = (): Report => readReport<Report>(b, 'snapshot()');

      // Streaming and echoing.
      await until('open and a few echoes', () => report().echoes.length >= 5, 5000, b);

      // WiFi gone: only the heartbeat (500 ms ping, 500 ms pong timeout) can tell.
      b.evaluate("phase = 'down'");
      b.wifi.drop();
      const dropped = Date.now();
      await until('the close after the drop', () => report().events.some((e) => e.startsWith('close')), 4000, b);
      const detectedMs = Date.now() - dropped;
      // Let at least one reconnect attempt fail while the link is still down.
      await until('a failed reconnect attempt', () => report().events.filter((e) => e.startsWith('close')).length >= 2, 4000, b);

      b.evaluate("phase = 'restored'");
      b.wifi.restore();
      const restored = Date.now();
      await until('the reconnect', () => report().opens === 2, 4000, b);
      const reconnectMs = Date.now() - restored;
      await until(
        'echoes on the new connection',
        () => {
          const r = report();
          return r.echoes.filter((m) => r.sent.some((x) => x.m === m && x.phase === 'restored' && x.state === OPEN)).length >= 5;
        },
        4000,
        b,
      );

      b.evaluate('stopStream()');
      // Everything accepted must come back, except what was handed to the dead connection.
      const mustArrive = (r: Report) => r.sent.filter((x) => x.ok && !(x.phase === 'down' && x.state === OPEN)).map((x) => x.m);
      await until(
        'every echo',
        () => {
          const r = report();
          return mustArrive(r).every((m) => r.echoes.includes(m));
        },
        4000,
        b,
      );
      b.evaluate("ws.close(1000, 'done')");
      await until('the final close', () => report().closed, 4000, b);
      const r = report();

      // The first failure after the drop: the heartbeat (or the socket), then 1006 with a reconnect.
      const firstClose = r.events.findIndex((e) => e.startsWith('close'));
      const firstError = r.events.findIndex((e) => e.startsWith('error'));
      expect(r.events[0]).to.equal('open');
      expect(firstError, r.events.join('\n')).to.be.within(1, firstClose - 1);
      expect(r.events[firstError]).to.match(/^error (heartbeat WS_ERR_PONG_TIMEOUT|reset |closed )/);
      expect(r.events[firstClose]).to.equal('close 1006 clean=false reconnect=true unsent=0');
      expect(r.events[firstClose + 1]).to.equal('reconnect 1');
      // While the link was down, attempts failed and backed off (each: error, close 1006, reconnect).
      const secondClose = r.events.indexOf('close 1006 clean=false reconnect=true unsent=0', firstClose + 1);
      expect(secondClose, r.events.join('\n')).to.be.greaterThan(firstClose);
      expect(r.events[secondClose - 1]).to.match(/^error (refused|other) /);
      // Back up: one more open, then the clean close the test asked for.
      expect(r.events.filter((e) => e === 'open')).to.have.length(2);
      expect(r.events.at(-1)).to.equal('close 1000 clean=true reconnect=false unsent=0');
      expect(r.reconnects).to.equal(1);

      // Messages sent while disconnected were accepted and waited for the new connection.
      const queued = r.sent.filter((x) => x.state !== OPEN && x.phase !== 'up');
      expect(queued.length, 'no message was sent while disconnected').to.be.greaterThan(3);
      expect(queued.every((x) => x.ok)).to.equal(true);
      expect(r.sent.every((x) => x.ok)).to.equal(true);

      const [first, second] = s.connections;
      expect(s.connections, 'connections seen by the server').to.have.length(2);
      const texts = (c: typeof first) => c!.messages.map((m) => (m.binary ? '<binary>' : m.data.toString('utf8')));
      const onFirst = texts(first);
      const onSecond = texts(second);
      // Every message sent before the drop went over the first connection, and was echoed.
      const beforeDrop = r.sent.filter((x) => x.phase === 'up').map((x) => x.m);
      expect(onFirst.slice(0, beforeDrop.length)).to.deep.equal(beforeDrop);
      // The queued ones arrived on the second connection, first and in order, then the live ones.
      // (A message sent before the first open, on a slow machine, waited for the first connection.)
      const afterReconnect = r.sent.filter((x) => (x.state !== OPEN && x.phase !== 'up') || x.phase === 'restored').map((x) => x.m);
      expect(onSecond).to.deep.equal(afterReconnect);
      for (const m of mustArrive(r)) expect(r.echoes, `echo of ${m}`).to.include(m);
      // Nothing was duplicated or reordered across the two connections.
      const seqs = [...onFirst, ...onSecond].map((m) => Number(m.slice(1)));
      expect(new Set(seqs).size).to.equal(seqs.length);
      expect([...seqs].sort((x, y) => x - y)).to.deep.equal(seqs);
      expect(second!.close).to.deep.equal({ code: 1000, reason: 'done' });
      expect(b.uncaught.map(String)).to.deep.equal([]);

      const lostInDeadWindow = r.sent.filter((x) => x.phase === 'down' && x.state === OPEN).map((x) => x.m);
      const lateOnFirst = lostInDeadWindow.filter((m) => onFirst.includes(m));
      console.log(
        `      [${name}] dead link detected in ${detectedMs} ms, reconnected ${reconnectMs} ms after restore, ` +
          `${queued.length} messages queued while disconnected; ${lostInDeadWindow.length} sent into the dead connection ` +
          `(${lateOnFirst.length} reached the server on it after restore); total ${Date.now() - started} ms`,
      );
    });
  }
});
