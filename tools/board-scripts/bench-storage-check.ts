/**
 * Prints `IBENCH stored length=… crc=…` of the Storage file STORE.name (storageCheckScript in
 * tools/bench/interpreter-harness.ts): length -1 when it does not exist; crc is E.CRC32 as an
 * unsigned number, the same as zlib's crc32. The host puts `var STORE={…};` in front.
 */
import type { EspruinoE, EspruinoStorage } from './espruino.ts';

declare const STORE: { name: string };
declare const E: EspruinoE;
declare function quit(): void;
declare function require(name: 'Storage'): EspruinoStorage;

var f = require('Storage').read(STORE.name);
console.log('IBENCH stored length=' + (f === undefined ? -1 : f.length) + ' crc=' + (f === undefined ? 0 : E.CRC32(f) >>> 0));
setTimeout(quit, 1);
