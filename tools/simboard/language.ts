/**
 * Trims the vm context to the language of Espruino 2v29 on ESP32 / ESP8266, as measured on the
 * real interpreter (shared/reference/espruino-runtime-facts.md §2), so code that leans on
 * something the board lacks fails in the simulator too.
 *
 * Removing a global only hides the name: V8 keeps its internal copies, so `for…of`, Promises
 * and typed arrays keep working without `Symbol`, which is exactly the board's situation.
 * Syntax Espruino rejects (destructuring, spread, `?.`, async…) still parses here: that is the
 * bundler's and the gate's job (tools/espruino-bundle.ts, tools/espruino-gate.ts).
 */
import type { BoardRealm, BoardValue } from './context.ts';

/** Globals that do not exist on the board (V8 or Node names). */
export const MISSING_GLOBALS: readonly string[] = [
  'Map',
  'Set',
  'WeakMap',
  'WeakSet',
  'WeakRef',
  'FinalizationRegistry',
  'Symbol',
  'Proxy',
  'Reflect',
  'BigInt',
  'BigInt64Array',
  'BigUint64Array',
  'SharedArrayBuffer',
  'Atomics',
  'WebAssembly',
  'Intl',
  'RangeError',
  'EvalError',
  'URIError',
  'AggregateError',
  'TextEncoder',
  'TextDecoder',
  'Buffer',
  'process',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'structuredClone',
  'performance',
  'console',
];

/** Members that do not exist on the board: [owner, names]. `TypedArray` is %TypedArray%. */
export const MISSING_MEMBERS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['Array', ['from', 'of']],
  ['Array.prototype', ['flat', 'flatMap', 'at', 'findLast', 'findLastIndex', 'keys', 'entries', 'toReversed', 'toSorted', 'toSpliced', 'with']],
  // Number.EPSILON / MAX_SAFE_INTEGER and TypedArray BYTES_PER_ELEMENT are missing too, but V8 makes them non-configurable: they stay.
  ['Number', ['isInteger', 'isNaN', 'isFinite', 'isSafeInteger']],
  ['Math', ['trunc', 'imul', 'clz32', 'log2', 'hypot', 'cbrt', 'fround']],
  ['Object', ['freeze', 'seal', 'is']],
  ['Promise', ['race', 'allSettled', 'any']],
  ['Promise.prototype', ['finally']],
  ['String', ['raw', 'fromCodePoint']],
  ['String.prototype', ['trimStart', 'trimEnd', 'trimLeft', 'trimRight', 'codePointAt', 'normalize', 'at', 'localeCompare', 'search', 'matchAll']],
  ['TypedArray', ['from', 'of']],
  ['TypedArray.prototype', ['lastIndexOf', 'includes', 'copyWithin', 'at', 'findLast', 'findLastIndex', 'toReversed', 'toSorted', 'with']],
  ['ArrayBuffer', ['isView']],
  ['ArrayBuffer.prototype', ['slice']],
  ['Error', ['captureStackTrace']],
];

/** Espruino's limit on Function.prototype.apply (jswrap_function_apply_or_call). */
export const MAX_APPLY_ARGUMENTS = 256;

/** Removes what Espruino lacks and patches what it does differently. Run once, before any board code. */
export function trimToEspruino(realm: BoardRealm): void {
  const g = realm.global;
  const TypedArray = Object.getPrototypeOf(g.Uint8Array) as BoardValue;
  const owners: Record<string, BoardValue> = {
    Array: g.Array,
    'Array.prototype': g.Array.prototype,
    Number: g.Number,
    Math: g.Math,
    Object: g.Object,
    Promise: g.Promise,
    'Promise.prototype': g.Promise.prototype,
    String: g.String,
    'String.prototype': g.String.prototype,
    TypedArray,
    'TypedArray.prototype': TypedArray.prototype,
    ArrayBuffer: g.ArrayBuffer,
    'ArrayBuffer.prototype': g.ArrayBuffer.prototype,
    Error: g.Error,
  };
  patchLanguage(realm, TypedArray);
  for (const [owner, names] of MISSING_MEMBERS) for (const name of names) delete owners[owner][name];
  for (const name of MISSING_GLOBALS) delete g[name];
  realm.defineGlobal('global', g);
  // Espruino's own error type, thrown by its natives (e.g. "Unable to create socket").
  const InternalError = realm.run('(class InternalError extends Error {})', 'simboard:language') as ErrorConstructor;
  Object.defineProperty(InternalError.prototype, 'name', { value: 'InternalError', writable: true, configurable: true });
  realm.defineGlobal('InternalError', InternalError);
}

/** Built-ins that exist on Espruino but behave differently. Uses Reflect before it is hidden. */
function patchLanguage(realm: BoardRealm, TypedArray: BoardValue): void {
  const arraySlice = realm.intrinsics.Array.prototype.slice;
  const fromCharCode = realm.global.String.fromCharCode as (...codes: number[]) => string;
  realm.methods(TypedArray.prototype, {
    /** Espruino's TypedArray.slice returns a plain Array copy. */
    slice(this: ArrayLike<number>, begin?: number, end?: number) {
      return Reflect.apply(arraySlice, this, [begin, end]);
    },
  });
  realm.methods(realm.intrinsics.Function.prototype, {
    /** More than 256 arguments throw on Espruino, e.g. String.fromCharCode.apply(null, bigArray). */
    apply(this: (...args: unknown[]) => unknown, thisArg: unknown, args?: ArrayLike<unknown> | null) {
      const list = args ?? [];
      if (list.length > MAX_APPLY_ARGUMENTS) {
        throw realm.error(`Array passed to Function.apply is too big! Maximum ${MAX_APPLY_ARGUMENTS} arguments, got ${list.length}`);
      }
      return Reflect.apply(this, thisArg, list);
    },
  });
  realm.methods(realm.global.String, {
    /** Strings are 8-bit on ESP builds: a char code keeps its low byte. */
    fromCharCode(...codes: number[]) {
      return Reflect.apply(
        fromCharCode,
        undefined,
        codes.map((c) => Number(c) & 0xff),
      );
    },
  });
}
