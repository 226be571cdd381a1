/**
 * A simulated Espruino board (ESP32 or ESP8266) on the host: a Node `vm` context that offers
 * what the firmware offers and nothing more, so the very bytes uploaded to a board run here.
 * Networking is real loopback TCP to servers on 127.0.0.1; WiFi is a switch the host flips.
 *
 * Layout: context.ts (the realm) → language.ts (trim to Espruino's language) → loop.ts /
 * events.ts / timers.ts (event loop, EventEmitter, timers) → espruino-globals.ts, sensors.ts,
 * random.ts (E, print, pins, rand) → modules.ts with net.ts, wifi.ts, crypto.ts, storage.ts.
 *
 * Where it differs from a real board (details in each file's header):
 * - Language: only what can be removed is removed. Syntax Espruino rejects still parses (the
 *   bundler/gate catch it); no hoisting or `let`-per-iteration quirks; built-ins stay reachable
 *   through prototypes (`Array.prototype.slice`); Number.EPSILON / MAX_SAFE_INTEGER and
 *   BYTES_PER_ELEMENT stay (V8 will not delete them); `"\u20ac"` in source keeps its 16-bit char.
 * - Memory: counted in JsVars by a model (memory.ts), not exactly; strings built inside a
 *   callback are seen after it, so such a callback runs to its end before OUT OF MEMORY;
 *   E.getSizeOf is a rougher estimate; E.toString(u8) copies (the chip shares the array's memory).
 * - net: a refused port is found synchronously through /proc/net/tcp (Linux), else ESP32 gets
 *   'end' + 'close'(false) without the throw; connect never blocks; TLS sends no SNI.
 * - WiFi: restore() reconnects by itself on ESP32 too; sockets survive a drop until
 *   deadLinkTimeoutMs (30 s, lwIP takes minutes).
 * - Unhandled promise rejections go through one process-wide hook (rejections.ts).
 */
import { asTerminalText, asUploaded } from './bytes.ts';
import { BoardRealm } from './context.ts';
import { createCryptoModule } from './crypto.ts';
import { installEspruinoGlobals } from './espruino-globals.ts';
import { BoardEvents } from './events.ts';
import { formatUncaught } from './format.ts';
import { trimToEspruino } from './language.ts';
import { BoardLoop } from './loop.ts';
import { BoardMemory, COSTS, hookAllocations, OutOfMemory } from './memory.ts';
import { BoardModules } from './modules.ts';
import { NetStack } from './net.ts';
import { type BoardName, PROFILES } from './profile.ts';
import { EspruinoRandom } from './random.ts';
import { trackRejections } from './rejections.ts';
import { BoardSensors } from './sensors.ts';
import { BoardStorage } from './storage.ts';
import { BoardTimers } from './timers.ts';
import { WifiLink } from './wifi.ts';

export type { BoardName } from './profile.ts';

/** How to build a simulated board. */
export interface SimBoardOptions {
  /** Chunk size 536 / 268; `tls` only on esp32; SHA256 only on esp32. */
  board: BoardName;
  /** Whether `require('crypto')` exists (default true; the 512 KB ESP8266 build has none). */
  crypto?: boolean;
  /** Receives every console line (print, console.log, `Uncaught …`), decoded as UTF-8 like a terminal. */
  console?: (line: string) => void;
  /** Initial WiFi state (default: connected to "simnet"). */
  wifi?: { ssid?: string; connected?: boolean };
  /** Whether peek32 of the RNG register returns random values (default true); false: always 0. */
  rngWorks?: boolean;
  /**
   * Whether the board runs out of memory where the chip would (default true). false: memory is
   * still counted and reported, but nothing is aborted — for tests that push more through the
   * board than the chip could hold, to check logic rather than capacity. Say why where you use it.
   */
  memoryLimit?: boolean;
  /** How long a socket survives a WiFi drop before it fails (default 30 000 ms; lwIP takes minutes). */
  deadLinkTimeoutMs?: number;
}

/** The host's handle on a simulated board. */
export interface SimBoard {
  /**
   * Runs code in the board's global scope, like the board running a file uploaded to RAM: its
   * functions' code takes JsVars. The code is taken as UTF-8 and its bytes become 8-bit chars,
   * as on an ESP build. Throws on a syntax or top-level error; running out of memory is not
   * thrown but printed, as the board does (see `memory`).
   */
  run(code: string, filename?: string): void;
  /**
   * Like a board booting the firmware from Storage (`npm run flash` in storage mode): the code
   * is written to `.bootcde` and run, and its functions' code stays in flash (one JsVar each).
   */
  boot(code: string): void;
  /** The board's memory as process.memory() reports it (after a garbage collection), and how often it ran out. */
  memory(): { free: number; usage: number; total: number; blocksize: number; outOfMemory: number };
  /** Like the Web IDE / CLI preloading a module: Modules.addCached(name, function(){ code }). Throws what the module throws. */
  addModule(name: string, code: string): void;
  /** Evaluates an expression inside the board and returns the result (a board value). */
  evaluate(expression: string): unknown;
  /**
   * WiFi control. drop(): the link goes down (Wifi 'disconnected'); open sockets stall like a dead
   * link — nothing is delivered either way, writes fill the stack's send buffer — and resume on
   * restore(), unless the drop outlasts deadLinkTimeoutMs, when they fail (see net.ts).
   * restore(): the link comes back (Wifi 'connected').
   */
  wifi: { drop(): void; restore(): void; readonly up: boolean };
  /** Uncaught exceptions from callbacks (and unhandled rejections), as Espruino prints them (`Uncaught …`); the board keeps running. */
  readonly uncaught: unknown[];
  /** Console lines, decoded as UTF-8 (the last 10 000 are kept, also when `console` is given). */
  readonly output: string[];
  /** Stops every timer and socket of the board. After it nothing of the board runs. */
  shutdown(): Promise<void>;
}

const DEFAULT_DEAD_LINK_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_LINES = 10_000;

/** Boots a simulated board: a fresh realm, rand() at its power-on state, WiFi as configured. */
export function createSimBoard(options: SimBoardOptions): SimBoard {
  return new SimulatedBoard(options);
}

class SimulatedBoard implements SimBoard {
  readonly uncaught: unknown[] = [];
  readonly output: string[] = [];
  readonly wifi: SimBoard['wifi'];
  private readonly realm: BoardRealm;
  private readonly loop: BoardLoop;
  private readonly timers: BoardTimers;
  private readonly modules: BoardModules;
  private readonly net: NetStack;
  private readonly storage: BoardStorage;
  private readonly boardMemory: BoardMemory;
  private outOfMemory = 0;
  private readonly untrackRejections: () => void;
  private stopped = false;

  constructor(private readonly options: SimBoardOptions) {
    const profile = PROFILES[options.board];
    if (!profile) throw new Error(`simboard: unknown board ${JSON.stringify(options.board)} (esp32 or esp8266)`);
    const realm = new BoardRealm(`simboard ${profile.name}`);
    this.realm = realm;
    trimToEspruino(realm);
    const loop = new BoardLoop(
      (code) => realm.run(code, 'callback'),
      (error) => this.reportUncaught(error),
    );
    this.loop = loop;
    const events = new BoardEvents(realm, loop);
    events.install();
    this.timers = new BoardTimers(realm, loop);
    this.timers.install();
    const sensors = new BoardSensors(realm, profile);
    sensors.install();
    const print = (line: string): void => this.print(line);
    const memory = new BoardMemory(realm, { total: profile.vars, blockSize: profile.blockSize }, () => this.memoryRoots(), options.memoryLimit ?? true);
    this.boardMemory = memory;
    hookAllocations(realm, memory);
    installEspruinoGlobals({ realm, profile, random: new EspruinoRandom(), sensors, rngWorks: options.rngWorks ?? true, print, memory });

    const link = new WifiLink(realm, loop, events, profile, options.wifi ?? {});
    this.wifi = {
      drop: () => link.drop(),
      restore: () => link.restore(),
      get up() {
        return link.up;
      },
    };
    this.net = new NetStack({
      realm,
      loop,
      events,
      link,
      profile,
      print,
      deadLinkTimeoutMs: options.deadLinkTimeoutMs ?? DEFAULT_DEAD_LINK_TIMEOUT_MS,
    });
    const storage = new BoardStorage(realm);
    this.storage = storage;
    const builtins: Record<string, () => unknown> = {
      net: () => this.net.module(false),
      Wifi: () => link.module,
      Storage: () => storage.module(),
    };
    if (options.crypto ?? true) builtins.crypto = () => createCryptoModule(realm, profile.sha2);
    if (profile.tls) builtins.tls = () => this.net.module(true);
    if (profile.name === 'esp8266') builtins.ESP8266 = () => sensors.chipObject();
    else realm.defineGlobal('ESP32', sensors.chipObject());
    this.modules = new BoardModules(realm, builtins, storage, memory);
    this.modules.install();
    // What exists now is the firmware; from here on the program's values count.
    memory.captureBuiltins();
    if (memory.enforced)
      this.loop.guard = {
        canRun: () => !memory.exhausted || memory.walk() <= profile.vars,
        aborted: (error) => {
          const failed = memory.takeFailure() || error instanceof OutOfMemory;
          return memory.afterCallback() || failed;
        },
        interrupted: (interval) => this.interrupted(interval ? 'interval' : 'callback'),
      };

    this.untrackRejections = trackRejections({
      owns: (promise) => promise instanceof realm.intrinsics.Promise,
      report: (reason) => this.reportUncaught(realm.error(`Unhandled promise rejection: ${formatUncaught(reason)}`)),
    });
  }

  run(code: string, filename = 'upload.js'): void {
    this.assertRunning();
    this.topLevel(asUploaded(code), filename, false);
  }

  boot(code: string): void {
    this.assertRunning();
    const uploaded = asUploaded(code);
    this.storage.write('.bootcde', uploaded);
    this.boardMemory.codeInFlash(uploaded);
    this.topLevel(uploaded, '.bootcde', true);
  }

  memory(): { free: number; usage: number; total: number; blocksize: number; outOfMemory: number } {
    const usage = this.boardMemory.usage(true);
    const { total, blockSize } = this.boardMemory.pool;
    return { free: Math.max(0, total - usage), usage, total, blocksize: blockSize, outOfMemory: this.outOfMemory };
  }

  /** Runs uploaded code at the top level; running out of memory aborts it as on the board (printed, not thrown). */
  private topLevel(code: string, filename: string, inFlash: boolean): void {
    const memory = this.boardMemory;
    let error: unknown;
    let threw = false;
    // Uploaded to RAM, the script's text is in JsVars while it runs; from Storage it is read in place.
    if (!inFlash) memory.holdSource(code);
    try {
      this.realm.run(code, filename);
    } catch (e) {
      error = e;
      threw = true;
    }
    const failed = memory.takeFailure() || error instanceof OutOfMemory;
    const over = memory.enforced && memory.afterCallback();
    memory.holdSource('');
    if (over || failed) {
      this.interrupted('top');
      return;
    }
    if (threw) throw error;
  }

  /** What Espruino prints when a callback (or the top level) is interrupted for memory. */
  private interrupted(where: 'top' | 'callback' | 'interval'): void {
    this.outOfMemory++;
    this.print('OUT OF MEMORY');
    if (where === 'interval') this.print('ERROR: Ctrl-C while processing interval - removing it.');
    this.print(where === 'top' ? 'Execution Interrupted.' : 'Execution Interrupted during event processing.');
    if (this.boardMemory.raise()) this.print('New interpreter error: LOW_MEMORY,MEMORY');
  }

  /** What the board's memory holds besides its globals: cached modules, timers, queued events, sockets. */
  private memoryRoots(): { values: unknown[]; vars: number } {
    const timers = this.timers.memoryRoots();
    const queued = this.loop.memoryRoots();
    const sockets = this.net.memoryRoots();
    let vars = timers.count * COSTS.timer + queued.count * COSTS.queued + sockets.values.length * COSTS.socket;
    for (const chars of sockets.pendingChars) if (chars > 0) vars += this.boardMemory.stringVars(chars);
    return { values: [...this.modules.cachedValues(), ...timers.values, ...queued.values, ...sockets.values], vars };
  }

  addModule(name: string, code: string): void {
    this.assertRunning();
    this.modules.addCached(name, asUploaded(code));
  }

  evaluate(expression: string): unknown {
    this.assertRunning();
    return this.realm.run(asUploaded(expression), 'evaluate');
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.loop.stop();
    this.timers.clearAll();
    this.boardMemory.close();
    this.untrackRejections();
    await this.net.shutdown();
  }

  private assertRunning(): void {
    if (this.stopped) throw new Error('simboard: the board has been shut down');
  }

  private print(text: string): void {
    for (const boardLine of text.split('\n')) {
      const line = asTerminalText(boardLine);
      this.output.push(line);
      if (this.output.length > MAX_OUTPUT_LINES) this.output.shift();
      this.options.console?.(line);
    }
  }

  private reportUncaught(error: unknown): void {
    this.uncaught.push(error);
    this.print(`Uncaught ${formatUncaught(error)}`);
  }
}
