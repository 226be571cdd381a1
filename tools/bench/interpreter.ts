/**
 * Interpreter bench (`npm run bench -- interpreter [--quick] [--bin PATH] [--compare FILE]`):
 * the built wsclient.js in a real Espruino interpreter (a Linux build with an ESP32- or
 * ESP8266-like fixed variable pool) against a local `ws` echo server, closed-loop: send one
 * text message, wait for its echo, compare, repeat. Per message size and module it runs the
 * interpreter three times: on the TCP_NODELAY build (wall and CPU time, then JsVars in use after
 * the handshake, with the payload, at the peak, after), on the build as shipped with Nagle on
 * (wall and CPU time), and instrumented (time inside JavaScript, the rest being waiting). The
 * Linux build polls its sockets without sleeping, so its CPU time follows the wall time and
 * the split between computing and waiting comes from the instrumented run. Free JsVars after
 * loading the module are read before any connection.
 *
 * Interpreters come from the environment, never from the repository: ESPRUINO_BIN (or
 * `--bin PATH`), ESPRUINO_BIN_ESP32 and ESPRUINO_BIN_ESP8266. Each is probed for its pool
 * (12-byte JsVars: ESP8266-like, else ESP32-like) and runs that board's bundle. Given only one,
 * a sibling whose name has esp8266 for esp32 (or the reverse) is used for the other pool. A
 * build with TCP_NODELAY (Nagle off) is taken from ESPRUINO_BIN_NODELAY,
 * ESPRUINO_BIN_ESP32_NODELAY, ESPRUINO_BIN_ESP8266_NODELAY, or `<bin>-nodelay` next to it.
 *
 * `--compare FILE` runs another Espruino WebSocket module under the same harness (a module
 * exporting `WebSocket` with this project's API, or one with the API of Espruino's own `ws`
 * module, e.g. an esbuild-minified ws.js) and prints theirs ÷ ours.
 *
 * See tools/bench/interpreter-harness.ts for the script the interpreter runs.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { buildBoard } from '../build';
import { runEspruino } from '../espruino-process';
import { crc32 } from 'node:zlib';
import { estimateResidentVars } from '../memory-estimate';
import { SYNTHETIC_MODULE } from './synthetic-module';
import {
  harnessScript,
  interpreterFailure,
  markerLines,
  parseHarnessOutput,
  probeScript,
  residentScript,
  storageCheckScript,
  storageWriteScripts,
  type HarnessResult,
} from './interpreter-harness';
import { formatNumber, formatRatio, formatSize, formatTable, type BenchContext, type BenchSection } from './report';

export interface InterpreterBenchOptions {
  /** Message sizes echoed as text and as binary, on every pool. */
  sizes: number[];
  /** Timed round trips per text size (the ratios use their median). */
  rounds: Record<number, number>;
  /** Timed round trips per binary size (each echo is checked byte by byte in JavaScript, which the time includes). */
  binaryRounds: number;
  /** Round trips with memory sampling after the timed ones (in one run per size). */
  memRounds: number;
  /** Text sizes also run instrumented (time inside JavaScript). */
  instrumentSizes: number[];
  /**
   * Sizes echoed only on the ESP32-like pool (text and binary), with maxMessageSize and
   * maxBufferedAmount raised to twice the size.
   */
  bigSizes: number[];
  /** A run with no echo for this long fails, ms. */
  echoTimeoutMs: number;
  /** Pause around the timed loop, ms. */
  settleMs: number;
  /** Limit for one interpreter run, ms. */
  runTimeoutMs: number;
}

/** The sizes the issue asks about: empty, short, the 7-bit length's edge (125/126), a socket chunk and more, many chunks. */
export const NORMAL_OPTIONS: InterpreterBenchOptions = {
  sizes: [0, 16, 125, 126, 1000, 8000],
  rounds: { 0: 9, 16: 9, 125: 9, 126: 9, 1000: 9, 8000: 9 },
  binaryRounds: 3,
  memRounds: 3,
  instrumentSizes: [16, 125, 1000, 8000],
  bigSizes: [65536],
  echoTimeoutMs: 60000,
  settleMs: 100,
  runTimeoutMs: 900000,
};

export const QUICK_OPTIONS: InterpreterBenchOptions = {
  ...NORMAL_OPTIONS,
  rounds: { 0: 3, 16: 3, 125: 3, 126: 3, 1000: 3, 8000: 3 },
  binaryRounds: 1,
  memRounds: 1,
  instrumentSizes: [],
};

/** Which pool an interpreter has, from its process.memory(). */
export type PoolKind = 'esp32' | 'esp8266' | 'other';

/** An interpreter binary the bench runs, with how it was found. */
export interface Interpreter {
  bin: string;
  /** e.g. "ESPRUINO_BIN", "--bin", "next to ESPRUINO_BIN". */
  source: string;
}

/** One pool the bench measures: its interpreters and the bundle it runs. */
export interface Pool {
  kind: PoolKind;
  /** "ESP32-like", "ESP8266-like", or "other" with its geometry. */
  label: string;
  /** The board whose bundle runs on this pool. */
  board: 'esp32' | 'esp8266';
  /** The build as shipped (Nagle on), if known. */
  nagle: Interpreter | null;
  /** The same build with TCP_NODELAY, if known. */
  nodelay: Interpreter | null;
  total: number;
  blocksize: number;
  /** Free JsVars in an empty script. */
  freeAtStart: number;
  /** Free JsVars with the harness loaded and an empty module (NaN if unknown). */
  freeWithHarness: number;
}

/** Where a -nodelay build of `bin` would be, and whether `bin` is one. */
export function nodelayPair(bin: string): { nagle: string | null; nodelay: string | null } {
  if (/-nodelay$/.test(bin)) return { nagle: bin.replace(/-nodelay$/, ''), nodelay: bin };
  return { nagle: bin, nodelay: `${bin}-nodelay` };
}

/** The other pool's binary by name: …esp32… ↔ …esp8266… in the file name, or null. */
export function siblingBinary(bin: string): string | null {
  const dir = path.dirname(bin);
  const base = path.basename(bin);
  if (/esp8266/i.test(base))
    return path.join(
      dir,
      base.replace(/esp8266/i, (m) => (m === 'ESP8266' ? 'ESP32' : 'esp32')),
    );
  if (/esp32/i.test(base))
    return path.join(
      dir,
      base.replace(/esp32/i, (m) => (m === 'ESP32' ? 'ESP8266' : 'esp8266')),
    );
  return null;
}

/**
 * The interpreters to probe, in order of preference: explicit ones first (`--bin`,
 * ESPRUINO_BIN, ESPRUINO_BIN_ESP32, ESPRUINO_BIN_ESP8266), then siblings of those by name.
 * `exists` is injectable for tests.
 */
export function interpreterCandidates(
  env: Record<string, string | undefined>,
  bin: string | undefined,
  exists: (file: string) => boolean = existsSync,
): Interpreter[] {
  const explicit: Interpreter[] = [];
  if (bin) explicit.push({ bin, source: '--bin' });
  for (const name of ['ESPRUINO_BIN', 'ESPRUINO_BIN_ESP32', 'ESPRUINO_BIN_ESP8266']) {
    const value = env[name];
    if (value) explicit.push({ bin: value, source: name });
  }
  const out: Interpreter[] = [];
  const seen = new Set<string>();
  const add = (candidate: Interpreter): void => {
    const key = path.resolve(candidate.bin);
    if (seen.has(key)) return;
    seen.add(key);
    out.push(candidate);
  };
  explicit.forEach(add);
  for (const candidate of explicit) {
    const sibling = siblingBinary(candidate.bin);
    if (sibling && exists(sibling)) add({ bin: sibling, source: `next to ${candidate.source}` });
  }
  return out;
}

/** The -nodelay build for `interp`: from the environment, else `<bin>-nodelay` if it exists. */
export function findNodelay(
  interp: Interpreter,
  kind: PoolKind,
  env: Record<string, string | undefined>,
  exists: (file: string) => boolean = existsSync,
): { nagle: Interpreter | null; nodelay: Interpreter | null } {
  const pair = nodelayPair(interp.bin);
  if (pair.nodelay === interp.bin) {
    return { nagle: pair.nagle && exists(pair.nagle) ? { bin: pair.nagle, source: `${interp.source} without -nodelay` } : null, nodelay: interp };
  }
  const perPool = kind === 'other' ? undefined : env[`ESPRUINO_BIN_${kind.toUpperCase()}_NODELAY`];
  if (perPool) return { nagle: interp, nodelay: { bin: perPool, source: `ESPRUINO_BIN_${kind.toUpperCase()}_NODELAY` } };
  if (interp.source === 'ESPRUINO_BIN' && env.ESPRUINO_BIN_NODELAY) {
    return { nagle: interp, nodelay: { bin: env.ESPRUINO_BIN_NODELAY, source: 'ESPRUINO_BIN_NODELAY' } };
  }
  if (pair.nodelay && exists(pair.nodelay)) return { nagle: interp, nodelay: { bin: pair.nodelay, source: `${interp.source} + -nodelay` } };
  return { nagle: interp, nodelay: null };
}

/** The pool a process.memory() describes. */
export function poolKind(blocksize: number): PoolKind {
  if (blocksize === 12) return 'esp8266';
  if (blocksize === 14) return 'esp32';
  return 'other';
}

/** What one interpreter run gave back. */
export interface InterpreterRun {
  output: string;
  /** Exit code; null when killed. */
  code: number | null;
  timedOut: boolean;
  /** The interpreter's CPU time between the `begin` and `end` markers, ms (NaN if unknown). */
  cpuMs: number;
}

/**
 * The CPU time used so far by process `pid`, ms, all its threads (the Linux build has a console
 * thread besides the interpreter's): the sum of /proc/<pid>/task/<tid>/schedstat (ns) where the
 * kernel has it, else utime + stime from /proc/<pid>/stat (clock ticks, 100 per second on
 * Linux). NaN when neither can be read.
 */
export function processCpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
    if (isFinite(ns) && ns > 0) return ns / 1e6;
  } catch {
    // no schedstat (or a thread ended while reading): try stat
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat (utime, stime) are 11 and 12 after the state field.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/**
 * Runs `script` in the interpreter `bin` (see tools/espruino-process.ts), reading its CPU time
 * when the `begin` and `end` markers arrive. A crash (out of memory, an interrupted execution,
 * an internal assert; not an uncaught exception, which the harness reports) ends the run.
 */
export async function runInterpreter(bin: string, script: string, timeoutMs: number, cwd?: string): Promise<InterpreterRun> {
  let cpuBegin = NaN;
  let cpuEnd = NaN;
  // Byte for byte: sources are read as latin1, one char per byte.
  const run = await runEspruino(bin, Buffer.from(script, 'latin1'), {
    timeoutMs,
    cwd,
    onLine: (line, child) => {
      const marker = markerLines(line)[0];
      if (child.pid === undefined || marker === undefined) return;
      if (marker === 'begin') cpuBegin = processCpuMs(child.pid);
      else if (marker.startsWith('end ')) cpuEnd = processCpuMs(child.pid);
    },
    crashed: (output) => interpreterFailure(output) !== '' && !/Uncaught/.test(interpreterFailure(output)),
  });
  return { ...run, cpuMs: cpuEnd - cpuBegin };
}

/** An interpreter's pool: total JsVars, block size, free in an empty script and with only the harness loaded. */
export interface Probe {
  total: number;
  blocksize: number;
  free: number;
  freeWithHarness: number;
}

/** Reads an interpreter's pool (two tiny runs: an empty script, and the harness with an empty module). */
export async function probeInterpreter(bin: string): Promise<Probe> {
  const run = await runInterpreter(bin, await probeScript(), 20000);
  const line = markerLines(run.output).find((l) => l.startsWith('probe '));
  const get = (key: string): number => Number((new RegExp(`${key}=(\\d+)`).exec(line || '') || [])[1]);
  if (!line || !(get('total') > 0)) throw new Error(`could not probe ${bin} (exit code ${run.code}):\n${run.output.slice(-500)}`);
  // The harness alone: the module exports nothing it knows, so it stops after reporting `loaded`.
  const empty = await harnessScript({
    moduleSource: 'exports.none = 1;',
    host: '127.0.0.1',
    port: 9,
    path: '/',
    size: 1,
    rounds: 1,
    memRounds: 0,
    settleMs: 0,
  });
  const harness = parseHarnessOutput((await runInterpreter(bin, empty, 20000)).output);
  return { total: get('total'), blocksize: get('blocksize'), free: get('free'), freeWithHarness: harness.loadedFree };
}

/** Finds and probes the pools: one per kind, the first interpreter found for it. */
export async function findPools(env: Record<string, string | undefined>, bin: string | undefined, log: (line: string) => void): Promise<Pool[]> {
  const pools: Pool[] = [];
  for (const candidate of interpreterCandidates(env, bin)) {
    if (!existsSync(candidate.bin)) {
      log(`${candidate.source}=${candidate.bin} does not exist: skipped`);
      continue;
    }
    let probe: Probe;
    try {
      probe = await probeInterpreter(candidate.bin);
    } catch (error) {
      log(`${candidate.source}=${candidate.bin}: ${(error as Error).message.split('\n')[0]}: skipped`);
      continue;
    }
    const kind = poolKind(probe.blocksize);
    if (pools.some((pool) => pool.kind === kind)) continue;
    const { nagle, nodelay } = findNodelay(candidate, kind, env);
    pools.push({
      kind,
      label: kind === 'esp32' ? 'ESP32-like' : kind === 'esp8266' ? 'ESP8266-like' : `other (${probe.total} vars × ${probe.blocksize} B)`,
      board: kind === 'esp8266' ? 'esp8266' : 'esp32',
      nagle,
      nodelay: nodelay && existsSync(nodelay.bin) ? nodelay : null,
      total: probe.total,
      blocksize: probe.blocksize,
      freeAtStart: probe.free,
      freeWithHarness: probe.freeWithHarness,
    });
  }
  const order: PoolKind[] = ['esp32', 'esp8266', 'other'];
  return pools.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
}

/** A module under test. */
export interface Subject {
  /** "ours" or the compared file's name. */
  name: string;
  /** Its source per board (the same text for both when it is not ours). */
  source: Record<'esp32' | 'esp8266', string>;
  /** Where it came from, for the report. */
  origin: Record<'esp32' | 'esp8266', string>;
}

/** One run's timing. */
export interface Timing {
  wallMsPerRt: number;
  cpuMsPerRt: number;
}

/** One size, measured on one pool for one subject. */
export interface SizeMeasurement {
  size: number;
  /** Binary messages (else text). */
  binary: boolean;
  rounds: number;
  /** Median round trip of the timed loop, ms, on the first build run (TCP_NODELAY where there is one). */
  medianMs: number;
  /** On the build as shipped (Nagle on). */
  nagle: Timing | null;
  /** On the TCP_NODELAY build. */
  nodelay: Timing | null;
  /**
   * The instrumented run (on the TCP_NODELAY build where there is one), per round trip: ms inside
   * JavaScript, and the rest of that run's wall time (NaN when not measured).
   */
  jsMsPerRt: number;
  waitMsPerRt: number;
  /** Wrapped JavaScript callbacks per round trip in that run. */
  callbacksPerRt: number;
  /** JsVars in use: after the handshake, with the payload, peak, after (NaN when not measured). */
  memory: { open: number; payload: number; peak: number; after: number };
  /** Why it failed, or ''. */
  failure: string;
  /** Remarks that do not void the measurement. */
  notes: string[];
}

/** A subject on a pool. */
export interface SubjectResult {
  subject: string;
  origin: string;
  bytes: number;
  /** Free JsVars after loading the module, with the harness, before any connection (NaN if it did not load). */
  loadedFree: number;
  /** JsVars the loaded module holds: in use after require minus before, in one run (NaN if it did not load). */
  resident: number;
  /** Of the loaded module's JsVars, those holding its functions' code, and how many functions (NaN if unknown). */
  codeVars: number;
  codeFunctions: number;
  /** Why the module could not be loaded, or ''. */
  loadFailure: string;
  sizes: SizeMeasurement[];
}

export interface PoolResult {
  pool: Pool;
  subjects: SubjectResult[];
  /** The resident-memory estimate against the interpreter, per module (none when not measured). */
  estimates?: EstimateRow[];
}

/** One module's resident JsVars: estimated from its text (tools/memory-estimate.ts) and measured. */
export interface EstimateRow {
  module: string;
  bytes: number;
  estimate: number;
  /** NaN when the measurement failed (see failure). */
  measured: number;
  failure: string;
}

/** How far the estimate may be from the measured figure: the issue's 20 %. */
export const ESTIMATE_TOLERANCE = 0.2;

/** Measures what the Storage file `name` holds once required (residentScript), on `bin` working in `dir`. */
export async function measureResident(bin: string, dir: string, name: string, timeoutMs = 60000): Promise<{ vars: number; failure: string }> {
  const run = await runInterpreter(bin, await residentScript(name), timeoutMs, dir);
  const line = markerLines(run.output).find((l) => l.startsWith('resident ')) || '';
  const vars = Number((/vars=(-?\d+)/.exec(line) || [])[1]);
  return isFinite(vars) ? { vars, failure: '' } : { vars: NaN, failure: interpreterFailure(run.output) || `no figure (exit code ${run.code})` };
}

/** Explains a failure to load: the module, required from Storage, does not fit beside the harness. */
export function loadFailureHint(failure: string, bytes: number, pool: Pool): string {
  if (!/OUT OF MEMORY/.test(failure)) return failure;
  return (
    `${failure}: the module (${bytes} B in Storage) and the echo harness together need more than the pool's ` +
    `${pool.total} JsVars (the estimate table below has what the module alone holds)`
  );
}

/** The echo server: ws's WebSocketServer on 127.0.0.1, no compression, echoing text as text. */
export async function startEchoServer(): Promise<{ port: number; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, maxPayload: 1 << 20 });
  await new Promise<void>((resolve, reject) => {
    wss.once('listening', () => resolve());
    wss.once('error', reject);
  });
  wss.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
    socket.on('error', () => undefined);
  });
  return {
    port: (wss.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

/**
 * An instrumented run's time per round trip inside JavaScript and outside it, with the wrappers'
 * own cost (calibrated in the run) taken out: each wrapped call added `wrapperMs` to the wall
 * time, `wrapperInsideMs` of it inside the timed window.
 */
export function jsTime(run: HarnessResult): { jsMsPerRt: number; waitMsPerRt: number } {
  const calls = isFinite(run.busyCalls) ? run.busyCalls : 0;
  const inside = isFinite(run.wrapperInsideMs) ? run.wrapperInsideMs : 0;
  const all = isFinite(run.wrapperMs) ? Math.max(run.wrapperMs, inside) : inside;
  const busy = Math.max(0, run.busyMs - calls * inside);
  const wall = Math.max(busy, run.wallMs - calls * all);
  return { jsMsPerRt: busy / run.rounds, waitMsPerRt: (wall - busy) / run.rounds };
}

/** A measurement with nothing measured yet. */
function emptyMeasurement(size: number, binary: boolean, rounds: number): SizeMeasurement {
  return {
    size,
    binary,
    rounds,
    medianMs: NaN,
    nagle: null,
    nodelay: null,
    jsMsPerRt: NaN,
    waitMsPerRt: NaN,
    callbacksPerRt: NaN,
    memory: { open: NaN, payload: NaN, peak: NaN, after: NaN },
    failure: '',
    notes: [],
  };
}

/** The messages measured on a pool: every size as text then binary, and the big ones on the ESP32-like pool. */
export function casesFor(pool: Pool, options: InterpreterBenchOptions): { size: number; binary: boolean; big: boolean }[] {
  const cases: { size: number; binary: boolean; big: boolean }[] = [];
  for (const binary of [false, true]) for (const size of options.sizes) cases.push({ size, binary, big: false });
  if (pool.kind === 'esp32') for (const binary of [false, true]) for (const size of options.bigSizes) cases.push({ size, binary, big: true });
  return cases;
}

/** Measures one subject on one pool, message by message; the subject is already in Storage (`storage`). */
async function measureSubject(
  pool: Pool,
  subject: Subject,
  storage: string,
  dir: string,
  port: number,
  options: InterpreterBenchOptions,
  log: (line: string) => void,
): Promise<SubjectResult> {
  const source = subject.source[pool.board];
  const result: SubjectResult = {
    subject: subject.name,
    origin: subject.origin[pool.board],
    bytes: Buffer.byteLength(source, 'latin1'),
    loadedFree: NaN,
    resident: NaN,
    codeVars: NaN,
    codeFunctions: NaN,
    loadFailure: '',
    sizes: [],
  };
  // Memory in the first run of each message (Nagle off where available); the instrumented run on the same build.
  const primary = pool.nodelay || pool.nagle;
  if (primary === null) throw new Error(`no interpreter for the ${pool.label} pool`);
  // A module that never echoes one type (Espruino's ws drops binary) or hangs would do so at every
  // size: after the first, the rest of that type is skipped rather than waited for.
  const stuck: { [type: string]: string } = {};
  for (const { size, binary, big } of casesFor(pool, options)) {
    const rounds = big ? 1 : binary ? options.binaryRounds : (options.rounds[size] ?? 9);
    const measurement = emptyMeasurement(size, binary, rounds);
    const type = binary ? 'binary' : 'text';
    if (stuck[type]) {
      measurement.failure = `skipped: ${stuck[type]}`;
      result.sizes.push(measurement);
      continue;
    }
    const plan: { interp: Interpreter; kind: 'nodelay' | 'nagle' | 'js'; memRounds: number }[] = [];
    const memRounds = big ? 1 : options.memRounds;
    if (pool.nodelay) plan.push({ interp: pool.nodelay, kind: 'nodelay', memRounds });
    if (pool.nagle) plan.push({ interp: pool.nagle, kind: 'nagle', memRounds: pool.nodelay ? 0 : memRounds });
    if (!binary && !big && options.instrumentSizes.includes(size)) plan.push({ interp: primary, kind: 'js', memRounds: 0 });
    for (const step of plan) {
      const script = await harnessScript({
        moduleSource: '',
        storage,
        host: '127.0.0.1',
        port,
        path: '/echo',
        size,
        rounds,
        memRounds: step.memRounds,
        settleMs: options.settleMs,
        instrument: step.kind === 'js',
        binary,
        echoTimeoutMs: options.echoTimeoutMs,
        clientOptions: big ? { maxMessageSize: 2 * size, maxBufferedAmount: 2 * size } : undefined,
      });
      const run = await runInterpreter(step.interp.bin, script, options.runTimeoutMs, dir);
      const parsed: HarnessResult = parseHarnessOutput(run.output, run.code, run.timedOut);
      if (isNaN(result.loadedFree) && !isNaN(parsed.loadedFree) && step.kind !== 'js') {
        result.loadedFree = parsed.loadedFree;
        result.resident = parsed.resident;
      }
      if (isNaN(result.codeVars) && !isNaN(parsed.codeVars)) {
        result.codeVars = parsed.codeVars;
        result.codeFunctions = parsed.codeFunctions;
      }
      if (parsed.failure) {
        if (isNaN(parsed.loadedFree) && step.kind !== 'js') {
          result.loadFailure = loadFailureHint(parsed.failure, result.bytes, pool);
          return result;
        }
        if (step.kind === 'js') {
          measurement.notes.push(
            isNaN(parsed.loadedFree) && /OUT OF MEMORY/.test(parsed.failure)
              ? 'js, wait not measured: the instrumented harness does not fit in memory next to the module'
              : `js, wait not measured: the instrumented run failed: ${parsed.failure}`,
          );
          continue;
        }
        measurement.failure = parsed.failure;
        if (run.timedOut || /^no echo/.test(parsed.failure)) stuck[type] = `${caseName(measurement)}: ${parsed.failure}`;
        // What was measured before the failure still says something (e.g. the peak before running out of memory).
        measurement.memory = { open: parsed.usageOpen, payload: parsed.usagePayload, peak: NaN, after: NaN };
        break;
      }
      const timing = { wallMsPerRt: parsed.wallMs / parsed.rounds, cpuMsPerRt: run.cpuMs / parsed.rounds };
      if (step.kind === 'js') {
        const js = jsTime(parsed);
        measurement.jsMsPerRt = js.jsMsPerRt;
        measurement.waitMsPerRt = js.waitMsPerRt;
        measurement.callbacksPerRt = parsed.busyCalls / parsed.rounds;
      } else {
        measurement[step.kind] = timing;
        if (isNaN(measurement.medianMs)) measurement.medianMs = parsed.medianMs;
      }
      if (step.memRounds > 0) {
        measurement.memory = { open: parsed.usageOpen, payload: parsed.usagePayload, peak: parsed.usagePeak, after: parsed.usageAfter };
      }
    }
    result.sizes.push(measurement);
    log(`  ${pool.label} ${subject.name} ${caseName(measurement)}: ${measurement.failure ? `FAILED: ${measurement.failure}` : 'done'}`);
  }
  return result;
}

/** "16B text", "8000B binary". */
export function caseName(m: { size: number; binary: boolean }): string {
  return `${formatSize(m.size)} ${m.binary ? 'binary' : 'text'}`;
}

/**
 * Writes `source` to the Storage file `name` of the interpreter working in `dir`, one run per
 * chunk (see storageWriteScripts), and checks length and CRC32 of what Storage then holds.
 * @throws Error naming the file and the chunk when a run fails, or the mismatch.
 */
export async function writeToStorage(bin: string, dir: string, name: string, source: string, timeoutMs = 60000): Promise<void> {
  const scripts = await storageWriteScripts(name, source);
  for (const [i, script] of scripts.entries()) {
    const run = await runInterpreter(bin, script, timeoutMs, dir);
    if (!markerLines(run.output).some((l) => l.startsWith('wrote '))) {
      throw new Error(`writing ${name} to Storage: chunk ${i + 1} of ${scripts.length} failed: ${interpreterFailure(run.output) || run.output.slice(-300)}`);
    }
  }
  const check = await runInterpreter(bin, await storageCheckScript(name), timeoutMs, dir);
  const line = markerLines(check.output).find((l) => l.startsWith('stored ')) || '';
  const expected = `stored length=${source.length} crc=${crc32(Buffer.from(source, 'latin1'))}`;
  if (line !== expected) throw new Error(`writing ${name} to Storage: read back "${line}", expected "${expected}"`);
}

/** Runs every subject on every pool: each pool in a folder of its own, the subjects in its Storage. */
export async function runInterpreterBench(
  pools: Pool[],
  subjects: Subject[],
  options: InterpreterBenchOptions,
  progress: (line: string) => void = () => {},
): Promise<PoolResult[]> {
  const server = await startEchoServer();
  try {
    const results: PoolResult[] = [];
    for (const pool of pools) {
      const dir = mkdtempSync(path.join(tmpdir(), `wsclient-bench-${pool.kind}-`));
      try {
        const entry: PoolResult = { pool, subjects: [], estimates: [] };
        const bin = (pool.nodelay || pool.nagle)!.bin;
        const estimated: { module: string; name: string; source: string }[] = [];
        for (const [i, subject] of subjects.entries()) {
          const name = `bench${i}`;
          progress(`  ${pool.label}: writing ${subject.name} to Storage as "${name}"`);
          await writeToStorage(bin, dir, name, subject.source[pool.board]);
          estimated.push({ module: subject.name === 'ours' ? `wsclient.js (${pool.board})` : subject.name, name, source: subject.source[pool.board] });
          entry.subjects.push(await measureSubject(pool, subject, name, dir, server.port, options, progress));
        }
        // The estimate against the interpreter: each subject, and a module shaped unlike them.
        await writeToStorage(bin, dir, 'benchsyn', SYNTHETIC_MODULE);
        estimated.push({ module: 'synthetic (tables, a class)', name: 'benchsyn', source: SYNTHETIC_MODULE });
        for (const e of estimated) {
          const measured = await measureResident(bin, dir, e.name);
          entry.estimates!.push({
            module: e.module,
            bytes: Buffer.byteLength(e.source, 'latin1'),
            estimate: estimateResidentVars(e.source, pool.blocksize, e.module).vars,
            measured: measured.vars,
            failure: measured.failure,
          });
        }
        results.push(entry);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    return results;
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------- report

const fmt = (value: number): string => (isFinite(value) ? formatNumber(value) : '-');
const fmtInt = (value: number): string => (isFinite(value) ? String(Math.round(value)) : '-');

/** Wall ms per round trip on the build the js column was measured on: TCP_NODELAY where there is one. */
function primaryWall(m: SizeMeasurement | undefined): number {
  if (!m || m.failure) return NaN;
  const timing = m.nodelay || m.nagle;
  return timing ? timing.wallMsPerRt : NaN;
}

/** The median round trip, NaN for a failed or missing measurement. */
function medianOf(m: SizeMeasurement | undefined): number {
  return !m || m.failure ? NaN : m.medianMs;
}

/** The same message (size and type) in another subject's results. */
function sameCase(result: SubjectResult, m: { size: number; binary: boolean }): SizeMeasurement | undefined {
  return result.sizes.find((x) => x.size === m.size && x.binary === m.binary);
}

/**
 * JsVars the loaded module holds: measured in the run, around require (`resident`); for
 * results without it, free with the harness alone minus free with the harness and the module.
 */
export function libraryVars(result: SubjectResult, pool: Pool): number {
  return isFinite(result.resident) ? result.resident : pool.freeWithHarness - result.loadedFree;
}

/**
 * JsVars the loaded module would hold on a board that runs it from Storage: there each
 * function's code stays in memory-mapped flash, one JsVar referring to it. Loaded from Storage
 * (as the bench does), that is what was measured; loaded from the script, the code copies
 * found by the harness's code walk (tools/board-scripts/bench-harness.ts) come out.
 */
export function inFlashVars(result: SubjectResult, pool: Pool): number {
  if (isFinite(result.codeVars) && result.codeVars === result.codeFunctions) return libraryVars(result, pool);
  return libraryVars(result, pool) - result.codeVars + result.codeFunctions;
}

/** Timing and memory tables for one subject on one pool. */
export function formatSubject(result: SubjectResult, pool: Pool): string[] {
  const cost = libraryVars(result, pool);
  const lines = [
    `${result.subject}: ${result.origin}, ${result.bytes} B, required from Storage` +
      (isFinite(result.loadedFree)
        ? `; resident ${fmtInt(cost)} vars: ${fmtInt(pool.freeAtStart - cost)} of ${pool.total} free in an otherwise empty program ` +
          `(${result.loadedFree} with the harness loaded too)`
        : ''),
  ];
  if (isFinite(result.loadedFree) && isFinite(result.codeVars)) {
    lines.push(`  its ${fmtInt(result.codeFunctions)} functions hold ${fmtInt(result.codeVars)} vars of code (one per function: the code stays in flash)`);
  }
  if (result.loadFailure) return [...lines, `  FAILED to load: ${result.loadFailure}`];
  const timingRows = result.sizes.map((m) => [
    caseName(m),
    String(m.rounds),
    fmt(m.medianMs),
    fmt(m.nagle ? m.nagle.wallMsPerRt : NaN),
    fmt(m.nodelay ? m.nodelay.wallMsPerRt : NaN),
    fmt(m.nagle ? m.nagle.cpuMsPerRt : m.nodelay ? m.nodelay.cpuMsPerRt : NaN),
    fmt(m.jsMsPerRt),
    fmt(m.waitMsPerRt),
    fmt(m.callbacksPerRt),
    fmtInt(m.memory.open),
    fmtInt(m.memory.peak),
    fmtInt(m.memory.peak - m.memory.open),
    fmtInt(isFinite(m.memory.peak) ? pool.total - m.memory.peak : NaN),
  ]);
  lines.push(
    ...formatTable(
      ['message', 'N', 'median', 'mean Nagle', 'mean nodelay', 'cpu', 'js', 'wait', 'callbacks', 'vars open', 'peak', 'peak-open', 'free at peak'],
      timingRows,
    ).map((l) => `  ${l}`),
  );
  for (const m of result.sizes) if (m.failure) lines.push(`  ${caseName(m)}: FAILED: ${m.failure}`);
  // Notes, each once, with the messages they concern.
  const notes: string[] = [];
  for (const m of result.sizes) for (const note of m.notes) if (!notes.includes(note)) notes.push(note);
  for (const note of notes) {
    const sizes = result.sizes.filter((m) => m.notes.includes(note)).map(caseName);
    lines.push(`  ${sizes.length === result.sizes.length ? 'every message' : sizes.join(', ')}: ${note}`);
  }
  return lines;
}

/** theirs ÷ ours, NaN unless both are finite and positive. */
function ratio(theirs: number, ours: number): number {
  return isFinite(theirs) && isFinite(ours) && ours > 0 && theirs > 0 ? theirs / ours : NaN;
}
const fmtRatio = (value: number): string => (isFinite(value) ? formatRatio(value) : '-');

/** The comparison table: theirs ÷ ours per message (above 1: ours is faster, or uses fewer JsVars). */
export function formatComparison(ours: SubjectResult, theirs: SubjectResult): string[] {
  const lines = [`ours vs ${theirs.subject} (theirs ÷ ours: above 1, ours is faster or uses fewer JsVars):`];
  if (ours.loadFailure || theirs.loadFailure) return [...lines, `  no comparison: ${ours.loadFailure ? 'ours' : theirs.subject} did not load`];
  const rows = ours.sizes.map((o) => {
    const t = sameCase(theirs, o);
    const get = (m: SizeMeasurement | undefined, pick: (m: SizeMeasurement) => number): number => (m && !m.failure ? pick(m) : NaN);
    return [
      caseName(o),
      fmtRatio(ratio(medianOf(t), medianOf(o))),
      fmtRatio(ratio(primaryWall(t), primaryWall(o))),
      fmtRatio(
        ratio(
          get(t, (m) => m.jsMsPerRt),
          get(o, (m) => m.jsMsPerRt),
        ),
      ),
      fmtRatio(
        ratio(
          get(t, (m) => m.memory.peak),
          get(o, (m) => m.memory.peak),
        ),
      ),
      fmtRatio(
        ratio(
          get(t, (m) => m.memory.peak - m.memory.open),
          get(o, (m) => m.memory.peak - m.memory.open),
        ),
      ),
      o.failure || !t || t.failure
        ? `${o.failure ? 'ours failed' : ''}${o.failure && (!t || t.failure) ? ', ' : ''}${!t ? `${theirs.subject} not run` : t.failure ? `${theirs.subject} failed` : ''}`
        : '',
    ];
  });
  lines.push(...formatTable(['message', 'median', 'mean', 'js', 'peak vars', 'peak-open vars', 'note'], rows).map((l) => `  ${l}`));
  return lines;
}

/** `interpreter ESP32-like 16B text: ours 5.1 ms/rt, ws.min.js 2.4 ms/rt, ratio 0.47` (theirs ÷ ours, medians). */
export function summaryLines(results: PoolResult[]): string[] {
  const lines: string[] = [];
  for (const { pool, subjects } of results) {
    const [ours, ...others] = subjects;
    // A pool whose results hold no subject (a caller that only measured estimates) has nothing to summarise.
    if (!ours) continue;
    if (ours.loadFailure) lines.push(`interpreter ${pool.label}: ours FAILED to load (${ours.loadFailure.split(':')[0]})`);
    for (const m of ours.sizes) {
      let line = `interpreter ${pool.label} ${caseName(m)}: ours ${m.failure ? 'FAILED' : `${fmt(medianOf(m))} ms/rt`}`;
      for (const other of others) {
        const t = sameCase(other, m);
        line += `, ${other.subject} ${other.loadFailure || !t || t.failure ? 'FAILED' : `${fmt(medianOf(t))} ms/rt`}, ratio ${fmtRatio(ratio(medianOf(t), medianOf(m)))}`;
      }
      lines.push(line);
    }
  }
  return lines;
}

/** One row of the targets table. */
export interface TargetRow {
  target: string;
  measured: string;
  /** null: not measured. */
  pass: boolean | null;
}

/** The issue's speed targets: theirs ÷ ours, median round trip, text, on the ESP32-like pool. */
export const SPEED_TARGETS: [number, number][] = [
  [16, 2],
  [125, 5],
  [1000, 15],
  [8000, 40],
];
/** Resident JsVars after require from Storage, both boards. */
export const RESIDENT_TARGET = 400;
/** The big echo's peak above the idle connection, in copies of the message. */
export const BIG_COPIES_TARGET = 2.2;

/** JsVars a message of `size` bytes takes as one flat string or buffer: its bytes over the block size, plus the header var. */
export function messageVars(size: number, blocksize: number): number {
  return Math.ceil(size / blocksize) + 1;
}

/**
 * The issue's targets, judged on what was measured (printed, never asserted): speed ratios
 * against the compared module (ESP32-like, text, median), resident vars (every pool), every
 * echo on the ESP8266-like pool, the big echo's peak on the ESP32-like pool.
 */
export function targetRows(result: PoolResult): TargetRow[] {
  const [ours, theirs] = result.subjects;
  const { pool } = result;
  if (!ours) throw new Error(`targetRows: the ${pool.label} pool has no results; ours must come first in its subjects`);
  const rows: TargetRow[] = [];
  const resident = ours.loadFailure ? NaN : libraryVars(ours, pool);
  rows.push({
    target: `wsclient resident after require ≤ ${RESIDENT_TARGET} vars`,
    measured: ours.loadFailure ? `did not load (${ours.loadFailure.split(':')[0]})` : `${fmtInt(resident)} vars`,
    pass: ours.loadFailure ? false : isFinite(resident) ? resident <= RESIDENT_TARGET : null,
  });
  if (pool.kind === 'esp32') {
    for (const [size, factor] of SPEED_TARGETS) {
      const o = ours.sizes.find((m) => m.size === size && !m.binary);
      const t = theirs ? sameCase(theirs, { size, binary: false }) : undefined;
      const r = ratio(medianOf(t), medianOf(o));
      rows.push({
        target: `${formatSize(size)} text ≥ ${factor}× ${theirs ? theirs.subject : 'the compared module'} (median)`,
        measured: !theirs
          ? 'needs --compare FILE'
          : isFinite(r)
            ? `${formatRatio(r)}× (ours ${fmt(medianOf(o))} ms, theirs ${fmt(medianOf(t))} ms)`
            : `not measured${o && o.failure ? ': ours failed' : ''}${t && t.failure ? `: ${theirs.subject} failed` : ''}`,
        pass: isFinite(r) ? r >= factor : o && o.failure ? false : null,
      });
    }
    for (const m of ours.sizes.filter((x) => x.size >= 65536)) {
      const copies = (m.memory.peak - m.memory.open) / messageVars(m.size, pool.blocksize);
      rows.push({
        target: `${caseName(m)} echo, peak ≤ ${BIG_COPIES_TARGET} copies above idle`,
        measured: m.failure
          ? `failed: ${m.failure}`
          : `${formatRatio(copies)} copies (${fmtInt(m.memory.peak - m.memory.open)} vars above ${fmtInt(m.memory.open)})`,
        pass: m.failure ? false : isFinite(copies) ? copies <= BIG_COPIES_TARGET : null,
      });
    }
  } else if (pool.kind === 'esp8266') {
    const echoes = ours.sizes.filter((m) => m.size < 65536);
    const failed = echoes.filter((m) => m.failure);
    rows.push({
      target: 'every echo (0–8000 B, text and binary), every byte checked',
      measured: ours.loadFailure
        ? 'library did not load'
        : echoes.length === 0
          ? 'not measured'
          : failed.length
            ? `failed: ${failed.map(caseName).join(', ')}`
            : `${echoes.length} messages matched`,
      pass: ours.loadFailure ? false : echoes.length === 0 ? null : failed.length === 0,
    });
  }
  return rows;
}

/** The targets as a table with a PASS/FAIL column. */
export function targetLines(result: PoolResult): string[] {
  const rows = targetRows(result).map((r) => [r.target, r.measured, r.pass === null ? 'NOT MEASURED' : r.pass ? 'PASS' : 'FAIL']);
  return formatTable(['target', 'measured', 'result'], rows).map((l) => `  ${l}`);
}

/** The estimate-vs-measured table, every pool's rows, with the error and whether it is within ESTIMATE_TOLERANCE. */
export function estimateLines(results: PoolResult[]): string[] {
  const rows: string[][] = [];
  for (const { pool, estimates } of results) {
    for (const e of estimates || []) {
      const error = (e.estimate - e.measured) / e.measured;
      rows.push([
        pool.label,
        e.module,
        String(e.bytes),
        String(e.estimate),
        isFinite(e.measured) ? String(e.measured) : `failed: ${e.failure}`,
        isFinite(error) ? `${error >= 0 ? '+' : ''}${(error * 100).toFixed(1)}%` : '-',
        isFinite(error) ? (Math.abs(error) <= ESTIMATE_TOLERANCE ? 'PASS' : 'FAIL') : 'NOT MEASURED',
      ]);
    }
  }
  if (rows.length === 0) return [];
  return [
    `resident JsVars after require from Storage: estimate (tools/memory-estimate.ts, as npm run build prints it) vs measured, within ${ESTIMATE_TOLERANCE * 100}%:`,
    ...formatTable(['pool', 'module', 'bytes', 'estimate', 'measured', 'error', 'within'], rows).map((l) => `  ${l}`),
  ];
}

/** The whole report for the section. */
export function formatReport(results: PoolResult[]): string[] {
  const lines: string[] = [];
  for (const result of results) {
    const { pool } = result;
    lines.push(`${pool.label} pool (${pool.total} vars × ${pool.blocksize} B), ${pool.board} bundle:`);
    if (pool.nagle) lines.push(`  Nagle on (as shipped): ${pool.nagle.bin} (${pool.nagle.source})`);
    if (pool.nodelay) lines.push(`  TCP_NODELAY:           ${pool.nodelay.bin} (${pool.nodelay.source})`);
    else lines.push('  no TCP_NODELAY build found (ESPRUINO_BIN_NODELAY or <bin>-nodelay): "nodelay" columns empty');
    for (const subject of result.subjects) lines.push(...formatSubject(subject, pool).map((l) => `  ${l}`));
    const [ours, ...others] = result.subjects;
    if (ours) for (const other of others) lines.push(...formatComparison(ours, other).map((l) => `  ${l}`));
    lines.push('  targets:');
    lines.push(...targetLines(result));
    lines.push('');
  }
  const estimates = estimateLines(results);
  if (estimates.length > 0) lines.push(...estimates, '');
  lines.push(...summaryLines(results));
  return lines;
}

/** Explains the columns (printed before the tables). */
export const LEGEND = [
  "Interpreters run with ESPRUINO_NO_SLEEP=1 (their idle loop polls rather than sleeps). Each module is written to the interpreter's Storage (espruino.flash in a scratch folder, ~1.5 KB per run) and",
  "required from there, as on a board: its functions' code stays in flash. Closed loop against ws's WebSocketServer on",
  '127.0.0.1 (perMessageDeflate off): send one message, wait for its echo, compare every byte, repeat N times. Times are ms',
  'per round trip on this host running the interpreter: a 240 MHz ESP32 is many times slower, so compare ratios.',
  '  resident: JsVars in use after require minus before (both garbage collected, same run)',
  '  median: the median round trip of the timed loop; mean Nagle / nodelay: its mean on each build',
  "  cpu: the interpreter's CPU time (/proc) per round trip",
  '  js, wait, callbacks: a separate run with every JavaScript callback wrapped and timed: js is the time inside',
  '  JavaScript, wait the rest (network, echo server, event loop), callbacks how many ran per round trip',
  '  vars open: JsVars in use after the handshake; peak: the most in use during the memory loop (sampled after every',
  "  send and receive and inside every socket write); free at peak: the pool's total minus that",
];

/** The `interpreter` section of `npm run bench`. */
export const interpreterSection: BenchSection = {
  name: 'interpreter',
  title: 'Interpreter: wsclient.js in Espruino Linux builds, required from Storage, closed-loop echo',
  run(context: BenchContext): Promise<void> {
    return runInterpreterSection(context, process.env);
  },
};

/** The section with the environment passed in (the interpreters are found there). */
export async function runInterpreterSection(context: BenchContext, env: Record<string, string | undefined>): Promise<void> {
  const { log } = context;
  const flags = context.flags || {};
  if (!flags.bin && !env.ESPRUINO_BIN && !env.ESPRUINO_BIN_ESP32 && !env.ESPRUINO_BIN_ESP8266) {
    log('skipped: no Espruino interpreter. Set ESPRUINO_BIN (and optionally ESPRUINO_BIN_ESP32 / ESPRUINO_BIN_ESP8266),');
    log('or pass --bin PATH, pointing at an Espruino Linux build (see tools/bench/interpreter.ts).');
    return;
  }
  // The idle-poll switch of the bench's interpreter builds: without it the Linux build sleeps in
  // its idle loop and a round trip waits for the next wake-up, which is not what a board does.
  if (process.env.ESPRUINO_NO_SLEEP === undefined) process.env.ESPRUINO_NO_SLEEP = '1';
  const pools = await findPools(env, flags.bin, log);
  if (pools.length === 0) {
    log('skipped: none of the interpreters given could be run.');
    return;
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'wsclient-bench-'));
  try {
    const ours: Subject = { name: 'ours', source: { esp32: '', esp8266: '' }, origin: { esp32: '', esp8266: '' } };
    const subjects: Subject[] = [ours];
    for (const board of ['esp32', 'esp8266'] as const) {
      if (!pools.some((pool) => pool.board === board)) continue;
      const build = await buildBoard(board, scratch);
      const file = build.bundles[0].file;
      ours.source[board] = readFileSync(file, 'latin1');
      ours.origin[board] = `wsclient.js built for ${board}`;
    }
    if (flags.compare) {
      const source = readFileSync(flags.compare, 'latin1');
      const name = path.basename(flags.compare);
      subjects.push({ name, source: { esp32: source, esp8266: source }, origin: { esp32: flags.compare, esp8266: flags.compare } });
    }
    const options = context.quick ? QUICK_OPTIONS : NORMAL_OPTIONS;
    for (const line of LEGEND) log(line);
    log(
      `ws ${wsVersion()}; sizes ${options.sizes.map(formatSize).join(', ')} text and binary ` +
        `(N ${options.sizes.map((s) => options.rounds[s]).join('/')} text, ${options.binaryRounds} binary), ` +
        `${options.bigSizes.map(formatSize).join(', ')} on the ESP32-like pool with limits raised; ` +
        `memory sampled over ${options.memRounds} more round trips.`,
    );
    if (!flags.compare) log("No --compare FILE (e.g. an esbuild-minified copy of Espruino's modules/ws.js): no ratios.");
    log('');
    const results = await runInterpreterBench(pools, subjects, options, log);
    log('');
    for (const line of formatReport(results)) log(line);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The installed ws version. */
function wsVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('ws/package.json') as { version: string }).version;
  } catch {
    return '(unknown version)';
  }
}
