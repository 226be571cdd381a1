/**
 * Writes one chunk of a module to the interpreter's Storage (storageWriteScripts in
 * tools/bench/interpreter-harness.ts), one interpreter run per chunk: the first run creates
 * the file at its full size, the rest fill it in at their offsets, so no run holds more than
 * one chunk. Prints `IBENCH wrote offset=…`. The host puts `var STORE={…};` in front.
 */
import type { EspruinoStorage } from './espruino.ts';

declare const STORE: {
  /** The Storage file. */
  name: string;
  /** This chunk, one char per byte. */
  data: string;
  /** Where the chunk goes in the file. */
  offset: number;
  /** The file's full size. */
  size: number;
};
declare function quit(): void;
declare function require(name: 'Storage'): EspruinoStorage;

require('Storage').write(STORE.name, STORE.data, STORE.offset, STORE.size);
console.log('IBENCH wrote offset=' + STORE.offset);
setTimeout(quit, 1);
