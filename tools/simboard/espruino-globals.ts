/**
 * Espruino's own globals: E, print, console, getTime, peek/poke, btoa/atob, and Math.random
 * wired to the board's rand() (random.ts).
 *
 * Known difference: on the chip `E.toString(u8)` of a whole Uint8Array returns the array's
 * backing store itself, so later writes to the array change the "string". JavaScript strings
 * are immutable, so here it is always a copy.
 */
import { randomBytes } from 'node:crypto';
import { collectBytes, latin1Bytes, latin1String } from './bytes.ts';
import type { BoardMemory } from './memory.ts';
import type { BoardRealm, BoardValue } from './context.ts';
import { formatArgument } from './format.ts';
import type { BoardProfile } from './profile.ts';
import type { EspruinoRandom } from './random.ts';
import { type BoardSensors, now } from './sensors.ts';

/** What peek32 of the RNG register returns when `rngWorks` is false. */
export const STUCK_RNG_VALUE = 0x00000000;

/** What the globals need. */
export interface GlobalsDeps {
  realm: BoardRealm;
  profile: BoardProfile;
  random: EspruinoRandom;
  sensors: BoardSensors;
  rngWorks: boolean;
  /** The board's JsVar accounting: process.memory(), E.getErrorFlags(), allocations by E.toString / E.toUint8Array. */
  memory: BoardMemory;
  /** Writes one console line (board text, 8-bit). */
  print(line: string): void;
}

/** Defines E, print, console, getTime, peek/poke, btoa/atob and Math.random on the board. */
export function installEspruinoGlobals(deps: GlobalsDeps): void {
  const { realm, random } = deps;
  const g = realm.global;

  const log = (...args: unknown[]) => deps.print(args.map(formatArgument).join(' '));
  realm.defineGlobal('print', realm.fn(log));
  const boardConsole = realm.object();
  realm.methods(boardConsole, { log, info: log, warn: log, error: log, debug: log });
  realm.defineGlobal('console', boardConsole);

  realm.methods(g.Math, { random: () => random.float() });
  realm.defineGlobal(
    'getTime',
    realm.fn(() => now()),
  );
  realm.defineGlobal(
    'peek32',
    realm.fn((address: unknown) => peek32(deps, address)),
  );
  realm.defineGlobal(
    'peek16',
    realm.fn(() => 0),
  );
  realm.defineGlobal(
    'peek8',
    realm.fn(() => 0),
  );
  for (const name of ['poke8', 'poke16', 'poke32'])
    realm.defineGlobal(
      name,
      realm.fn(() => undefined),
    );
  realm.defineGlobal(
    'btoa',
    realm.fn((data: unknown) => Buffer.from(bytesOf(data)).toString('base64')),
  );
  realm.defineGlobal(
    'atob',
    realm.fn((text: unknown) => Buffer.from(String(text), 'base64').toString('latin1')),
  );
  realm.defineGlobal('E', createE(deps));
  realm.defineGlobal('process', createProcess(deps));
}

/** Espruino's `process`: version, env and memory() from the board's memory model (memory.ts). */
function createProcess(deps: GlobalsDeps): BoardValue {
  const { realm, memory, profile } = deps;
  const proc = realm.object();
  proc.version = '2v29';
  proc.env = realm.data({ VERSION: '2v29', BOARD: profile.name === 'esp8266' ? 'ESP8266_4MB' : 'ESP32' });
  realm.methods(proc, {
    /** process.memory(gc): in variables; `false` skips the garbage collection (the last count, plus allocations since). */
    memory: (gc?: unknown) => {
      const usage = memory.usage(gc !== false);
      const total = memory.pool.total;
      return realm.data({ free: Math.max(0, total - usage), usage, total, history: 0, gc: 0, gctime: 0, blocksize: memory.pool.blockSize });
    },
  });
  return proc;
}

function peek32(deps: GlobalsDeps, address: unknown): number {
  if (Number(address) >>> 0 !== deps.profile.rngAddress) return 0;
  return deps.rngWorks ? randomBytes(4).readUInt32LE(0) : STUCK_RNG_VALUE;
}

function bytesOf(data: unknown): Uint8Array {
  return typeof data === 'string' ? latin1Bytes(data) : Uint8Array.from(collectBytes(data));
}

function createE(deps: GlobalsDeps): BoardValue {
  const { realm, random, sensors, memory } = deps;
  const E = realm.object();
  const toStringOf = (...args: unknown[]) => {
    // A single string comes back as it is (it already is the flat 8-bit string).
    if (args.length === 1 && typeof args[0] === 'string') return args[0];
    const bytes = collectBytes(args);
    memory.allocate(memory.bufferVars(bytes.length));
    return latin1String(Uint8Array.from(bytes));
  };
  realm.methods(E, {
    toString: toStringOf,
    toFlatString: toStringOf,
    toUint8Array: (...args: unknown[]) => {
      const bytes = collectBytes(args);
      memory.allocate(memory.bufferVars(bytes.length));
      return realm.uint8Array(bytes);
    },
    toArrayBuffer: (text: unknown) => realm.uint8Array(latin1Bytes(String(text))).buffer,
    hwRand: () => random.next(),
    srand: (seed: unknown) => random.seed(Number(seed)),
    getTemperature: () => sensors.temperature(),
    getErrorFlags: () => realm.array(memory.takeFlags()),
    getSizeOf: (value: unknown) => sizeOf(value, 0),
    CRC32: (data: unknown) => crc32(bytesOf(data)),
    enableWatchdog: () => undefined,
    kickWatchdog: () => undefined,
    setClock: () => undefined,
    asUTF8: () => {
      throw realm.error('Unicode not supported on this build'); // ESP builds have no unicode strings
    },
  });
  return E;
}

/** A rough JsVar count (E.getSizeOf): one per value, names count too, strings take a var per ~12 chars. */
function sizeOf(value: unknown, depth: number): number {
  if (typeof value === 'string') return 1 + Math.ceil(Math.max(0, value.length - 4) / 12);
  if (typeof value === 'function') return 1 + Math.ceil(Function.prototype.toString.call(value).length / 12);
  if (typeof value !== 'object' || value === null) return 1;
  if (ArrayBuffer.isView(value)) return 2 + Math.ceil(value.byteLength / 12);
  if (depth > 8) return 1;
  let total = 1;
  for (const key of Object.keys(value)) total += 1 + sizeOf((value as Record<string, unknown>)[key], depth + 1);
  return total;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
