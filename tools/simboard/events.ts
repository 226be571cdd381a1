/**
 * Espruino's EventEmitter, which every object has (src/jswrap_object.c): on / addListener /
 * prependListener / emit / removeListener / removeAllListeners on Object.prototype.
 *
 * As on the board:
 * - listeners live in an enumerable own property `"#on" + event` (so they show up in
 *   Object.keys and for…in); `on` stores a fresh array each time, natives may store a bare function;
 * - emit is asynchronous: the listeners are looked up now and run in a later idle pass;
 * - emit takes at most 4 arguments (`Too many arguments (>4)`);
 * - `on` returns undefined (no chaining).
 */
import type { BoardObject, BoardRealm, BoardValue } from './context.ts';
import type { BoardLoop } from './loop.ts';

const PREFIX = '#on';
const MAX_EMIT_ARGS = 4;

/** Emits events on board objects from the host side, as the board's natives do. */
export class BoardEvents {
  constructor(
    private readonly realm: BoardRealm,
    private readonly loop: BoardLoop,
  ) {}

  /** Installs the EventEmitter methods on the board's Object.prototype. */
  install(): void {
    const events = this;
    const realm = this.realm;
    const parent = (target: unknown): BoardObject => {
      if (target === null || (typeof target !== 'object' && typeof target !== 'function')) {
        throw realm.error('Parent must be an object - not a String, Integer, etc', 'TypeError');
      }
      return target as BoardObject;
    };
    const eventName = (event: unknown): string => {
      if (typeof event !== 'string') throw realm.error('First argument must be String', 'TypeError');
      return PREFIX + event;
    };
    const add = (target: unknown, event: unknown, listener: unknown, first: boolean): void => {
      const obj = parent(target);
      const key = eventName(event);
      if (typeof listener !== 'function' && typeof listener !== 'string') {
        throw realm.error('Second argument must be a function or a String', 'TypeError');
      }
      // A new array, so a listener added while the event is being handled is not called for it.
      const old = listenersOf(obj[key]);
      obj[key] = realm.array(first ? [listener, ...old] : [...old, listener]);
      events.loop.wake(); // a socket may be holding data back until a 'data' listener exists
    };
    realm.methods(realm.intrinsics.Object.prototype, {
      on(this: unknown, event: unknown, listener: unknown) {
        add(this, event, listener, false);
      },
      addListener(this: unknown, event: unknown, listener: unknown) {
        add(this, event, listener, false);
      },
      prependListener(this: unknown, event: unknown, listener: unknown) {
        add(this, event, listener, true);
      },
      emit(this: unknown, event: unknown, ...args: unknown[]) {
        const obj = parent(this);
        const key = eventName(event);
        if (args.length > MAX_EMIT_ARGS) throw realm.error(`Too many arguments (>${MAX_EMIT_ARGS})`, 'TypeError');
        events.queueListeners(obj, obj[key], args);
      },
      removeListener(this: unknown, event: unknown, listener: unknown) {
        const obj = parent(this);
        const list = obj[eventName(event)];
        if (!Array.isArray(list)) return; // a native's bare function is left alone, as on the board
        const index = list.indexOf(listener);
        if (index >= 0) list.splice(index, 1);
      },
      removeAllListeners(this: unknown, event?: unknown) {
        const obj = parent(this);
        if (event === undefined) {
          for (const key of Object.keys(obj)) if (key.startsWith(PREFIX)) delete obj[key];
        } else {
          delete obj[eventName(event)];
        }
      },
    });
  }

  /** Queues `event` on a board object, like a native calling jsiQueueObjectCallbacks. */
  emit(target: BoardObject, event: string, args: readonly unknown[] = []): void {
    this.queueListeners(target, target[PREFIX + event], args);
  }

  /** Whether a board object has at least one listener for `event`. */
  hasListener(target: BoardObject, event: string): boolean {
    return listenersOf(target[PREFIX + event]).length > 0;
  }

  private queueListeners(target: BoardObject, stored: BoardValue, args: readonly unknown[]): void {
    for (const listener of listenersOf(stored)) this.loop.queue(listener, target, args);
  }
}

function listenersOf(stored: BoardValue): BoardValue[] {
  if (Array.isArray(stored)) return [...stored];
  return stored === undefined || stored === null ? [] : [stored];
}
