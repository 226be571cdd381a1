/**
 * The board's JavaScript realm: a Node `vm` context (language.ts trims it to Espruino's subset).
 *
 * Everything the board's code can reach must belong to this realm, or `instanceof`,
 * prototypes and `constructor` would lead back to the host (and to Node's `process`). So host
 * functions handed to the board are re-parented onto the context's Function.prototype, and
 * objects, arrays, errors and typed arrays are made from the context's own constructors, kept
 * here before language.ts removes things like Array.from from the board's view.
 */
import vm from 'node:vm';

/** A value of the board's realm: board code gives and takes arbitrary JavaScript. */
// biome-ignore lint/suspicious/noExplicitAny: board code gives and takes arbitrary JavaScript across the realm boundary
export type BoardValue = any;

/** A plain object of the board's realm. */
export type BoardObject = Record<string, BoardValue>;

/** The constructors of the context, captured before any trimming. */
export interface BoardIntrinsics {
  Object: ObjectConstructor;
  Array: ArrayConstructor;
  Function: FunctionConstructor;
  Error: ErrorConstructor;
  TypeError: TypeErrorConstructor;
  Uint8Array: Uint8ArrayConstructor;
  ArrayBuffer: ArrayBufferConstructor;
  Promise: PromiseConstructor;
  JSON: JSON;
}

/** The vm context plus helpers that make values belong to it. */
export class BoardRealm {
  readonly context: vm.Context;
  /** The board's global object (`global` / `globalThis` on the board). */
  readonly global: BoardObject;
  readonly intrinsics: BoardIntrinsics;
  /** Host functions and objects handed to the board: the firmware's natives, which cost the board no JsVars (memory.ts). */
  readonly natives = new WeakSet<object>();

  constructor(name: string) {
    this.context = vm.createContext({}, { name });
    this.global = vm.runInContext('globalThis', this.context) as BoardObject;
    const g = this.global;
    this.intrinsics = {
      Object: g.Object,
      Array: g.Array,
      Function: g.Function,
      Error: g.Error,
      TypeError: g.TypeError,
      Uint8Array: g.Uint8Array,
      ArrayBuffer: g.ArrayBuffer,
      Promise: g.Promise,
      JSON: g.JSON,
    };
  }

  /** Compiles and runs code in the board's global scope; throws what the code throws. */
  run(code: string, filename: string): BoardValue {
    return vm.runInContext(code, this.context, { filename });
  }

  /** Makes a host function look native to the board (its prototype chain is the board's). */
  // biome-ignore lint/suspicious/noExplicitAny: wraps host functions of any signature
  fn<F extends (...args: any[]) => unknown>(f: F): F {
    Object.setPrototypeOf(f, this.intrinsics.Function.prototype);
    this.natives.add(f);
    return f;
  }

  /** A board object with these own properties (functions among them are made board functions). */
  object(props: Record<string, unknown> = {}, proto: object = this.intrinsics.Object.prototype): BoardObject {
    const o = Object.create(proto) as BoardObject;
    for (const [key, value] of Object.entries(props)) {
      // biome-ignore lint/suspicious/noExplicitAny: as fn()
      o[key] = typeof value === 'function' ? this.fn(value as (...args: any[]) => unknown) : value;
    }
    return o;
  }

  /** Defines built-in methods (non-enumerable, like Espruino's natives) on a board object. */
  // biome-ignore lint/suspicious/noExplicitAny: as fn()
  methods(target: object, methods: Record<string, (...args: any[]) => unknown>): void {
    for (const [key, value] of Object.entries(methods)) {
      Object.defineProperty(target, key, { value: this.fn(value), writable: true, configurable: true, enumerable: false });
    }
  }

  /** A board array holding these items. */
  array(items: readonly unknown[]): BoardValue[] {
    const a = new this.intrinsics.Array<BoardValue>();
    for (const item of items) a.push(item);
    return a;
  }

  /** A deep copy of plain JSON data into the board's realm. */
  data<T>(value: T): T {
    return this.intrinsics.JSON.parse(JSON.stringify(value)) as T;
  }

  /** An Error of the board's realm; `type` names another board constructor (InternalError, TypeError…). */
  error(message: string, type = 'Error'): Error {
    const Ctor = (this.global[type] ?? this.intrinsics.Error) as ErrorConstructor;
    return new Ctor(message);
  }

  /** A board Uint8Array copied from host bytes. */
  uint8Array(bytes: ArrayLike<number>): Uint8Array {
    const u8 = new this.intrinsics.Uint8Array(bytes.length);
    u8.set(bytes);
    return u8;
  }

  /** Defines a global the way Espruino's built-ins are: writable, configurable, not enumerable. */
  defineGlobal(name: string, value: unknown): void {
    Object.defineProperty(this.global, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
