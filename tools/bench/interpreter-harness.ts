/**
 * The script the interpreter bench runs in an Espruino Linux build, and the parser of what it
 * prints. Pure functions: nothing here starts a process (see tools/bench/interpreter.ts).
 *
 * One script measures one WebSocket module at one message size, closed-loop against an echo
 * server: send one text message, wait for its echo, compare it with what was sent, repeat.
 * 1. The module is preloaded the way the Web IDE does it (`Modules.addCached`) and required;
 *    on the next tick, with the script text gone, `loaded` reports the free JsVars (after a
 *    garbage collection), before any connection.
 * 2. The client connects through a small adapter, so other modules can run under the same
 *    harness: a module exporting `WebSocket` is driven with this project's API, a module that
 *    is itself a function with Espruino's `ws` API (`require('ws')(host, {port, path, …})`).
 * 3. `open`, then the payload is built (`payload`: usage with it); after a pause, `begin` is
 *    printed and `rounds` round trips run with no sampling in the loop (process.memory walks the
 *    whole pool, which would distort the time); on the next tick `end` reports their wall time
 *    (getTime) and mismatches. The host reads the interpreter's CPU time as `begin` and `end`
 *    arrive (the console writes them out while the loop runs, within a poll of the event loop).
 * 4. `memRounds` more round trips (none when 0) sample process.memory(false).usage after every
 *    send and receive: `mem` reports the peak; `after` the usage once the payload is released.
 * 5. `code` reports how many of the module's JsVars are its functions' code text, over how many
 *    functions (CODE_ACCOUNTING). Last, because the walk leaves a few JsVars behind.
 * With `instrument`, `calib` first reports what one wrapper costs, and `end` also reports `busy`
 * (ms spent inside JavaScript during the timed loop) and `calls` (wrapped callbacks that ran).
 * Every marker line is `IBENCH <name> key=value…` (the console also prints a banner, prompts
 * and escape codes around them).
 */

import { transformSync } from 'esbuild';

/** The prefix of every line the harness prints. */
export const MARKER = 'IBENCH';

export interface HarnessOptions {
  /**
   * Source of the Espruino module under test (e.g. dist/esp32/wsclient.js or ws.min.js), put in
   * the script with `Modules.addCached`; ignored when `storage` is given.
   */
  moduleSource: string;
  /**
   * The module's file in the interpreter's Storage (see storageWriteScripts): required from
   * there, as a board does, so its functions' code stays in flash (the Linux build keeps
   * Storage in espruino.flash, memory-mapped like a board's flash).
   */
  storage?: string;
  /** Echo binary messages (a Uint8Array; opcode 0x82 with Espruino's ws) instead of text. */
  binary?: boolean;
  /** More options for a module with this project's API, e.g. raised maxMessageSize. */
  clientOptions?: Record<string, number> | undefined;
  /** A run with no echo for this long fails ('no echo within …'), ms; default 10000. */
  echoTimeoutMs?: number;
  host: string;
  port: number;
  /** Request path, starting with '/'. */
  path: string;
  /** Payload size in bytes (printable ASCII text). */
  size: number;
  /** Timed round trips. */
  rounds: number;
  /** Round trips with memory sampling, after the timed ones. */
  memRounds: number;
  /** Pause before and after the timed loop, ms (lets the console and the socket settle). */
  settleMs: number;
  /**
   * Measure the time spent inside JavaScript during the timed loop: every callback the event
   * loop runs (socket events and connect callbacks through `require('net')`, timers, the
   * harness's listeners) is wrapped to add its duration, nested calls once. The wrappers cost
   * time themselves: the run measures that (`calib`) so the host can take it out.
   */
  instrument?: boolean;
}

/**
 * How much of a loaded module is function code. Espruino keeps each function's source text in
 * a hidden child, "\xFFcod": on the Linux build a copy in JsVars, on a board running the module
 * from Storage a single reference into memory-mapped flash. Walking the module's exports, their
 * prototypes and the module scope ("\xFFsco") finds every function that exists once the module
 * is loaded (closures made later are not there yet), so `code` JsVars, less one reference per
 * function, are what a board keeps in flash rather than in RAM.
 */
const CODE_ACCOUNTING = `function codeOf(root) {
  var seen = [], vars = 0, fns = 0;
  function visit(v, depth) {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || depth > 6) return;
    if (v instanceof ArrayBuffer || v.buffer instanceof ArrayBuffer || seen.indexOf(v) >= 0) return;
    seen.push(v);
    if (typeof v === 'function') {
      var code = v['\\xFFcod'];
      if (typeof code === 'string') { vars += E.getSizeOf(code); fns++; }
      visit(v['\\xFFsco'], depth + 1);
    }
    // Own properties only (a class's prototype is one): reading f.prototype would create one.
    Object.getOwnPropertyNames(v).forEach(function (k) {
      var d = Object.getOwnPropertyDescriptor(v, k);
      if (d) { visit(d.value, depth + 1); visit(d.get, depth + 1); visit(d.set, depth + 1); }
    });
  }
  visit(root, 0);
  return 'vars=' + vars + ' fns=' + fns;
}
`;

/** Stands for the module's source while the harness is minified (the module is inserted as it is). */
const MODULE_PLACEHOLDER = '__BENCH_MODULE_SOURCE__';

/** The name the module under test is cached as. */
const MODULE_NAME = 'bench_subject';

/**
 * Wrappers that add up the time spent in JavaScript while TRACK is set (see
 * HarnessOptions.instrument). Installed before the module loads, so its sockets and timers are
 * covered: `require('net').connect` (its callback and the socket's `on` listeners) and the
 * global setTimeout/setInterval. A wrapped call inside another counts once.
 */
const INSTRUMENT = `var TRACK = false, BUSY = 0, DEPTH = 0, CALLS = 0;
function timed(fn) {
  return function (a, b, c, d) {
    if (DEPTH || !TRACK) return fn.call(this, a, b, c, d);
    DEPTH = 1; CALLS++;
    var t = getTime();
    try { return fn.call(this, a, b, c, d); } finally { BUSY += getTime() - t; DEPTH = 0; }
  };
}
var NET = require('net'), netConnect = NET.connect;
NET.connect = function (o, cb) {
  var s = netConnect.call(NET, o, typeof cb === 'function' ? timed(cb) : cb);
  var on = s.on;
  s.on = function (e, f) { return on.call(s, e, timed(f)); };
  return s;
};
var realSetTimeout = setTimeout, realSetInterval = setInterval;
global.setTimeout = function (f, ms) { return realSetTimeout(typeof f === 'function' ? timed(f) : f, ms); };
global.setInterval = function (f, ms) { return realSetInterval(typeof f === 'function' ? timed(f) : f, ms); };
// What a wrapper costs, per call: in all (wrapped − plain call) and inside the timed window
// (beyond the call itself). Reported as \`calib\`, so the host can take it out.
function calibrate() {
  var K = 100, i, t, g = function () {}, f = timed(g);
  t = getTime(); for (i = 0; i < K; i++) {} var loop = getTime() - t;
  t = getTime(); for (i = 0; i < K; i++) g(); var plain = getTime() - t;
  TRACK = true; BUSY = 0; CALLS = 0;
  t = getTime(); for (i = 0; i < K; i++) f(); var wrapped = getTime() - t;
  TRACK = false;
  var outer = (wrapped - plain) / K, inner = (BUSY - (plain - loop)) / K;
  BUSY = 0; CALLS = 0;
  out('calib outer=' + (outer * 1000).toFixed(4) + ' inner=' + (Math.max(0, inner) * 1000).toFixed(4));
}
`;

/**
 * The interpreter script for one measurement. Written for Espruino: no function or var
 * hoisting (every function is defined before the code that calls it runs), no `?.`, no spread.
 */
export function harnessScript(options: HarnessOptions): string {
  const { host, port, path, size, rounds, memRounds, settleMs } = options;
  const echoTimeoutMs = options.echoTimeoutMs ?? 10000;
  for (const [name, value] of Object.entries({ size, rounds, memRounds, settleMs, port, echoTimeoutMs })) {
    if (!(Number.isInteger(value) && value >= 0)) throw new Error(`harnessScript: ${name} must be a whole number, got ${value}`);
  }
  if (rounds < 1) throw new Error('harnessScript: rounds must be at least 1');
  if (!path.startsWith('/')) throw new Error(`harnessScript: path must start with '/', got ${path}`);
  if (options.storage !== undefined && !/^[A-Za-z0-9_.]{1,24}$/.test(options.storage)) {
    throw new Error(`harnessScript: storage must be a Storage file name (1-24 letters, digits, _ or .), got ${options.storage}`);
  }
  const clientOptions = options.clientOptions || {};
  for (const [name, value] of Object.entries(clientOptions)) {
    if (!/^[A-Za-z]+$/.test(name) || !Number.isFinite(value)) throw new Error(`harnessScript: clientOptions.${name} must be a number, got ${value}`);
  }
  // The socket, so the memory loop can sample inside the module's writes (see memPhase).
  const capture = `var NET = require('net'), SOCK = null, netConnect0 = NET.connect;
NET.connect = function (o, cb) { SOCK = netConnect0.call(NET, o, cb); return SOCK; };
`;
  // Usage before and after require, both garbage collected, in the same state: what the loaded
  // module holds (its exports, functions, tables, the module cache entry).
  const load = options.storage !== undefined
    ? `var U0 = process.memory().usage;
var M = require(${JSON.stringify(options.storage)});
var RESIDENT = process.memory().usage - U0;
`
    : `Modules.addCached(${JSON.stringify(MODULE_NAME)}, function () {
  ${MODULE_PLACEHOLDER}();
});
var U0 = process.memory().usage;
var M = require(${JSON.stringify(MODULE_NAME)});
var RESIDENT = process.memory().usage - U0;
`;
  const harness = `${options.instrument ? INSTRUMENT : 'function timed(fn) { return fn; }\n'}${capture}${load}${CODE_ACCOUNTING}
var HOST = ${JSON.stringify(host)}, PORT = ${port}, PATH = ${JSON.stringify(path)};
var SIZE = ${size}, ROUNDS = ${rounds}, MEM_ROUNDS = ${memRounds}, SETTLE = ${settleMs}, BIN = ${options.binary ? 'true' : 'false'}, WATCH = ${echoTimeoutMs / 1000};
${options.instrument ? '' : 'var TRACK = false, BUSY = 0, CALLS = 0;\n'}var client = null, payload = null, phase = 0, count = 0, bad = 0, peak = 0, t0 = 0, tl = 0, last = 0, over = false;
var RT = new Float32Array(ROUNDS);
function out(s) { console.log('${MARKER} ' + s); }
function usage() { return process.memory(false).usage; }
function sample() { var u = usage(); if (u > peak) peak = u; }
function fail(why) {
  if (over) return;
  over = true;
  out('fail ' + why);
  setTimeout(quit, 10);
}
function openClient(onOpen, onMessage, onClose) {
  if (typeof M === 'function') {
    out('api espruino-ws');
    var w = M(HOST, { port: PORT, path: PATH, protocolVersion: 13, origin: 'Espruino', keepAlive: 60 });
    w.on('open', timed(onOpen));
    w.on('message', timed(onMessage));
    w.on('close', timed(onClose));
    return { send: function (s) { w.send(s, BIN ? 0x82 : 0x81); return true; }, close: function () { w.close(); } };
  }
  if (M && M.WebSocket) {
    out('api wsclient');
    // Default entropy: the bench's interpreters read the ESP RNG registers (a stock Linux build crashes on them).
    var c = new M.WebSocket('ws://' + HOST + ':' + PORT + PATH, ${JSON.stringify({ pingInterval: 0, ...clientOptions })});
    c.on('open', timed(function () { onOpen(); }));
    c.on('message', timed(function (e) { onMessage(e.data); }));
    c.on('error', function (e) { fail('error ' + e.kind + ' ' + e.code + ' ' + e.message); });
    c.on('close', timed(function () { onClose(); }));
    return { send: function (s) { return c.send(s); }, close: function () { c.close(1000); } };
  }
  return null;
}
function same(d) {
  if (typeof payload === 'string') return d === payload;
  if (!d || d.length !== SIZE) return false;
  for (var i = 0; i < SIZE; i++) if (d[i] !== payload[i]) return false;
  return true;
}
function medianMs() {
  var a = RT.slice(0, count).sort(function (x, y) { return x - y; }), n = a.length;
  return n ? (n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2) : 0;
}
function finish() {
  out('after usage=' + usage());
  out('code ' + codeOf(M));
  out('done');
  phase = 3;
  over = true;
  client.close();
  setTimeout(quit, 500);
}
function memPhase() {
  // Sample inside the module's socket writes too, where its frame buffers exist (patched only
  // now: the timed loop runs without the extra call).
  if (SOCK) { var w = SOCK.write; SOCK.write = function (d) { sample(); return w.call(SOCK, d); }; }
  phase = 2; count = 0; bad = 0; peak = usage();
  last = getTime();
  client.send(payload);
  sample();
}
function endLoop(ms) {
  out('end ms=' + ms.toFixed(3) + ' median=' + medianMs().toFixed(3) + ' rounds=' + count + ' bad=' + bad${options.instrument ? " + ' busy=' + (BUSY * 1000).toFixed(3) + ' calls=' + CALLS" : ''});
  if (MEM_ROUNDS > 0) { setTimeout(memPhase, SETTLE); return; }
  payload = null;
  phase = 3;
  setTimeout(finish, SETTLE);
}
function onMessage(data) {
  if (phase !== 1 && phase !== 2) return;
  if (phase === 2) sample();
  if (!same(data)) bad++;
  last = getTime();
  if (phase === 1) { RT[count] = (last - tl) * 1000; tl = last; }
  count++;
  if (phase === 1) {
    if (count < ROUNDS) { if (!client.send(payload)) fail('send refused'); return; }
    var ms = (getTime() - t0) * 1000;
    TRACK = false;
    phase = 1.5;
    // On the next tick: this callback's own time is only added when it returns.
    setTimeout(function () { endLoop(ms); }, 0);
  } else if (phase === 2) {
    if (count < MEM_ROUNDS) { client.send(payload); sample(); return; }
    out('mem peak=' + peak + ' rounds=' + count + ' bad=' + bad);
    payload = null;
    data = null;
    phase = 3;
    setTimeout(finish, 1);
  }
}
function onOpen() {
  out('open usage=' + usage());
  var u = new Uint8Array(SIZE);
  for (var i = 0; i < SIZE; i++) u[i] = BIN ? (i * 7 + 3) & 255 : 32 + ((i * 7 + 3) % 95);
  payload = BIN && typeof M !== 'function' ? u : E.toString(u);
  u = null;
  out('payload usage=' + usage() + ' length=' + payload.length);
  ${options.instrument ? 'calibrate();' : ''}
  setTimeout(function () {
    out('begin');
    phase = 1; count = 0; bad = 0;
    BUSY = 0; CALLS = 0; TRACK = true;
    t0 = getTime(); tl = t0; last = t0;
    // Wrapped here: the timer's own wrapper saw TRACK off.
    timed(function () { if (!client.send(payload)) fail('send refused'); })();
  }, SETTLE);
}
function onClose() {
  if (phase === 3) quit();
  else fail('closed during phase ' + phase + ' after ' + count + ' round trips');
}
// An open socket alone does not keep the interpreter running; this also notices a lost echo.
setInterval(function () { if ((phase === 1 || phase === 2) && getTime() - last > WATCH) fail('no echo within ' + WATCH * 1000 + ' ms'); }, 1000);
setTimeout(function () {
  var m = process.memory();
  out('loaded free=' + m.free + ' total=' + m.total + ' usage=' + m.usage + ' blocksize=' + m.blocksize + ' resident=' + RESIDENT);
  client = openClient(onOpen, onMessage, onClose);
  if (client === null) fail('unknown module API: neither a WebSocket export nor a ws-style function');
}, 1);
`;
  // Minified: the script's text sits in JsVars while it runs (the ESP8266-like pool has ~20 KB),
  // and Espruino lexes a function's text each time it runs, so a shorter harness costs both
  // clients less. Whitespace and local names only: no syntax rewrites.
  const minified = transformSync(harness, { minifyWhitespace: true, minifyIdentifiers: true, target: 'es2015', charset: 'utf8' }).code;
  if (options.storage !== undefined) return minified;
  const parts = minified.split(`${MODULE_PLACEHOLDER}()`);
  if (parts.length !== 2) throw new Error('harnessScript: lost the module placeholder while minifying');
  return `${parts[0]}\n${options.moduleSource}\n${parts[1]}`;
}

/** Bytes of module source per interpreter run when writing it to Storage: small enough for a 1,600-var pool. */
export const STORAGE_CHUNK = 1536;

/**
 * `s` (one char per byte) as a double-quoted JavaScript literal Espruino reads back byte for
 * byte: printable ASCII as is, every other byte as \xHH (ESP builds have no \u).
 */
export function byteStringLiteral(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new Error(`byteStringLiteral: char ${i} is U+${c.toString(16)}, not a byte`);
    if (c === 0x22 || c === 0x5c) out += '\\' + s[i];
    else if (c >= 0x20 && c < 0x7f) out += s[i];
    else out += '\\x' + c.toString(16).padStart(2, '0');
  }
  return out + '"';
}

/**
 * Scripts that write `source` (one char per byte) to the Storage file `name`, one interpreter
 * run each: the first creates the file at its full size, the rest fill it in at their offsets,
 * so no run holds more than one chunk. Each prints `IBENCH wrote offset=…`.
 */
export function storageWriteScripts(name: string, source: string, chunk = STORAGE_CHUNK): string[] {
  if (!/^[A-Za-z0-9_.]{1,24}$/.test(name)) throw new Error(`storageWriteScripts: name must be a Storage file name, got ${name}`);
  if (source.length === 0) throw new Error('storageWriteScripts: source is empty');
  const scripts: string[] = [];
  for (let offset = 0; offset < source.length; offset += chunk) {
    scripts.push(`require('Storage').write(${JSON.stringify(name)},${byteStringLiteral(source.slice(offset, offset + chunk))},${offset},${source.length});` +
      `console.log('${MARKER} wrote offset=${offset}');setTimeout(quit,1);`);
  }
  return scripts;
}

/** A script printing `IBENCH stored length=… crc=…` of a Storage file (crc: E.CRC32, as zlib's crc32). */
export function storageCheckScript(name: string): string {
  return `var f=require('Storage').read(${JSON.stringify(name)});console.log('${MARKER} stored length='+(f===undefined?-1:f.length)+' crc='+(f===undefined?0:(E.CRC32(f)>>>0)));setTimeout(quit,1);`;
}

/**
 * A script that only requires the Storage file `name` and prints `IBENCH resident vars=… free=…`:
 * JsVars in use after require minus before (both garbage collected). Small enough to run where
 * the echo harness does not fit beside the module.
 */
export function residentScript(name: string): string {
  if (!/^[A-Za-z0-9_.]{1,24}$/.test(name)) throw new Error(`residentScript: name must be a Storage file name, got ${name}`);
  return `var U0=process.memory().usage;var M=require(${JSON.stringify(name)});var R=process.memory().usage-U0;` +
    `console.log('${MARKER} resident vars='+R+' free='+process.memory().free);setTimeout(quit,1);`;
}

/** What one harness run printed, parsed. Missing figures are NaN. */
export interface HarnessResult {
  api: string;
  /** After loading the module (garbage collected), before any connection. */
  loadedFree: number;
  /** JsVars in use after require minus before, both garbage collected, in the same run: what the loaded module holds. */
  resident: number;
  total: number;
  blocksize: number;
  /** JsVars of the loaded module's function code, and how many functions (CODE_ACCOUNTING; NaN if not reported). */
  codeVars: number;
  codeFunctions: number;
  /** JsVars in use after the handshake, with the payload built, at the peak, and after. */
  usageOpen: number;
  usagePayload: number;
  usagePeak: number;
  usageAfter: number;
  /** Wall time of the timed loop, in the interpreter (getTime). */
  wallMs: number;
  /** The median of the timed loop's round trips, ms (each timed in the interpreter). */
  medianMs: number;
  /** Instrumented runs: ms spent inside JavaScript during the timed loop, and how many callbacks ran (else NaN). */
  busyMs: number;
  busyCalls: number;
  /** Instrumented runs: what one wrapper costs in ms, in all and inside the timed window (else NaN). */
  wrapperMs: number;
  wrapperInsideMs: number;
  rounds: number;
  /** Echoes that differed from what was sent (timed and memory loops). */
  bad: number;
  memRounds: number;
  /** Reached the end of the script. */
  done: boolean;
  /** Why the run failed (the harness's own report, or what the interpreter printed); '' when it did not. */
  failure: string;
}

/** The `key=value` fields after `name` on the first marker line named `name`. */
function fields(lines: string[], name: string): Record<string, string> | null {
  for (const line of lines) {
    if (line === name || line.startsWith(name + ' ')) {
      const out: Record<string, string> = {};
      for (const part of line.slice(name.length).trim().split(/\s+/)) {
        const eq = part.indexOf('=');
        if (eq > 0) out[part.slice(0, eq)] = part.slice(eq + 1);
      }
      return out;
    }
  }
  return null;
}

/** The text after `IBENCH ` on every output line that has it (prompts and escapes may precede it). */
export function markerLines(output: string): string[] {
  const lines: string[] = [];
  for (const raw of output.replace(/\r/g, '').split('\n')) {
    const at = raw.indexOf(MARKER + ' ');
    if (at >= 0) lines.push(raw.slice(at + MARKER.length + 1).trim());
  }
  return lines;
}

/** Why the interpreter's output shows a crash, or '' if it does not. */
export function interpreterFailure(output: string): string {
  if (/OUT OF MEMORY/.test(output)) {
    return /Execution Interrupted/.test(output) ? 'OUT OF MEMORY (Execution Interrupted)' : 'OUT OF MEMORY';
  }
  if (/Execution Interrupted/.test(output)) return 'Execution Interrupted';
  const assert = /ASSERT\([^\n]*/.exec(output);
  if (assert) return `internal ${assert[0].trim()}`;
  const uncaught = /Uncaught [^\n]*/.exec(output);
  if (uncaught) return uncaught[0].trim();
  return '';
}

/**
 * Parses a run's output. `exitCode` is null when the run was killed (timeout, or after a
 * crash); `timedOut` says which.
 */
export function parseHarnessOutput(output: string, exitCode: number | null = 0, timedOut = false): HarnessResult {
  const lines = markerLines(output);
  const num = (group: Record<string, string> | null, key: string): number => (group && key in group ? Number(group[key]) : NaN);
  const loaded = fields(lines, 'loaded');
  const end = fields(lines, 'end');
  const mem = fields(lines, 'mem');
  const api = lines.find((line) => line.startsWith('api '));
  const result: HarnessResult = {
    api: api ? api.slice(4) : '',
    loadedFree: num(loaded, 'free'),
    resident: num(loaded, 'resident'),
    total: num(loaded, 'total'),
    blocksize: num(loaded, 'blocksize'),
    codeVars: num(fields(lines, 'code'), 'vars'),
    codeFunctions: num(fields(lines, 'code'), 'fns'),
    usageOpen: num(fields(lines, 'open'), 'usage'),
    usagePayload: num(fields(lines, 'payload'), 'usage'),
    usagePeak: num(mem, 'peak'),
    usageAfter: num(fields(lines, 'after'), 'usage'),
    wallMs: num(end, 'ms'),
    medianMs: num(end, 'median'),
    busyMs: num(end, 'busy'),
    busyCalls: num(end, 'calls'),
    wrapperMs: num(fields(lines, 'calib'), 'outer'),
    wrapperInsideMs: num(fields(lines, 'calib'), 'inner'),
    rounds: num(end, 'rounds'),
    bad: (end ? num(end, 'bad') : 0) + (mem ? num(mem, 'bad') : 0),
    memRounds: num(mem, 'rounds'),
    done: lines.includes('done'),
    failure: '',
  };
  const own = lines.find((line) => line.startsWith('fail '));
  const crash = interpreterFailure(output);
  const where = !loaded ? 'loading the module' : !end ? 'the timed loop' : !result.done ? 'the memory loop' : '';
  if (own) result.failure = own.slice(5);
  else if (crash && !result.done) result.failure = `${crash} in ${where}`;
  else if (timedOut && !result.done) result.failure = `timed out in ${where}`;
  else if (!result.done) result.failure = `the interpreter exited (code ${exitCode}) in ${where}`;
  else if (result.bad > 0) result.failure = `${result.bad} echoes differed from what was sent`;
  return result;
}
