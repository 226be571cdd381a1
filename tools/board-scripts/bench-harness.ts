/**
 * The interpreter bench's echo harness, run by an Espruino Linux build (tools/bench: the host
 * builds it with harnessScript in interpreter-harness.ts, which also documents the markers).
 *
 * One run measures one WebSocket module at one message size, closed-loop against an echo
 * server: send one message, wait for its echo, compare it with what was sent, repeat. The host
 * puts `var BENCH={…};` (BenchSettings) in front of this script, and before that, unless the
 * module is in Storage, the module itself as `Modules.addCached(BENCH.module, function(){…})`.
 *
 * A flat script, not wrapped in a function: the interpreter holds the script's text while it
 * runs, and a wrapper would hold a second copy of it (its code) while the module loads. So it
 * is written for the interpreter's order of execution: no function or var hoisting (everything
 * is defined before the code that calls it runs), ES5 style.
 */
import type { Callback, EspruinoE, EspruinoGlobal, EspruinoNet, EspruinoSocket } from './espruino.ts';

/** What the host passes, as `var BENCH={…};` in front of the script. */
export interface BenchSettings {
  /** The module under test: a Storage file name, or the name it was cached under. */
  module: string;
  host: string;
  port: number;
  /** Request path, starting with '/'. */
  path: string;
  /** Payload size in bytes. */
  size: number;
  /** Timed round trips (at least 1). */
  rounds: number;
  /** Round trips with memory sampling after the timed ones (0: none). */
  memRounds: number;
  /** Pause before and after the timed loop, ms. */
  settle: number;
  /** Echo binary messages instead of text. */
  binary: boolean;
  /** A run with no echo for this long fails, seconds. */
  watch: number;
  /** Options for a module with this project's API. */
  options: Record<string, number>;
}

declare const BENCH: BenchSettings;
/** Compile-time (esbuild define): whether callbacks are timed (HarnessOptions.instrument). */
declare const __BENCH_INSTRUMENT__: boolean;
declare const global: EspruinoGlobal;
declare const E: EspruinoE;
declare function quit(): void;
declare function require(name: 'net'): EspruinoNet;
declare function require(name: string): unknown;

/** What a module exporting `WebSocket` offers (this project's API). */
interface WsClientModule {
  WebSocket: new (
    url: string,
    options: Record<string, number>,
  ) => {
    on(type: string, listener: Callback): void;
    send(data: string | Uint8Array): boolean;
    close(code: number): void;
  };
}
/** A module that is itself a function, like Espruino's `ws`. */
type EspruinoWsModule = (
  host: string,
  options: Record<string, unknown>,
) => {
  on(type: string, listener: Callback): void;
  send(data: string | Uint8Array, opcode: number): void;
  close(): void;
};
/** The harness's view of either client. */
interface Client {
  send(data: string | Uint8Array): boolean;
  close(): void;
}

var PROCESS = global.process;

// Instrumented runs add up the time spent in JavaScript while TRACK is set: every callback the
// event loop runs is wrapped (installed before the module loads, so its sockets and timers are
// covered), nested calls once.
var TRACK = false,
  BUSY = 0,
  DEPTH = 0,
  CALLS = 0;
function timed(fn: Callback): Callback {
  if (!__BENCH_INSTRUMENT__) return fn;
  return function (this: unknown, a, b, c, d) {
    if (DEPTH || !TRACK) return fn.call(this, a, b, c, d);
    DEPTH = 1;
    CALLS++;
    var t = getTime();
    try {
      return fn.call(this, a, b, c, d);
    } finally {
      BUSY += getTime() - t;
      DEPTH = 0;
    }
  };
}
function instrument(): void {
  var net = require('net'),
    connect = net.connect;
  net.connect = function (o, cb) {
    var s = connect.call(net, o, typeof cb === 'function' ? timed(cb as Callback) : cb);
    var on = s.on;
    s.on = function (e, f) {
      return on.call(s, e, timed(f));
    };
    return s;
  };
  var realSetTimeout = global.setTimeout,
    realSetInterval = global.setInterval;
  global.setTimeout = function (f, ms) {
    return realSetTimeout(typeof f === 'function' ? timed(f) : f, ms);
  };
  global.setInterval = function (f, ms) {
    return realSetInterval(typeof f === 'function' ? timed(f) : f, ms);
  };
}
if (__BENCH_INSTRUMENT__) instrument();

// The socket, so the memory loop can sample inside the module's writes (see memPhase).
var NET = require('net'),
  SOCK: EspruinoSocket | null = null,
  netConnect = NET.connect;
NET.connect = function (o, cb) {
  SOCK = netConnect.call(NET, o, cb);
  return SOCK;
};

// Usage before and after require, both garbage collected, in the same state: what the loaded
// module holds (its exports, functions, tables, the module cache entry).
var U0 = PROCESS.memory().usage;
var M = require(BENCH.module) as WsClientModule | EspruinoWsModule | null;
var RESIDENT = PROCESS.memory().usage - U0;

/**
 * How much of a loaded module is function code. Espruino keeps each function's source text in
 * a hidden child, "\xFFcod": on the Linux build a copy in JsVars, on a board running the module
 * from Storage a single reference into memory-mapped flash. Walking the module's exports, their
 * prototypes and the module scope ("\xFFsco") finds every function that exists once the module
 * is loaded (closures made later are not there yet), so `code` JsVars, less one reference per
 * function, are what a board keeps in flash rather than in RAM.
 */
function codeOf(root: unknown): string {
  // Built at run time: a literal would reach the interpreter as `o.ÿcod`, an identifier with a non-ASCII byte.
  var COD = String.fromCharCode(255) + 'cod',
    SCO = String.fromCharCode(255) + 'sco';
  var seen: unknown[] = [],
    vars = 0,
    fns = 0;
  function visit(v: unknown, depth: number): void {
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || depth > 6) return;
    var o = v as Record<string, unknown> & { buffer?: unknown },
      code;
    if (o instanceof ArrayBuffer || o.buffer instanceof ArrayBuffer || seen.indexOf(o) >= 0) return;
    seen.push(o);
    if (typeof o === 'function') {
      code = o[COD];
      if (typeof code === 'string') {
        vars += E.getSizeOf(code);
        fns++;
      }
      visit(o[SCO], depth + 1);
    }
    // Own properties only (a class's prototype is one): reading f.prototype would create one.
    Object.getOwnPropertyNames(o).forEach(function (k) {
      var d = Object.getOwnPropertyDescriptor(o, k);
      if (d) {
        visit(d.value, depth + 1);
        visit(d.get, depth + 1);
        visit(d.set, depth + 1);
      }
    });
  }
  visit(root, 0);
  return 'vars=' + vars + ' fns=' + fns;
}

var SIZE = BENCH.size,
  BIN = BENCH.binary,
  WATCH = BENCH.watch;
var client: Client | null = null,
  payload: string | Uint8Array | null = null,
  phase = 0,
  count = 0,
  bad = 0,
  peak = 0,
  t0 = 0,
  tl = 0,
  last = 0,
  over = false;
var RT = new Float32Array(BENCH.rounds);
function out(s: string): void {
  console.log('IBENCH ' + s);
}
function usage(): number {
  return PROCESS.memory(false).usage;
}
function sample(): void {
  var u = usage();
  if (u > peak) peak = u;
}
function fail(why: string): void {
  if (over) return;
  over = true;
  out('fail ' + why);
  setTimeout(quit, 10);
}
// What one wrapper costs, per call: in all (wrapped − plain call) and inside the timed window
// (beyond the call itself). Reported as `calib`, so the host can take it out.
function calibrate(): void {
  var K = 100,
    i,
    t,
    g = function () {},
    f = timed(g);
  t = getTime();
  for (i = 0; i < K; i++) {}
  var loop = getTime() - t;
  t = getTime();
  for (i = 0; i < K; i++) g();
  var plain = getTime() - t;
  TRACK = true;
  BUSY = 0;
  CALLS = 0;
  t = getTime();
  for (i = 0; i < K; i++) f();
  var wrapped = getTime() - t;
  TRACK = false;
  var outer = (wrapped - plain) / K,
    inner = (BUSY - (plain - loop)) / K;
  BUSY = 0;
  CALLS = 0;
  out('calib outer=' + (outer * 1000).toFixed(4) + ' inner=' + (Math.max(0, inner) * 1000).toFixed(4));
}
/** Connects through a small adapter, so that modules with either API run under the same harness. */
function openClient(onOpen: Callback, onMessage: (data: unknown) => void, onClose: Callback): Client | null {
  var w: ReturnType<EspruinoWsModule>, c: InstanceType<WsClientModule['WebSocket']>;
  if (typeof M === 'function') {
    out('api espruino-ws');
    w = M(BENCH.host, { port: BENCH.port, path: BENCH.path, protocolVersion: 13, origin: 'Espruino', keepAlive: 60 });
    w.on('open', timed(onOpen));
    w.on('message', timed(onMessage as Callback));
    w.on('close', timed(onClose));
    return {
      send: function (s) {
        w.send(s, BIN ? 0x82 : 0x81);
        return true;
      },
      close: function () {
        w.close();
      },
    };
  }
  if (M && M.WebSocket) {
    out('api wsclient');
    // Default entropy: the bench's interpreters read the ESP RNG registers (a stock Linux build crashes on them).
    c = new M.WebSocket('ws://' + BENCH.host + ':' + BENCH.port + BENCH.path, BENCH.options);
    c.on(
      'open',
      timed(function () {
        onOpen();
      }),
    );
    c.on(
      'message',
      timed(function (e) {
        onMessage((e as { data: unknown }).data);
      }),
    );
    c.on('error', function (e) {
      var x = e as { kind: string; code: string; message: string };
      fail('error ' + x.kind + ' ' + x.code + ' ' + x.message);
    });
    c.on(
      'close',
      timed(function () {
        onClose();
      }),
    );
    return {
      send: function (s) {
        return c.send(s);
      },
      close: function () {
        c.close(1000);
      },
    };
  }
  return null;
}
function same(d: unknown): boolean {
  if (typeof payload === 'string') return d === payload;
  var a = d as Uint8Array | null,
    p = payload as Uint8Array,
    i;
  if (!a || a.length !== SIZE) return false;
  for (i = 0; i < SIZE; i++) if (a[i] !== p[i]) return false;
  return true;
}
function medianMs(): number {
  var a = RT.slice(0, count).sort(function (x, y) {
      return x - y;
    }),
    n = a.length;
  return n ? (n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2) : 0;
}
function finish(): void {
  out('after usage=' + usage());
  out('code ' + codeOf(M));
  out('done');
  phase = 3;
  over = true;
  (client as Client).close();
  setTimeout(quit, 500);
}
function memPhase(): void {
  // Sample inside the module's socket writes too, where its frame buffers exist (patched only
  // now: the timed loop runs without the extra call).
  var s: EspruinoSocket, w: EspruinoSocket['write'];
  if (SOCK) {
    s = SOCK;
    w = s.write;
    s.write = function (d) {
      sample();
      return w.call(s, d);
    };
  }
  phase = 2;
  count = 0;
  bad = 0;
  peak = usage();
  last = getTime();
  (client as Client).send(payload as string);
  sample();
}
function endLoop(ms: number): void {
  out(
    'end ms=' +
      ms.toFixed(3) +
      ' median=' +
      medianMs().toFixed(3) +
      ' rounds=' +
      count +
      ' bad=' +
      bad +
      (__BENCH_INSTRUMENT__ ? ' busy=' + (BUSY * 1000).toFixed(3) + ' calls=' + CALLS : ''),
  );
  if (BENCH.memRounds > 0) {
    setTimeout(memPhase, BENCH.settle);
    return;
  }
  payload = null;
  phase = 3;
  setTimeout(finish, BENCH.settle);
}
function onMessage(data: unknown): void {
  var ms: number;
  if (phase !== 1 && phase !== 2) return;
  if (phase === 2) sample();
  if (!same(data)) bad++;
  last = getTime();
  if (phase === 1) {
    RT[count] = (last - tl) * 1000;
    tl = last;
  }
  count++;
  if (phase === 1) {
    if (count < BENCH.rounds) {
      if (!(client as Client).send(payload as string)) fail('send refused');
      return;
    }
    ms = (getTime() - t0) * 1000;
    TRACK = false;
    phase = 1.5;
    // On the next tick: this callback's own time is only added when it returns.
    setTimeout(function () {
      endLoop(ms);
    }, 0);
  } else if (phase === 2) {
    if (count < BENCH.memRounds) {
      (client as Client).send(payload as string);
      sample();
      return;
    }
    out('mem peak=' + peak + ' rounds=' + count + ' bad=' + bad);
    payload = null;
    data = null;
    phase = 3;
    setTimeout(finish, 1);
  }
}
function onOpen(): void {
  out('open usage=' + usage());
  var u: Uint8Array | null = new Uint8Array(SIZE),
    i;
  for (i = 0; i < SIZE; i++) u[i] = BIN ? (i * 7 + 3) & 255 : 32 + ((i * 7 + 3) % 95);
  payload = BIN && typeof M !== 'function' ? u : E.toString(u);
  u = null;
  out('payload usage=' + usage() + ' length=' + payload.length);
  if (__BENCH_INSTRUMENT__) calibrate();
  setTimeout(function () {
    out('begin');
    phase = 1;
    count = 0;
    bad = 0;
    BUSY = 0;
    CALLS = 0;
    TRACK = true;
    t0 = getTime();
    tl = t0;
    last = t0;
    // Wrapped here: the timer's own wrapper saw TRACK off.
    timed(function () {
      if (!(client as Client).send(payload as string)) fail('send refused');
    })();
  }, BENCH.settle);
}
function onClose(): void {
  if (phase === 3) quit();
  else fail('closed during phase ' + phase + ' after ' + count + ' round trips');
}
// An open socket alone does not keep the interpreter running; this also notices a lost echo.
setInterval(function () {
  if ((phase === 1 || phase === 2) && getTime() - last > WATCH) fail('no echo within ' + WATCH * 1000 + ' ms');
}, 1000);
setTimeout(function () {
  var m = PROCESS.memory();
  out('loaded free=' + m.free + ' total=' + m.total + ' usage=' + m.usage + ' blocksize=' + m.blocksize + ' resident=' + RESIDENT);
  client = openClient(onOpen, onMessage, onClose);
  if (client === null) fail('unknown module API: neither a WebSocket export nor a ws-style function');
}, 1);
