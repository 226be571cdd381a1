/**
 * A small fake of the Espruino built-ins hal/espruino uses, installed on globalThis for one
 * test and removed after it: E, getTime, peek32, require('net' | 'tls' | 'crypto' | 'Wifi').
 * `require` is faked twice: as a global (for code run as ESM) and, for modules under
 * hal/espruino/ only, in Node's CommonJS loader (where mocha's tsx hook compiles them, each
 * with a real `require` of its own that would otherwise return Node's `net`).
 * Sockets never fire by themselves: a test fires their events (as Espruino's event loop
 * would, outside any HAL call) with FakeSocket.fire().
 */
import { createHash } from 'node:crypto';
import Module from 'node:module';

type Listener = (arg?: unknown) => void;

/** An Espruino Socket: records writes, throws "This socket is closed" like the real one. */
export class FakeSocket {
  readonly options: { [key: string]: unknown };
  /** Everything passed to write(), as given. */
  readonly written: unknown[] = [];
  ended = false;
  closed = false;
  /** The socket object itself holds its listeners, as Espruino's does ('#ondata'…). */
  private get listeners(): { [key: string]: Listener | Listener[] | undefined } {
    return this as unknown as { [key: string]: Listener | Listener[] | undefined };
  }

  constructor(options: { [key: string]: unknown }, onConnect: Listener | undefined) {
    this.options = options;
    // net.connect's callback is kept as it is, not in an array (socketserver.c).
    if (onConnect) this.listeners['#onconnect'] = onConnect;
  }

  /**
   * As Espruino does: an event's listeners live in the property '#on' + event, an array made
   * anew on every on() (code may also store one function there itself).
   */
  on(event: string, listener: Listener): void {
    const key = `#on${event}`;
    const had = this.listeners[key];
    this.listeners[key] = (had === undefined ? [] : typeof had === 'function' ? [had] : had.slice()).concat([listener]);
  }

  write(data: unknown): boolean {
    if (this.ended || this.closed) throw new Error('This socket is closed');
    this.written.push(data);
    return false; // always, as on Espruino
  }

  end(): void {
    this.ended = true;
  }

  /**
   * Delivers one event to the listeners, as the event loop does. Without `arg`, each event
   * gets what Espruino passes: 'connect' and 'drain' the socket itself, 'close' false (no error
   * came first), 'end' nothing.
   */
  fire(event: string, arg?: unknown): void {
    if (event === 'close') this.closed = true;
    let value = arg;
    if (value === undefined && (event === 'connect' || event === 'drain')) value = this;
    if (value === undefined && event === 'close') value = false;
    // Espruino calls socket listeners with `this` set to the socket: the function in '#on' +
    // event, or each one of the array there.
    const found = this.listeners[`#on${event}`];
    const list = found === undefined ? [] : typeof found === 'function' ? [found] : found;
    for (const listener of list) listener.call(this, value);
  }

  /** The bytes written so far, from the byte strings given to write(). */
  writtenBytes(): number[] {
    const out: number[] = [];
    for (const chunk of this.written) for (const ch of String(chunk)) out.push(ch.charCodeAt(0));
    return out;
  }
}

/** A fake `net` (or `tls`) module. */
export class FakeNet {
  readonly sockets: FakeSocket[] = [];
  /** When set, the next connect() throws an Error with this message (ESP32 style). */
  throwOnConnect: string | null = null;

  connect(options: { [key: string]: unknown }, onConnect?: Listener): FakeSocket {
    if (this.throwOnConnect !== null) {
      const message = this.throwOnConnect;
      this.throwOnConnect = null;
      throw new Error(message);
    }
    const socket = new FakeSocket(options, onConnect);
    this.sockets.push(socket);
    return socket;
  }
}

/** Byte string → bytes, one byte per character (Espruino's strings on ESP builds). */
export function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Bytes → byte string. */
export function stringOf(bytes: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
  return text;
}

export interface EspruinoFakes {
  net: FakeNet;
  tls: FakeNet;
  /** Every argument E.toString was given, in order. */
  toStringCalls: unknown[];
  /** What peek32 reads, by address; a missing address throws. */
  registers: { [address: number]: () => number };
  /** The value getTime() returns, in seconds. */
  time: number;
  /** Whether require('crypto') exists. */
  crypto: boolean;
  /** The module require('Wifi') returns. */
  wifi: unknown;
  /** Lines console.log printed while installed. */
  logs: string[];
  /** Puts globalThis back as it was. */
  restore(): void;
}

const GLOBALS = ['E', 'getTime', 'peek32', 'require'];

/** Node's CommonJS loader entry point (undocumented but stable), patched while fakes are installed. */
type Loader = (request: string, parent: { filename?: string } | undefined, isMain: boolean) => unknown;
const loader = Module as unknown as { _load: Loader };
const ESPRUINO_HAL = /[\\/]hal[\\/]espruino[\\/]/;

/** Installs the fakes on globalThis; call restore() after the test. */
export function installEspruinoFakes(): EspruinoFakes {
  const g = globalThis as Record<string, unknown>;
  const saved: Record<string, { present: boolean; value: unknown }> = {};
  for (const name of GLOBALS) saved[name] = { present: name in g, value: g[name] };
  const savedLog = console.log;
  const savedLoad = loader._load;
  let rand = 0x12345678;

  const fakes: EspruinoFakes = {
    net: new FakeNet(),
    tls: new FakeNet(),
    toStringCalls: [],
    registers: {},
    time: 1000.123456,
    crypto: true,
    wifi: null,
    logs: [],
    restore() {
      for (const name of GLOBALS) {
        if (saved[name].present) g[name] = saved[name].value;
        else delete g[name];
      }
      console.log = savedLog;
      loader._load = savedLoad;
    },
  };

  g.E = {
    toString(value: unknown): string {
      fakes.toStringCalls.push(value);
      if (value instanceof Uint8Array) return stringOf(value);
      return String(value);
    },
    toUint8Array(text: string): Uint8Array {
      return bytesOf(text);
    },
    toArrayBuffer(text: string): ArrayBuffer {
      return bytesOf(text).buffer as ArrayBuffer;
    },
    // Espruino's fixed-seed PRNG: deterministic here too.
    hwRand(): number {
      rand = (Math.imul(rand, 1103515245) + 12345) | 0;
      return rand;
    },
  };
  g.getTime = () => fakes.time;
  g.peek32 = (address: number) => {
    const read = fakes.registers[address];
    if (!read) throw new Error(`peek32: nothing mapped at 0x${address.toString(16)}`);
    return read();
  };
  const fakeRequire = (name: string): unknown => {
    if (name === 'net') return fakes.net;
    if (name === 'tls') return fakes.tls;
    if (name === 'crypto' && fakes.crypto) {
      return { SHA1: (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest()).buffer };
    }
    if (name === 'Wifi' && fakes.wifi) return fakes.wifi;
    throw new Error(`Module ${name} not found`);
  };
  g.require = fakeRequire;
  loader._load = function (request, parent, isMain) {
    if (parent && parent.filename && ESPRUINO_HAL.test(parent.filename)) return fakeRequire(request);
    return savedLoad.call(this, request, parent, isMain);
  };
  console.log = (...args: unknown[]) => {
    fakes.logs.push(args.join(' '));
  };
  return fakes;
}

/** A changing register: a xorshift32 sequence, as a random source looks to the health test. */
export function changingRegister(seed = 0x9e3779b9): () => number {
  let x = seed | 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Lets Node's event loop run `ms` (synthetic HAL events are plain setTimeout(…, 0)). */
export function tick(ms = 2): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
