/**
 * The board code on a real Espruino interpreter: set ESPRUINO_BIN to an Espruino Linux build
 * (for instance one built with an ESP8266- or ESP32-like memory pool), e.g.
 *
 *   ESPRUINO_BIN=/path/to/espruino npx mocha --spec test/espruino/real-interpreter.test.ts
 *
 * The board whose bundle is tested follows the interpreter's pool (12-byte JsVars: esp8266,
 * else esp32), or ESPRUINO_BOARD. Two scripts run in the interpreter, each printing marker
 * lines (its output also has a banner, prompts and escape codes):
 * - the HAL alone (hal/espruino bundled as an iife) against a Node TCP echo server;
 * - the built dist/<board>/wsclient.js, preloaded with Modules.addCached as the Web IDE
 *   does, echoing text and binary messages with a `ws` server.
 *
 * The Linux build has no ESP RNG register (peek32 of the ESP address crashes it), so the
 * scripts give the HAL a register reader or opt into weak entropy; on a board neither is needed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { transform } from 'esbuild';
import { WebSocketServer } from 'ws';
import { getBoard } from '../../boards/index';
import { boardDefines, buildBoard } from '../../tools/build';
import { buildChecked } from '../../tools/espruino-bundle';
import { type EspruinoRun, runEspruino } from '../../tools/espruino-process';

const BIN = process.env.ESPRUINO_BIN;
const root = join(import.meta.dirname, '..', '..');
/** Message sizes of the binary echo: one small frame, one split over chunks, one near the ESP8266 limit. */
const BINARY_SIZES = [16, 1000, 8000];

/**
 * Runs `script` in the interpreter (see tools/espruino-process.ts); an internal assert or an
 * aborted top level ends it. `typed`, if given, is then typed at the console line by line
 * (once the script printed READY), as the Web IDE sends code: each statement runs as it
 * arrives, so its text is not held in memory with the rest.
 */
function runScript(script: string, timeoutMs: number, typed?: string): Promise<EspruinoRun> {
  return runEspruino(BIN as string, script, {
    timeoutMs,
    crashed: (output) => /ASSERT\(|Execution Interrupted/.test(output),
    started: (child, output) => {
      if (typed === undefined) return;
      // Type only once the file has run: the console's input buffer is small (1 KB).
      const start = setInterval(() => {
        if (!output().includes(READY)) return;
        clearInterval(start);
        void type(child, typed);
      }, 20);
      child.on('close', () => clearInterval(start));
    },
  });
}

/** What a script prints when it is ready for typed input. */
const READY = 'READY-FOR-INPUT';

/** Types `text` at the console: echo off, then one line every few ms (the console buffer is small). */
async function type(child: ChildProcess, text: string): Promise<void> {
  const stdin = child.stdin!;
  const lines = ['echo(0);', ...text.split('\n')];
  for (const line of lines) {
    if (child.exitCode !== null || stdin.destroyed) return;
    stdin.write(`${line}\n`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

/** The text after `marker ` on every output line that has it (prompts may precede it). */
function markerLines(output: string, marker: string): string[] {
  const lines: string[] = [];
  for (const line of output.split('\n')) {
    const at = line.indexOf(marker + ' ');
    if (at >= 0) lines.push(line.slice(at + marker.length + 1).trim());
  }
  return lines;
}

/** Explains a run that printed no result. */
function diagnose(run: EspruinoRun, bundleBytes: number): string {
  const tail = run.output.split('\n').slice(-25).join('\n');
  let why = '';
  if (/OUT OF MEMORY/.test(run.output)) {
    why =
      `the interpreter ran out of JsVars. The Linux build copies the whole script (${bundleBytes} bytes of bundle) into ` +
      'JsVars before running it; a real board runs an uploaded module from flash instead.\n';
  } else if (/ASSERT\(/.test(run.output)) {
    why =
      'the interpreter hit an internal ASSERT (Linux builds keep asserts; release firmware does not). A known cause: ' +
      'an arrow function that uses `this` inside an expression that is not evaluated (esbuild minifies `if (c) {…}` into `c&&(…)`).\n';
  } else if (run.code === null) {
    why = 'the interpreter was killed at the timeout.\n';
  }
  return `${why}exit code ${run.code}; last output:\n${tail}`;
}

/** Which board's bundle to test on this interpreter. */
async function probeBoard(): Promise<string> {
  if (process.env.ESPRUINO_BOARD) return getBoard(process.env.ESPRUINO_BOARD).name;
  const run = await runScript("var m=process.memory();console.log('PROBE '+m.total+' '+m.blocksize);setTimeout(quit,1);", 20000);
  const [total, blocksize] = (markerLines(run.output, 'PROBE')[0] || '').split(' ').map(Number);
  if (!(total > 0)) throw new Error(`could not probe the interpreter:\n${run.output}`);
  return blocksize === 12 ? 'esp8266' : 'esp32';
}

/** A plain TCP echo server on 127.0.0.1 (port 0). */
async function tcpEcho(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('data', (data) => socket.write(data));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** A port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A test script as esbuild prints it: no comments, one top-level statement per line start. */
async function formatted(script: string): Promise<string> {
  return (await transform(script, { target: 'es2015', charset: 'utf8' })).code;
}

/** Shared head of the HAL scripts: marker output and a failure list. */
const CHECKS = `
var failures = [];
function log(s) { console.log('HALTEST ' + s); }
function check(what, ok) { log(what + ' ' + (ok ? 'ok' : 'FAILED')); if (!ok) failures.push(what); }
function finish() {
  log('free ' + process.memory().free + ' of ' + process.memory().total);
  log('RESULT ' + (failures.length ? 'FAIL ' + failures.join(';') : 'PASS'));
  setTimeout(quit, 1);
}
`;

/** HAL script 1: byte strings, entropy and SHA-1 (exports: espruinoTextCodec, createEspruinoEntropy, findNativeSha1). */
function dataScript(): string {
  return `${CHECKS}
var codec = H.espruinoTextCodec;
var u = E.toUint8Array('abcd');
var s = codec.decode(u, 0, 4);
u[0] = 120;
check('decode-does-not-alias', s === 'abcd');
var all = new Uint8Array(256);
for (var i = 0; i < 256; i++) all[i] = i;
var text = codec.decode(all, 0, 256);
var back = codec.encode(text);
var same = text.length === 256 && back.length === 256;
for (var j = 0; j < 256 && same; j++) same = text.charCodeAt(j) === j && back[j] === j;
check('bytes-roundtrip-256', same);
// Linux has no ESP RNG register: a stand-in reader for the healthy path, a stuck one for the refusal.
// E.hwRand() is rand() there, 31 bits: the start-up test wants all 32 to change, so two make a word.
var entropy = H.createEspruinoEntropy({ readRegister: function () { return (E.hwRand() << 1) ^ E.hwRand(); } });
var pool = new Uint8Array(256);
function timedFill() { var started = getTime(); entropy.fill(pool); return getTime() - started; }
log('fill-256-ms ' + (timedFill() * 1000).toFixed(1));
var nonzero = 0;
for (var k = 0; k < 256; k++) if (pool[k]) nonzero++;
check('entropy-fill', nonzero > 200);
var refused = '';
try { H.createEspruinoEntropy({ readRegister: function () { return 7; } }).fill(pool); } catch (e) { refused = e.code; }
check('entropy-refuses-stuck-register', refused === 'WS_ERR_WEAK_ENTROPY');
var n = 0x12345678, x = 1;
refused = '';
try { H.createEspruinoEntropy({ readRegister: function () { return n++; } }).fill(pool); } catch (e) { refused = e.code; }
check('entropy-refuses-counter', refused === 'WS_ERR_WEAK_ENTROPY');
refused = '';
try { H.createEspruinoEntropy({ readRegister: function () { x = (Math.imul(x, 1103515245) + 12345) | 0; return x; } }).fill(pool); } catch (e) { refused = e.code; }
check('entropy-refuses-lcg', refused === 'WS_ERR_WEAK_ENTROPY');
var sha1 = H.findNativeSha1();
check('sha1', sha1 !== undefined && btoa(E.toString(sha1(E.toUint8Array('abc')))) === 'qZk+NkcGgWq6PiVxeFDCbJzQ2J0=');
finish();
`;
}

/** HAL script 2: timers and sockets (exports: espruinoClock, createEspruinoTcp). */
function socketScript(echoPort: number, refusedPort: number): string {
  return `${CHECKS}
var clock = H.espruinoClock;
var fired = '';
var t1 = clock.setTimeout(function () {
  fired += 'a';
  clock.setTimeout(function () { fired += 'b'; }, 5);
  clock.clearTimeout(t1); // stale: Espruino may have given its id to the new timer
}, 50);
clock.clearTimeout(undefined);
var tcp = H.createEspruinoTcp(false);
var inCall = false;
// Handlers that record events: prototype methods, so three sockets share six functions
// (closures cost JsVars the ESP8266-like pool does not have).
function Rec(name) { this.name = name; this.events = []; }
Rec.prototype.r = function (e, arg) {
  if (inCall) failures.push(this.name + ': on' + e + ' inside a call');
  this.events.push(e);
  if (e === 'error') this.events.push(arg.kind);
};
Rec.prototype.onConnect = function () { this.r('connect'); };
Rec.prototype.onData = function () { this.r('data'); };
Rec.prototype.onDrain = function () { this.r('drain'); };
Rec.prototype.onEnd = function () { this.r('end'); };
Rec.prototype.onError = function (error) { this.r('error', error); };
Rec.prototype.onClose = function () { this.r('close'); };
function connect(port, h) { inCall = true; var sock = tcp.connect({ host: '127.0.0.1', port: port, tls: false }, h); inCall = false; return sock; }
var refusedRec = new Rec('refused');
connect(${refusedPort}, refusedRec);
// 8000 bytes out in 500-byte writes (each waiting for onDrain) and back, checked as they
// arrive: nothing is stored, so this fits the ESP8266-like pool.
var N = 8000, PIECE = 500, sent = 0, gotLen = 0, badAt = -1;
function byteAt(p) { return (p * 31 + (p >> 8)) & 255; }
var piece = new Uint8Array(PIECE);
var eh = new Rec('echo');
var sock;
function sendMore() {
  if (sent >= N) return;
  for (var p = 0; p < PIECE; p++) piece[p] = byteAt(sent + p);
  inCall = true;
  var more = sock.write(piece); // borrowed: refilled for the next write
  inCall = false;
  sent += PIECE;
  if (more) sendMore();
}
eh.onConnect = function () { this.r('connect'); sendMore(); };
eh.onDrain = function () { this.r('drain'); sendMore(); };
eh.onData = function (bytes) {
  this.r('data');
  if (!(bytes instanceof Uint8Array)) failures.push('onData got ' + typeof bytes);
  for (var b = 0; b < bytes.length; b++) if (badAt < 0 && bytes[b] !== byteAt(gotLen + b)) badAt = gotLen + b;
  gotLen += bytes.length;
  if (gotLen === N) { inCall = true; sock.end(); inCall = false; }
};
sock = connect(${echoPort}, eh);
// In functions: typed at the console, each top-level statement runs on its own and events
// may run in between.
var destroyRec = new Rec('destroy');
function destroyAtOnce() {
  var victim = connect(${echoPort}, destroyRec);
  inCall = true;
  victim.destroy();
  victim.destroy();
  inCall = false;
  var thrown = '';
  try { victim.write(piece); } catch (e) { thrown = e.message; }
  check('write-after-destroy-throws', thrown === 'This socket is closed');
}
destroyAtOnce();
// Report once the echo socket has closed (or after a generous deadline): a fixed wait would be
// a timed assertion, and an emulated or loaded machine is slow.
var waited = 0;
function reportWhenDone() {
  waited += 100;
  if (eh.events.indexOf('close') < 0 && waited < 30000) return setTimeout(reportWhenDone, 100);
  check('clock-ignores-stale-handle', fired === 'ab');
  check('refused', refusedRec.events.join() === 'error,refused,close');
  check('echo-8000', gotLen === N && badAt < 0);
  var ev = eh.events.filter(function (e) { return e !== 'data' && e !== 'drain'; }).join();
  check('echo-events', ev === 'connect,end,close' && eh.events.indexOf('drain') > 0);
  check('destroy', destroyRec.events.join() === 'close');
  log('chunks ' + eh.events.filter(function (e) { return e === 'data'; }).length);
  finish();
}
setTimeout(reportWhenDone, 100);
`;
}

/** The interpreter side of the echo test: the module as a user would load and use it. */
function echoScript(bundle: string, url: string): string {
  return `Modules.addCached('wsclient', function () {
${bundle}
});
var WebSocket = require('wsclient').WebSocket;
function log(s) { console.log('WSTEST ' + s); }
var failures = [];
var sizes = ${JSON.stringify(BINARY_SIZES)};
var step = -1, expectCrc = 0, expectLen = 0, ws = null, minFree = 1e9;
function mem() { var f = process.memory(false).free; if (f < minFree) minFree = f; return f; }
function next() {
  step++;
  if (step === 0) { ws.send('h\u00e9llo \u20ac'); return; }
  var n = sizes[step - 1];
  if (n === undefined) { ws.close(1000, 'done'); return; }
  var u = new Uint8Array(n);
  for (var i = 0; i < n; i++) u[i] = (i * 31 + 7) & 255;
  expectCrc = E.CRC32(u);
  expectLen = n;
  if (!ws.send(u)) failures.push('send ' + n + ' refused');
  log('sent ' + n + ' free ' + mem());
}
setTimeout(function () {
  // The script text is gone by now: what remains is the module.
  log('loaded free ' + process.memory().free + ' of ' + process.memory().total);
  // The Linux build has no ESP RNG register (peek32 of it crashes): opt into weak entropy here.
  ws = new WebSocket(${JSON.stringify(url)}, { allowWeakEntropy: true, readRegister: null, pingInterval: 0 });
  log('constructed free ' + mem());
  ws.on('open', function () { log('open free ' + mem()); next(); });
  ws.on('message', function (e) {
    mem();
    if (step === 0) {
      // ESP builds have byte strings, and so does this codec. A unicode build (e.g. the stock
      // Linux one) reads the literal as 7 characters, not 10 bytes: not a board, not checked.
      var unicode = '\\u20ac'.charCodeAt(0) === 0x20ac;
      if (!unicode && e.data !== 'h\u00e9llo \u20ac') failures.push('text echo');
      log('echo text ' + e.data.length + (unicode ? ' (unicode build: not compared)' : ''));
    } else {
      var good = e.data instanceof Uint8Array && e.data.length === expectLen && E.CRC32(e.data) === expectCrc;
      if (!good) failures.push('binary echo ' + expectLen);
      log('echo ' + expectLen + ' ' + (good ? 'ok' : 'BAD') + ' free ' + mem());
    }
    next();
  });
  ws.on('error', function (e) { failures.push('error ' + e.kind + ' ' + e.code + ' ' + e.message); });
  ws.on('close', function (e) {
    if (e.code !== 1000 || !e.wasClean) failures.push('close ' + e.code + ' clean ' + e.wasClean);
    log('min free ' + minFree);
    log('RESULT ' + (failures.length ? 'FAIL ' + failures.join(';') : 'PASS'));
    setTimeout(quit, 1);
  });
}, 1);
setInterval(function () {}, 1000); // an open socket alone does not keep the interpreter running
`;
}

describe('the board code on a real Espruino interpreter', function () {
  this.timeout(180000);
  let board = 'esp32';
  let scratch = '';

  before(async function () {
    if (!BIN) {
      console.log('      (skipped: ESPRUINO_BIN is not set; point it at an Espruino Linux build to run these)');
      this.skip();
    }
    board = await probeBoard();
    scratch = mkdtempSync(join(tmpdir(), 'espruino-real-'));
  });
  after(() => {
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * Bundles the named hal/espruino exports as module 'hal' and runs `script` after it. Kept
   * to a few exports per run: the ESP8266-like pool holds the script text and the function
   * bodies it defines at the same time.
   */
  async function runHal(names: string[], script: string): Promise<string[]> {
    const entry = join(scratch, 'hal-entry.ts');
    writeFileSync(entry, `export { ${names.join(', ')} } from ${JSON.stringify(join(root, 'hal', 'espruino', 'index.ts'))};\n`);
    const hal = await buildChecked({
      entry,
      outfile: join(scratch, 'hal.js'),
      format: 'module',
      minify: true,
      define: boardDefines(getBoard(board)),
    });
    // The file only loads the module (and keeps the interpreter alive: it exits when no timer
    // is left); the checks are typed afterwards (see runScript).
    const file =
      `Modules.addCached('hal', function () {\n${hal.code}\n});\nvar H = require('hal');\n` + `setInterval(function () {}, 1000);\nconsole.log('${READY}');\n`;
    const run = await runScript(file, 60000, await formatted(script));
    const lines = markerLines(run.output, 'HALTEST');
    console.log(`      [${board}] ${lines.filter((l) => /^(free|chunks|fill)/.test(l)).join(', ')}`);
    const result = lines.find((l) => l.startsWith('RESULT'));
    expect(result, diagnose(run, hal.bytes)).to.not.equal(undefined);
    expect(result, lines.join('\n')).to.equal('RESULT PASS');
    return lines;
  }

  it('runs the HAL text codec (no aliasing, all byte values), entropy and SHA-1', async () => {
    await runHal(['espruinoTextCodec', 'createEspruinoEntropy', 'findNativeSha1'], dataScript());
  });

  it('runs the HAL timers and sockets: 8000-byte echo with drain, refusal, destroy', async () => {
    const echo = await tcpEcho();
    try {
      const port = (echo.address() as net.AddressInfo).port;
      await runHal(['espruinoClock', 'createEspruinoTcp'], socketScript(port, await closedPort()));
    } finally {
      echo.close();
    }
  });

  it('loads wsclient.js with Modules.addCached and echoes text and 16/1000/8000-byte binary messages', async () => {
    const build = await buildBoard(board, join(scratch, 'dist'));
    const bundle = readFileSync(build.bundles[0].file, 'utf8');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
    await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
    const serverCloses: number[] = [];
    wss.on('connection', (socket) => {
      socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
      socket.on('close', (code) => serverCloses.push(code));
    });
    try {
      const url = `ws://127.0.0.1:${(wss.address() as net.AddressInfo).port}/echo`;
      const run = await runScript(echoScript(bundle, url), 150000);
      const lines = markerLines(run.output, 'WSTEST');
      console.log(`      [${board}] wsclient.js ${bundle.length} bytes; ${lines.filter((l) => /free/.test(l)).join('; ')}`);
      const result = lines.find((l) => l.startsWith('RESULT'));
      expect(result, diagnose(run, bundle.length)).to.not.equal(undefined);
      expect(result, lines.join('\n')).to.equal('RESULT PASS');
      expect(lines.filter((l) => /^echo \d+ ok/.test(l))).to.have.length(BINARY_SIZES.length);
      expect(serverCloses).to.deep.equal([1000]);
    } finally {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });
});
