/**
 * Types of the Espruino built-ins the board scripts use, beyond those every board file sees
 * (hal/espruino/espruino-globals.d.ts: E.toString, getTime, peek32). Types only: a script
 * declares the globals it needs with these types at its own top level, which keeps them out of
 * the host code's scope (there `process`, `global` and `require` are Node's).
 * https://www.espruino.com/Reference
 */

/** A callback as Espruino calls it: at most four arguments. */
export type Callback = (a?: unknown, b?: unknown, c?: unknown, d?: unknown) => unknown;

/** process.memory(): counts of JsVars (blocksize bytes each). */
export interface EspruinoMemory {
  free: number;
  usage: number;
  total: number;
  blocksize: number;
}

/** Espruino's `process`: `memory()` collects garbage first, `memory(false)` does not. */
export interface EspruinoProcess {
  memory(gc?: boolean): EspruinoMemory;
}

/**
 * Espruino's root object, `global`. Scripts reach `process` through it: a bare `process` is
 * Node's to the type checker and is refused by the subset gate (it means Node's in a bundle).
 */
export interface EspruinoGlobal {
  process: EspruinoProcess;
  setTimeout(callback: Callback, ms: number): number;
  setInterval(callback: Callback, ms: number): number;
}

/** The E namespace, as far as the scripts use it. */
export interface EspruinoE {
  /** JsVars used by `value` (and what it references). */
  getSizeOf(value: unknown): number;
  /** CRC32 of a string's bytes: signed, the same bits as zlib's crc32. */
  CRC32(data: string): number;
  /** A flat string of the arguments' bytes. */
  toString(data: Uint8Array): string;
}

/** A socket of require('net'). */
export interface EspruinoSocket {
  on(event: string, listener: Callback): unknown;
  write(data: string): boolean;
}

/** require('net'). */
export interface EspruinoNet {
  connect(options: unknown, callback?: unknown): EspruinoSocket;
}

/** require('Storage'). */
export interface EspruinoStorage {
  write(name: string, data: string, offset: number, size: number): boolean;
  read(name: string): string | undefined;
}
