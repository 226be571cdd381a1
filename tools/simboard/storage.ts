/**
 * `require('Storage')`: Espruino's flash file store, kept in memory (lost at shutdown).
 * Files hold 8-bit strings. Covers read / readJSON / readArrayBuffer / write (with offset and
 * pre-sized files) / writeJSON / list / erase / eraseAll / getFree.
 */
import { types } from 'node:util';
import { latin1Bytes } from './bytes.ts';
import type { BoardObject, BoardRealm } from './context.ts';

/** Storage size of the ESP32 build (896 KB); the ESP8266 ones are smaller, not modelled. */
const CAPACITY = 896 * 1024;

/** The in-memory files, also read by require() (a module can be a Storage file). */
export class BoardStorage {
  private readonly files = new Map<string, string>();

  constructor(private readonly realm: BoardRealm) {}

  read(name: string): string | undefined {
    return this.files.get(name);
  }

  /** Writes a whole file (an 8-bit string), as an upload to Storage does. */
  write(name: string, text: string): void {
    this.files.set(name, text);
  }

  /** The Storage module object. */
  module(): BoardObject {
    const realm = this.realm;
    const files = this.files;
    const mod = realm.object();
    const read = (name: unknown, offset?: unknown, length?: unknown): string | undefined => {
      const data = files.get(String(name));
      if (data === undefined) return undefined;
      const start = Number(offset) || 0;
      return length === undefined ? data.slice(start) : data.slice(start, start + Number(length));
    };
    realm.methods(mod, {
      read,
      readJSON: (name: unknown, noExceptions?: unknown) => {
        const text = read(name);
        if (text === undefined) return undefined;
        try {
          return realm.intrinsics.JSON.parse(text);
        } catch (error) {
          if (noExceptions) return undefined;
          throw error;
        }
      },
      readArrayBuffer: (name: unknown) => {
        const text = read(name);
        return text === undefined ? undefined : realm.uint8Array(latin1Bytes(text)).buffer;
      },
      write: (name: unknown, data: unknown, offset?: unknown, size?: unknown) => {
        const key = String(name);
        const text = typeof data === 'string' ? data : String(data);
        if (offset === undefined) {
          files.set(key, text);
          return true;
        }
        // A file created with a size is 0xFF-filled (erased flash), then written in parts.
        const existing = files.get(key) ?? '\xff'.repeat(Number(size) || 0);
        const at = Number(offset) || 0;
        files.set(key, existing.slice(0, at) + text + existing.slice(at + text.length));
        return true;
      },
      writeJSON: (name: unknown, data: unknown) => {
        files.set(String(name), JSON.stringify(data));
        return true;
      },
      list: (pattern?: unknown) => {
        let names = [...files.keys()];
        if (types.isRegExp(pattern)) names = names.filter((n) => (pattern as RegExp).test(n));
        else if (typeof pattern === 'string') names = names.filter((n) => n.includes(pattern));
        return realm.array(names);
      },
      erase: (name: unknown) => {
        files.delete(String(name));
      },
      eraseAll: () => files.clear(),
      getFree: () => CAPACITY - [...files.values()].reduce((sum, text) => sum + text.length, 0),
    });
    return mod;
  }
}
