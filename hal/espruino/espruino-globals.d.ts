/**
 * The Espruino built-ins hal/espruino uses (https://www.espruino.com/Reference).
 * Declared here, not imported: on the board they are globals. Node has none of them, so the
 * unit tests install fakes on globalThis. `require` comes from @types/node.
 */

/** Espruino's utility namespace. */
declare const E: {
  /** A flat string of the arguments' bytes. For a whole Uint8Array (byteOffset 0) it is the array's own storage: no copy. */
  toString(...args: unknown[]): string;
  /** A new Uint8Array holding the arguments' bytes (a string gives one byte per character). */
  toUint8Array(...args: unknown[]): Uint8Array;
  /** An ArrayBuffer over the string's storage (a reference, not a copy). */
  toArrayBuffer(str: string): ArrayBuffer;
  /** Espruino's PRNG: on ESP builds the same fixed-seed generator as Math.random. */
  hwRand(): number;
};

/** Seconds since start (or since setTime), with microsecond resolution. */
declare function getTime(): number;

/** Reads a 32-bit word of the memory map (a peripheral register on the ESP chips). */
declare function peek32(address: number): number;
