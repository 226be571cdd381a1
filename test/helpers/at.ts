/**
 * Checked reads for tests: a test that reads an element or capture it did not get fails with
 * a message naming what was missing, not with a TypeError a few lines further on.
 */

/** `list[index]` (negative counts from the end, as Array.prototype.at); throws naming `what` when absent. */
export function at<T>(list: ArrayLike<T | undefined>, index: number, what = 'list'): T {
  const value = list[index < 0 ? list.length + index : index];
  if (value === undefined) throw new Error(`${what}: no element ${index} (it has ${list.length})`);
  return value;
}

/** Capture group `group` (default 1) of `pattern` in `text`; throws naming `what` when the pattern or group is absent. */
export function capture(pattern: RegExp, text: string, what: string, group = 1): string {
  const match = pattern.exec(text);
  if (!match) throw new Error(`${what}: ${pattern} does not match ${JSON.stringify(text.slice(0, 200))}`);
  const value = match[group];
  if (value === undefined) throw new Error(`${what}: ${pattern} matched without group ${group}`);
  return value;
}

/** `record[key]` (own entries only); throws naming `what` and the keys it has when absent. */
export function entry<T>(record: Readonly<Record<string, T | undefined>>, key: string, what = 'record'): T {
  const value = Object.hasOwn(record, key) ? record[key] : undefined;
  if (value === undefined) throw new Error(`${what}: no entry "${key}" (it has ${Object.keys(record).join(', ') || 'none'})`);
  return value;
}
