/**
 * The scripts the interpreter bench runs in an Espruino Linux build, and the parser of what they
 * print. Nothing here starts a process (see tools/bench/interpreter.ts). The scripts' code is
 * in tools/board-scripts/ (bench-*.ts), type-checked and gated like the firmware; here they get
 * their settings.
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
 *    functions (codeOf in the harness). Last, because the walk leaves a few JsVars behind.
 * With `instrument`, `calib` first reports what one wrapper costs, and `end` also reports `busy`
 * (ms spent inside JavaScript during the timed loop) and `calls` (wrapped callbacks that ran).
 * Every marker line is `IBENCH <name> key=value…` (the console also prints a banner, prompts
 * and escape codes around them).
 */

import type { BenchSettings } from '../board-scripts/bench-harness.ts';
import { boardScript } from '../build-board-scripts.ts';

/** The prefix of every line the scripts print (written out in tools/board-scripts/bench-*.ts). */
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

/** The name the module under test is cached as (when it is not in Storage). */
const MODULE_NAME = 'bench_subject';

/** A Storage file name as Espruino takes it. */
const STORAGE_NAME = /^[A-Za-z0-9_.]{1,24}$/;

/**
 * The interpreter script for one measurement: `var BENCH={…};` (the settings), then
 * tools/board-scripts/bench-harness.ts as built for Espruino (minified: the script's text sits
 * in JsVars while it runs, the ESP8266-like pool has ~20 KB, and Espruino lexes a function's
 * text each time it runs). Unless the module is in Storage, the module comes first, as it is,
 * in `Modules.addCached`; the harness requires it after installing its wrappers.
 */
export async function harnessScript(options: HarnessOptions): Promise<string> {
  const { host, port, path, size, rounds, memRounds, settleMs } = options;
  const echoTimeoutMs = options.echoTimeoutMs ?? 10000;
  for (const [name, value] of Object.entries({ size, rounds, memRounds, settleMs, port, echoTimeoutMs })) {
    if (!(Number.isInteger(value) && value >= 0)) throw new Error(`harnessScript: ${name} must be a whole number, got ${value}`);
  }
  if (rounds < 1) throw new Error('harnessScript: rounds must be at least 1');
  if (!path.startsWith('/')) throw new Error(`harnessScript: path must start with '/', got ${path}`);
  if (options.storage !== undefined && !STORAGE_NAME.test(options.storage)) {
    throw new Error(`harnessScript: storage must be a Storage file name (1-24 letters, digits, _ or .), got ${options.storage}`);
  }
  const clientOptions = options.clientOptions || {};
  for (const [name, value] of Object.entries(clientOptions)) {
    if (!/^[A-Za-z]+$/.test(name) || !Number.isFinite(value)) throw new Error(`harnessScript: clientOptions.${name} must be a number, got ${value}`);
  }
  const settings: BenchSettings = {
    module: options.storage ?? MODULE_NAME,
    host,
    port,
    path,
    size,
    rounds,
    memRounds,
    settle: settleMs,
    binary: options.binary === true,
    watch: echoTimeoutMs / 1000,
    options: { pingInterval: 0, ...clientOptions },
  };
  const harness = await boardScript('bench-harness', { __BENCH_INSTRUMENT__: options.instrument ? 'true' : 'false' });
  const script = `var BENCH=${JSON.stringify(settings)};\n${harness}\n`;
  if (options.storage !== undefined) return script;
  return `Modules.addCached(${JSON.stringify(MODULE_NAME)},function(){\n${options.moduleSource}\n});\n${script}`;
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
 * run each (tools/board-scripts/bench-storage-write.ts): the first creates the file at its full
 * size, the rest fill it in at their offsets, so no run holds more than one chunk. Each prints
 * `IBENCH wrote offset=…`.
 */
export async function storageWriteScripts(name: string, source: string, chunk = STORAGE_CHUNK): Promise<string[]> {
  if (!STORAGE_NAME.test(name)) throw new Error(`storageWriteScripts: name must be a Storage file name, got ${name}`);
  if (source.length === 0) throw new Error('storageWriteScripts: source is empty');
  const write = await boardScript('bench-storage-write');
  const scripts: string[] = [];
  for (let offset = 0; offset < source.length; offset += chunk) {
    const data = byteStringLiteral(source.slice(offset, offset + chunk));
    scripts.push(`var STORE={"name":${JSON.stringify(name)},"offset":${offset},"size":${source.length},"data":${data}};\n${write}\n`);
  }
  return scripts;
}

/**
 * A script printing `IBENCH stored length=… crc=…` of a Storage file (crc: E.CRC32, as zlib's
 * crc32; tools/board-scripts/bench-storage-check.ts).
 */
export async function storageCheckScript(name: string): Promise<string> {
  if (!STORAGE_NAME.test(name)) throw new Error(`storageCheckScript: name must be a Storage file name, got ${name}`);
  return `var STORE=${JSON.stringify({ name })};\n${await boardScript('bench-storage-check')}\n`;
}

/** A script printing `IBENCH probe total=… blocksize=… free=…`: the pool of an otherwise empty program (bench-probe.ts). */
export async function probeScript(): Promise<string> {
  return `${await boardScript('bench-probe')}\n`;
}

/**
 * A script that only requires the Storage file `name` and prints `IBENCH resident vars=… free=…`
 * (tools/board-scripts/bench-resident.ts): JsVars in use after require minus before (both
 * garbage collected). Small enough to run where the echo harness does not fit beside the module.
 */
export async function residentScript(name: string): Promise<string> {
  if (!STORAGE_NAME.test(name)) throw new Error(`residentScript: name must be a Storage file name, got ${name}`);
  return `var BENCH=${JSON.stringify({ module: name })};\n${await boardScript('bench-resident')}\n`;
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
  /** JsVars of the loaded module's function code, and how many functions (codeOf in the harness; NaN if not reported). */
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
