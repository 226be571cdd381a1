/**
 * `require` and `Modules` as in src/jswrap_modules.c:
 * - require(name) looks in the module cache, then the built-in modules, then Storage files;
 *   otherwise it throws `Module "name" not found`. A built-in is cached on first use.
 * - Modules.addCached(name, source) evaluates the module AT ONCE (a string, or the text of a
 *   function, which is how the Web IDE and CLI upload modules) with `exports`, `module` and
 *   `this === exports`, and caches what it exports (`module.exports = …` works).
 */
import type { BoardRealm, BoardValue } from './context.ts';
import type { BoardStorage } from './storage.ts';

/** What the loader tells the board's memory model (memory.ts). */
export interface ModuleMemory {
  /** A built-in module's object: part of the firmware. */
  markNative(value: object): void;
  /** Source run from Storage: its functions' code stays in flash. */
  codeInFlash(source: string): void;
}

/** Built-in modules of the real firmware that the simulator does not provide: require says so plainly. */
const NOT_EMULATED = ['http', 'dgram', 'Flash', 'TelnetServer', 'fs', 'heatshrink', 'neopixel'];

/** The board's module cache and loader. */
export class BoardModules {
  private readonly cache = new Map<string, BoardValue>();

  /**
   * @param builtins factories of the built-in modules this board has (net, Wifi, …)
   */
  constructor(
    private readonly realm: BoardRealm,
    private readonly builtins: Readonly<Record<string, () => BoardValue>>,
    private readonly storage: BoardStorage,
    private readonly memory?: ModuleMemory,
  ) {}

  /** The cached modules' exports, which the board's memory holds. */
  cachedValues(): unknown[] {
    return [...this.cache.values()];
  }

  /** Defines `require` and `Modules` on the board. */
  install(): void {
    const realm = this.realm;
    realm.defineGlobal(
      'require',
      realm.fn((name: unknown) => this.require(name)),
    );
    const modules = realm.object();
    realm.methods(modules, {
      addCached: (id: unknown, source: unknown) => {
        if (typeof id !== 'string' || (typeof source !== 'string' && typeof source !== 'function')) {
          throw realm.error('args must be addCached(string, string|function)');
        }
        this.addCached(id, source as string | ((...args: unknown[]) => unknown));
      },
      getCached: () => realm.array([...this.cache.keys()]),
      removeCached: (id: unknown) => {
        if (typeof id !== 'string') throw realm.error('First argument must be String');
        if (!this.cache.delete(id)) throw realm.error(`Module ${JSON.stringify(id)} not found`);
      },
      removeAllCached: () => this.cache.clear(),
    });
    realm.defineGlobal('Modules', modules);
  }

  /** Modules.addCached: evaluates `source` now and caches its exports. Throws what the module throws. */
  addCached(id: string, source: string | ((...args: unknown[]) => unknown), filename = `module:${id}`): void {
    this.cache.set(id, this.evaluate(source, filename));
  }

  require(name: unknown): BoardValue {
    if (typeof name !== 'string') throw this.realm.error(`Expecting module name as a string, got ${typeof name}`, 'TypeError');
    if (this.cache.has(name)) return this.cache.get(name);
    const builtin = Object.hasOwn(this.builtins, name) ? this.builtins[name] : undefined;
    const stored = this.storage.read(name);
    let exported: BoardValue;
    if (builtin) {
      exported = builtin();
      if (this.memory && exported !== null && typeof exported === 'object') this.memory.markNative(exported);
    } else if (stored !== undefined) {
      this.memory?.codeInFlash(stored);
      exported = this.evaluate(stored, `storage:${name}`);
    } else if (NOT_EMULATED.includes(name)) throw this.realm.error(`simboard: module ${JSON.stringify(name)} is on the board but not emulated`);
    else throw this.realm.error(`Module ${JSON.stringify(name)} not found`);
    this.cache.set(name, exported);
    return exported;
  }

  /** jspEvaluateModule: runs module code in a scope holding `exports` and `module`, with this === exports. */
  private evaluate(source: string | ((...args: unknown[]) => unknown), filename: string): BoardValue {
    // A function's text is re-evaluated, as Espruino does, so its `exports`/`module` are the module's.
    const body = typeof source === 'function' ? `(${Function.prototype.toString.call(source)}).call(this);` : source;
    const factory = this.realm.run(`(function (exports, module) {${body}\n})`, filename) as (...args: unknown[]) => unknown;
    const exports = this.realm.object();
    const module = this.realm.object({ exports });
    Reflect.apply(factory, exports, [exports, module]);
    return module.exports;
  }
}
