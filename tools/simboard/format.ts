/**
 * How the board's console shows values: print / console.log and `Uncaught …` lines.
 * Close to Espruino's output (`[ 1, 2 ]`, `{ "a": 1 }`, `new Uint8Array([1, 2])`), not exact.
 */
import { types } from 'node:util';

const MAX_DEPTH = 4;

/** One argument of print / console.log: strings as they are, anything else described. */
export function formatArgument(value: unknown): string {
  return typeof value === 'string' ? value : describe(value, 0, []);
}

/** The text after `Uncaught ` (Espruino prints the value with `%v`: Errors as "Name: message"). */
export function formatUncaught(value: unknown): string {
  if (isErrorLike(value)) return errorText(value);
  try {
    return String(value);
  } catch {
    return describe(value, 0, []);
  }
}

function isErrorLike(value: unknown): value is { name?: unknown; message?: unknown } {
  return types.isNativeError(value) || (typeof value === 'object' && value !== null && 'message' in value && 'name' in value);
}

function errorText(error: { name?: unknown; message?: unknown }): string {
  const name = typeof error.name === 'string' ? error.name : 'Error';
  return error.message === undefined || error.message === '' ? name : `${name}: ${String(error.message)}`;
}

function describe(value: unknown, depth: number, seen: object[]): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return value.name ? `function ${value.name}() {...}` : 'function () {...}';
  if (typeof value !== 'object' || value === null) return String(value);
  if (seen.includes(value)) return '~';
  if (depth >= MAX_DEPTH) return '...';
  const inner = [...seen, value];
  if (isErrorLike(value)) return errorText(value);
  if (types.isTypedArray(value)) {
    const name = Object.prototype.toString.call(value).slice(8, -1);
    return `new ${name}([${Array.prototype.join.call(value, ', ')}])`;
  }
  if (types.isArrayBuffer(value)) return `new Uint8Array([${new Uint8Array(value).join(', ')}]).buffer`;
  if (Array.isArray(value)) return `[ ${value.map((v) => describe(v, depth + 1, inner)).join(', ')} ]`;
  const entries = Object.keys(value).map((k) => `${JSON.stringify(k)}: ${describe((value as Record<string, unknown>)[k], depth + 1, inner)}`);
  return `{ ${entries.join(', ')} }`;
}
