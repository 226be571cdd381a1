/**
 * The board's memory, counted in JsVars of the chip's size: Espruino has a fixed pool of
 * variables (ESP8266_4MB: 1,600 of 12 bytes; ESP32: up to 16,383 of 14 bytes) and every value,
 * property name, string chunk, function, closure scope and typed-array store takes some of them.
 * V8 does not say what a value would cost there, so this is a model, calibrated against the
 * Linux builds of the interpreter with those pools (the figures are in
 * test/simboard/fixtures/memory-calibration.ts, checked by test/simboard/memory.test.ts):
 *
 * - measure() is Espruino's garbage collector: it walks what the board can still reach (its
 *   globals, the module cache, timers, queued events, sockets and their unsent data, and the
 *   closure scopes of every reachable function, read through V8's inspector) and prices each
 *   value by Espruino's storage rules (COSTS). It runs after a callback (at most every
 *   MEASURE_INTERVAL_MS, as it takes milliseconds), when a big allocation would not fit, and
 *   for process.memory().
 * - Between walks, typed arrays, ArrayBuffers and E.toString/E.toUint8Array results are
 *   priced when made (allocate()): what one callback allocates and drops is seen too. When
 *   the pool cannot take it, the allocation throws OutOfMemory and the callback is aborted, as
 *   Espruino aborts it.
 * - Strings built up inside a callback are only seen by the next walk: a callback that fills
 *   the pool with strings runs to its end here, and the board reports OUT OF MEMORY after it.
 * - Function code: a function whose source came from Storage (require of a Storage module, a
 *   `.bootcde` boot) keeps its code in flash, one var; uploaded to RAM (run(), addModule(), as
 *   the Web IDE does) its code is a string in JsVars, and the script's text is held while it
 *   runs. The Linux builds used for calibration keep Storage code in flash too (they are built
 *   with SPIFLASH_BASE: a Storage file is a flash string), so both ways are measured there.
 * - Built-ins cost nothing (they live in the firmware); what the program adds to them counts.
 */
import inspector from 'node:inspector';
import { parse } from 'acorn';
import { types } from 'node:util';
import type { BoardRealm } from './context.ts';

/** A board's pool of variables. */
export interface MemoryPool {
  /** Variables in the pool (process.memory().total). */
  total: number;
  /** Bytes per variable (process.memory().blocksize): 12 on ESP8266, 14 on ESP32. */
  blockSize: number;
}

/**
 * Prices of Espruino's storage, in variables, fitted to the Linux builds.
 * A string of n chars: one block holds STRING_FIRST chars, each further block `stringChars`.
 * A property or element is its name (a string, or an index) plus its value, except that a
 * short name (≤ STRING_FIRST chars) holds an integer or a boolean in the same block.
 */
export const COSTS = {
  /**
   * Chars per block of a script's text held while it runs (an ordinary string filled block by
   * block): measured, 1,000 more chars of a script cost 100 more vars with 14-byte blocks, 4,000
   * cost 500 with 12-byte ones.
   */
  sourceChars: (blockSize: number): number => blockSize - 4,
  /** The interpreter's own variables in an empty program (root, timers, watches, modules, …). */
  base: 40,
  stringFirst: 4,
  /** Chars per further string block: 8 with 14-byte blocks, 7 with 12-byte ones (measured). */
  stringChars: (blockSize: number): number => (blockSize >= 14 ? 8 : 7),
  /**
   * A typed array besides its store: the view, its ArrayBuffer and their links (measured: a
   * Uint8Array of n > 12 bytes held in an array costs 5 + ceil(n / blockSize) + the index).
   */
  typedArray: 4,
  /** A timer's record in the hidden timer list (not its callback, which is walked). */
  timer: 5,
  /** An event queued for the next idle pass. */
  queued: 3,
  /** A socket's hidden state besides its JavaScript object. */
  socket: 6,
  /** An object or array: its own block plus, as fitted to the measurements, two of overhead. */
  object: 3,
  /** A function: its own block plus one (fitted), before its parameters and code. */
  function: 2,
  /** A closure scope object. */
  scope: 1,
  /**
   * A built-in class the program has made an instance of (a typed array kind, ArrayBuffer):
   * Espruino then keeps the class and its prototype in its root (measured: the first
   * Uint8Array, and the first ArrayBuffer made by itself, each cost 7–8 more than the next).
   */
  builtinClass: 8,
};

/** How long after a walk the next callback may skip its own (a walk takes milliseconds). */
const MEASURE_INTERVAL_MS = 250;

/** Thrown into board code when an allocation does not fit: the callback is aborted. */
export class OutOfMemory extends Error {
  constructor(readonly needed: number) {
    super('OUT OF MEMORY');
  }
}

/** Host-side things the board's memory holds besides its globals. */
export interface MemoryRoots {
  /** Values reachable from hidden places (module cache, timer callbacks and arguments, queued events, socket objects). */
  values: unknown[];
  /** Extra variables of those places (timer records, queued events, sockets' unsent strings). */
  vars: number;
}

interface FunctionInfo {
  /** Variables of the function itself: the function, its parameters and its code. */
  own: number;
  /** Of `own`, the variables of its code. */
  code: number;
  native: boolean;
}

/** One closure scope as V8's inspector shows it. */
interface ScopeView {
  /** Identity of this scope between walks (its function's description, names and object values). */
  key: string;
  names: string[];
  values: unknown[];
}

/** The board's JsVar accounting; see the file comment. */
export class BoardMemory {
  /** Usage at the last walk plus what was allocated since. */
  private estimate = COSTS.base;
  private lastWalk = -Infinity;
  private flags: string[] = [];
  /** Variables of the script text being run from RAM (Espruino holds all of it while it runs). */
  private source = 0;
  /** An allocation failed in the running callback (even if the callback caught the error). */
  private failed = false;
  private readonly flashCode: string[] = [];
  private readonly flashCache = new Map<string, boolean>();
  private readonly functionInfo = new WeakMap<object, FunctionInfo>();
  private readonly natives = new WeakSet<object>();
  private readonly bootKeys = new WeakMap<object, Set<PropertyKey>>();
  private readonly ids = new WeakMap<object, number>();
  private readonly scopeKeys = new WeakMap<object, string[]>();
  private nextId = 1;
  private session: inspector.Session | undefined;

  constructor(
    private readonly realm: BoardRealm,
    readonly pool: MemoryPool,
    private readonly roots: () => MemoryRoots,
    /** false: count, but never run out (SimBoardOptions.memoryLimit). */
    readonly enforced = true,
  ) {}

  /** Everything reachable from the board's global now is firmware: free, except what is added to it later. */
  captureBuiltins(): void {
    const stack: unknown[] = [this.realm.global];
    while (stack.length > 0) {
      const value = stack.pop();
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null || this.natives.has(value)) continue;
      this.markNative(value);
      stack.push(Object.getPrototypeOf(value));
      for (const key of Reflect.ownKeys(value)) {
        const d = Object.getOwnPropertyDescriptor(value, key);
        if (d) stack.push(d.value, d.get, d.set);
      }
    }
  }

  /** A built-in object or function made later (a module object, a native method): free, like the rest of the firmware. */
  markNative(value: object): void {
    this.natives.add(value);
    this.bootKeys.set(value, new Set(Reflect.ownKeys(value)));
  }

  /** Source run from Storage: its functions' code stays in flash. */
  codeInFlash(source: string): void {
    this.flashCode.push(source);
    this.flashCache.clear();
  }

  /**
   * While a script runs from RAM its text is held in JsVars, and so is the code of a function
   * it calls at once (an IIFE, as bundlers wrap a program: Espruino copied its code when it made
   * it, and the call holds it until it returns); '' when it ends.
   */
  holdSource(script: string): void {
    this.source = script === '' ? 0 : Math.ceil(script.length / COSTS.sourceChars(this.pool.blockSize)) + this.textVars(runningCode(script));
  }

  /**
   * Variables of a text copied whole into RAM (a function's code, by jslNewStringFromLexer; a
   * script): a flat string, a header and then every byte of whole blocks, unless it fits in one
   * or two ordinary string blocks.
   */
  textVars(chars: number): number {
    const { blockSize } = this.pool;
    return chars > COSTS.stringFirst + COSTS.stringChars(blockSize) ? 1 + Math.ceil(chars / blockSize) : this.stringVars(chars);
  }

  /** Variables in use: a fresh walk when `gc` (or when the last is old), else the running estimate. */
  usage(gc: boolean): number {
    if (gc) this.walk();
    return this.estimate;
  }

  /** After a callback: walks again unless one ran a moment ago. Returns whether the pool is exceeded. */
  afterCallback(): boolean {
    if (performance.now() - this.lastWalk >= MEASURE_INTERVAL_MS || this.estimate > this.pool.total) this.walk();
    return this.estimate > this.pool.total;
  }

  /** Whether the last count is over the pool (the board cannot allocate anything). */
  get exhausted(): boolean {
    return this.estimate > this.pool.total;
  }

  /**
   * Prices an allocation of `vars` variables; throws OutOfMemory (after a walk, Espruino's
   * garbage collection, confirms it) when the pool cannot take it.
   */
  allocate(vars: number): void {
    if (this.enforced && this.estimate + vars > this.pool.total) {
      this.walk();
      if (this.estimate + vars > this.pool.total) {
        this.failed = true;
        throw new OutOfMemory(vars);
      }
    }
    this.estimate += vars;
  }

  /** Whether an allocation failed since the last call (Espruino's interrupt, which no catch stops). */
  takeFailure(): boolean {
    const failed = this.failed;
    this.failed = false;
    return failed;
  }

  /** Sets Espruino's error flags for running out of memory; returns whether they are new (Espruino prints them once). */
  raise(): boolean {
    const fresh = !this.flags.includes('MEMORY');
    for (const flag of ['LOW_MEMORY', 'MEMORY']) if (!this.flags.includes(flag)) this.flags.push(flag);
    return fresh;
  }

  /** E.getErrorFlags(): the flags raised since the last call, which clears them. */
  takeFlags(): string[] {
    const flags = this.flags;
    this.flags = [];
    return flags;
  }

  /**
   * Variables of a typed array (or ArrayBuffer) of `bytes` bytes. Its store is a flat string
   * (jsvNewFlatStringOfLength: a header block, then every byte of whole blocks) unless it fits
   * in one or two ordinary string blocks (JSV_FLAT_STRING_BREAK_EVEN).
   */
  bufferVars(bytes: number): number {
    const { blockSize } = this.pool;
    const flatBreakEven = COSTS.stringFirst + COSTS.stringChars(blockSize);
    const store = bytes > flatBreakEven ? 1 + Math.ceil(bytes / blockSize) : this.stringVars(bytes);
    return COSTS.typedArray + store;
  }

  /** Variables of a string of `length` chars. */
  stringVars(length: number): number {
    if (length <= COSTS.stringFirst) return 1;
    return 1 + Math.ceil((length - COSTS.stringFirst) / COSTS.stringChars(this.pool.blockSize));
  }

  /** Espruino's garbage collection and count: see the file comment. `tally` gets the count by kind of storage. */
  walk(tally?: Record<string, number>): number {
    const add = (kind: string, n: number): void => {
      vars += n;
      if (tally) tally[kind] = (tally[kind] ?? 0) + n;
    };
    const seen = new WeakSet<object>();
    // Built-in classes with instances (priced once each), and buffers reached through their views.
    const classes = new Set<object>();
    const viewed = new WeakSet<object>();
    const instanceOf = (value: object): void => {
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto === null || classes.has(proto)) return;
      classes.add(proto);
      add('classes', COSTS.builtinClass);
    };
    const scopes = new Map<string, ScopeView>();
    const stack: unknown[] = [];
    const roots = this.roots();
    let vars = 0;
    add('base', COSTS.base);
    add('hidden', roots.vars);
    add('source', this.source);
    // A property: its name, and its value unless a short name holds it.
    const member = (key: PropertyKey, value: unknown, index: boolean): void => {
      const name = typeof key === 'symbol' ? 1 : index ? 1 : this.stringVars(String(key).length);
      add('names', name);
      const packed = (typeof value === 'boolean' || (typeof value === 'number' && (value | 0) === value)) && name === 1;
      if (!packed) add(typeof value === 'string' ? 'strings' : 'values', this.primitiveVars(value));
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') stack.push(value);
    };
    const visit = (value: unknown): void => {
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null || seen.has(value)) return;
      seen.add(value);
      if (this.natives.has(value) || this.realm.natives.has(value)) {
        // Built-in: only what the program added (listeners, new globals) counts.
        const boot = this.bootKeys.get(value);
        if (!boot) return; // a native function or object made by the host: nothing of the program's on it
        for (const key of Reflect.ownKeys(value)) {
          if (boot.has(key)) continue;
          const d = Object.getOwnPropertyDescriptor(value, key);
          if (d) member(key, 'value' in d ? d.value : d.get, false);
        }
        return;
      }
      // A host value handed in by a test (a recorder's handlers): one reference, not the host's heap.
      if (!this.ofBoard(value)) {
        add('host', 1);
        return;
      }
      if (types.isArrayBuffer(value)) {
        add('buffers', this.bufferVars(value.byteLength) - 2);
        if (!viewed.has(value)) instanceOf(value);
        return;
      }
      if (ArrayBuffer.isView(value)) {
        add('buffers', 2);
        instanceOf(value);
        viewed.add(value.buffer);
        stack.push(value.buffer);
        return;
      }
      if (typeof value === 'function') {
        const info = this.infoOf(value as (...args: unknown[]) => unknown);
        if (info.native) return;
        add('functions', info.own - info.code);
        add('code', info.code);
        // Scopes are looked up once per function, then read fresh once per walk.
        let keys = this.scopeKeys.get(value);
        let fresh: ScopeView[] | undefined;
        if (!keys) {
          fresh = this.scopesOf(value);
          keys = fresh.map((view) => view.key);
          this.scopeKeys.set(value, keys);
        }
        // A function made inside another links to its scope (a name var of its own), which it shares.
        if (keys.length > 0) add('scopes', 1);
        keys.forEach((key, i) => {
          if (scopes.has(key)) return;
          fresh ??= this.scopesOf(value);
          const view = fresh[i];
          if (!view) return;
          scopes.set(key, view);
          add('scopes', COSTS.scope);
          view.names.forEach((name, j) => {
            member(name, view.values[j], false);
          });
        });
        for (const key of Reflect.ownKeys(value)) {
          // V8's own bookkeeping: `length`, `name`, and the `arguments`/`caller` every sloppy-mode
          // `function` carries (null); Espruino keeps none of them.
          if (key === 'length' || key === 'name' || key === 'arguments' || key === 'caller') continue;
          const d = Object.getOwnPropertyDescriptor(value, key);
          if (!d) continue;
          // V8 makes every function a prototype; Espruino only when something is put on it.
          if (key === 'prototype') {
            if (Reflect.ownKeys(d.value as object).some((k) => k !== 'constructor')) member(key, d.value, false);
            continue;
          }
          member(key, d.value ?? d.get, false);
        }
        return;
      }
      add(Array.isArray(value) ? 'arrays' : 'objects', COSTS.object);
      const array = Array.isArray(value);
      for (const key of Reflect.ownKeys(value)) {
        if (array && key === 'length') continue;
        const d = Object.getOwnPropertyDescriptor(value, key);
        if (!d) continue;
        member(key, 'value' in d ? d.value : d.get, array && typeof key === 'string' && /^\d+$/.test(key));
      }
      // A class instance's prototype is the program's (its methods); built-in prototypes are free.
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== null && !this.natives.has(proto as object)) stack.push(proto);
    };
    stack.push(this.realm.global, ...roots.values);
    while (stack.length > 0) visit(stack.pop());
    this.estimate = vars;
    this.lastWalk = performance.now();
    return vars;
  }

  /** Whether a value was made in the board's realm (typed arrays and buffers of either realm count as board data). */
  private ofBoard(value: object): boolean {
    if (types.isArrayBuffer(value) || ArrayBuffer.isView(value)) return true;
    const { Object: BoardObject, Function: BoardFunction } = this.realm.intrinsics;
    if (typeof value === 'function') return value instanceof BoardFunction;
    return value instanceof BoardObject || Object.getPrototypeOf(value) === null;
  }

  private primitiveVars(value: unknown): number {
    if (value === undefined) return 0;
    if (typeof value === 'string') return this.stringVars(value.length);
    if (typeof value === 'object' || typeof value === 'function') return 0; // counted when visited
    return 1;
  }

  private infoOf(fn: (...args: unknown[]) => unknown): FunctionInfo {
    let info = this.functionInfo.get(fn);
    if (info) return info;
    const text = Function.prototype.toString.call(fn);
    if (this.natives.has(fn) || this.realm.natives.has(fn) || /\{\s*\[native code\]\s*\}$/.test(text)) {
      info = { own: 0, code: 0, native: true };
    } else {
      // The code Espruino keeps is the text after the parameters, from its `{` (copied verbatim:
      // it tokenises only with E.setFlags({pretokenise:1})); a class's is its constructor (its
      // methods are functions of their own, counted on the prototype).
      const close = text.indexOf(')');
      let code = text.length - (close < 0 ? 0 : text.slice(close + 1).search(/\S/) + close + 1);
      if (/^class\b/.test(text)) {
        const proto = (fn as { prototype?: object }).prototype;
        for (const key of proto ? Reflect.ownKeys(proto) : []) {
          const method = Object.getOwnPropertyDescriptor(proto, key)?.value as unknown;
          if (typeof method === 'function' && key !== 'constructor') code -= Function.prototype.toString.call(method).length;
        }
        code = Math.max(0, code);
      }
      const codeVars = this.inFlash(text) ? 1 : this.textVars(code);
      info = { own: COSTS.function + fn.length + codeVars, code: codeVars, native: false };
    }
    this.functionInfo.set(fn, info);
    return info;
  }

  private inFlash(text: string): boolean {
    let hit = this.flashCache.get(text);
    if (hit === undefined) {
      hit = this.flashCode.some((source) => source.includes(text));
      this.flashCache.set(text, hit);
    }
    return hit;
  }

  /**
   * The closure scopes a function keeps alive, with their current values. V8 keeps in a scope
   * only the variables some closure uses; Espruino keeps them all (unused ones are not counted
   * here).
   */
  private scopesOf(fn: object): ScopeView[] {
    const session = this.inspector();
    const host = globalThis as { __simboardMemory?: unknown };
    const got: unknown[] = [];
    host.__simboardMemory = { fn, sink: (value: unknown) => got.push(value) };
    try {
      // biome-ignore lint/suspicious/noExplicitAny: answers of the inspector protocol, read field by field below
      const post = (method: string, params: object): any => {
        let result: unknown;
        let failure: unknown;
        session.post(method, params, (error, answer) => {
          failure = error;
          result = answer;
        });
        if (failure) throw failure;
        return result;
      };
      const group = 'simboard-memory';
      const fnId = post('Runtime.evaluate', { expression: 'globalThis.__simboardMemory.fn', objectGroup: group }).result.objectId;
      const sinkId = post('Runtime.evaluate', { expression: 'globalThis.__simboardMemory.sink', objectGroup: group }).result.objectId;
      const internal = post('Runtime.getProperties', { objectId: fnId, ownProperties: true }).internalProperties as
        | { name: string; value?: { objectId?: string } }[]
        | undefined;
      const scopeList = internal?.find((p) => p.name === '[[Scopes]]')?.value?.objectId;
      const views: ScopeView[] = [];
      if (scopeList) {
        for (const scope of post('Runtime.getProperties', { objectId: scopeList, ownProperties: true }).result as {
          value?: { description?: string; objectId?: string };
        }[]) {
          const description = String(scope.value?.description ?? '');
          if (!/^(Closure|Block)/.test(description)) continue;
          const names: string[] = [];
          const values: unknown[] = [];
          for (const variable of post('Runtime.getProperties', { objectId: scope.value?.objectId, ownProperties: true }).result as {
            name: unknown;
            value?: { objectId?: string; type?: string; value?: unknown; description?: string };
          }[]) {
            const remote = variable.value ?? {};
            names.push(String(variable.name));
            if (remote.objectId) {
              const before = got.length;
              post('Runtime.callFunctionOn', {
                objectId: remote.objectId,
                functionDeclaration: 'function (sink) { sink(this); }',
                arguments: [{ objectId: sinkId }],
                silent: true,
              });
              values.push(got.length > before ? got[got.length - 1] : undefined);
            } else if (remote.type === 'string' || remote.type === 'number' || remote.type === 'boolean') {
              values.push(remote.value ?? Number(remote.description));
            } else {
              values.push(remote.type === 'object' ? null : undefined);
            }
          }
          const identity = values.map((v) => ((typeof v === 'object' && v !== null) || typeof v === 'function' ? this.idOf(v) : typeof v));
          views.push({ key: `${description}|${names.join(',')}|${identity.join(',')}`, names, values });
        }
      }
      post('Runtime.releaseObjectGroup', { objectGroup: group });
      return views;
    } finally {
      delete host.__simboardMemory;
    }
  }

  private idOf(value: object): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.nextId++;
      this.ids.set(value, id);
    }
    return id;
  }

  private inspector(): inspector.Session {
    if (!this.session) {
      this.session = new inspector.Session();
      this.session.connect();
    }
    return this.session;
  }

  /** Disconnects from the inspector. */
  close(): void {
    this.session?.disconnect();
    this.session = undefined;
  }
}

/** Length of the longest code of a function the script's top level calls as soon as it makes it (0 if none, or if it does not parse). */
function runningCode(script: string): number {
  let program: ReturnType<typeof parse>;
  try {
    program = parse(script, { ecmaVersion: 'latest', sourceType: 'script' });
  } catch {
    return 0;
  }
  let longest = 0;
  for (const statement of program.body) {
    if (statement.type !== 'ExpressionStatement') continue;
    let expression = statement.expression;
    if (expression.type === 'UnaryExpression') expression = expression.argument;
    if (expression.type !== 'CallExpression') continue;
    const callee = expression.callee;
    if (callee.type === 'FunctionExpression' || callee.type === 'ArrowFunctionExpression') {
      longest = Math.max(longest, callee.body.end - callee.body.start);
    }
  }
  return longest;
}

/** The typed array constructors Espruino has (and ArrayBuffer), whose allocations are priced when made. */
const BUFFER_CONSTRUCTORS = [
  'ArrayBuffer',
  'Uint8Array',
  'Int8Array',
  'Uint8ClampedArray',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
];

/**
 * Wraps the board's typed array constructors so that each allocation is priced before it is
 * made (and can fail, as on the board). The wrappers are the constructors to the board:
 * `instanceof`, `.prototype`, `.constructor` and BYTES_PER_ELEMENT are the originals'. Run
 * before captureBuiltins().
 */
export function hookAllocations(realm: BoardRealm, memory: BoardMemory): void {
  const g = realm.global;
  for (const name of BUFFER_CONSTRUCTORS) {
    const target = g[name] as (new (...args: unknown[]) => object) & { BYTES_PER_ELEMENT?: number; prototype: object };
    if (typeof target !== 'function') continue;
    const perElement = target.BYTES_PER_ELEMENT ?? 1;
    const wrapped: object = new Proxy(target, {
      construct(ctor, args, newTarget) {
        memory.allocate(allocationVars(memory, args[0], perElement));
        return Reflect.construct(ctor, args, newTarget === wrapped ? ctor : newTarget) as object;
      },
    });
    Object.defineProperty(target.prototype, 'constructor', { value: wrapped, writable: true, configurable: true, enumerable: false });
    realm.defineGlobal(name, wrapped);
  }
}

/** Variables a `new Uint8Array(first, …)` (or ArrayBuffer) takes: a view on an existing buffer costs the view alone. */
function allocationVars(memory: BoardMemory, first: unknown, perElement: number): number {
  if (types.isArrayBuffer(first)) return 2;
  let elements = 0;
  if (typeof first === 'number') elements = first;
  else if (typeof first === 'object' && first !== null && typeof (first as ArrayLike<unknown>).length === 'number') {
    elements = (first as ArrayLike<unknown>).length;
  }
  if (!(elements > 0)) return memory.bufferVars(0);
  return memory.bufferVars(elements * perElement);
}
