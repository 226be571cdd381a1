/**
 * Host-side configuration checks, on zod: each configuration has one schema, which gives its
 * TypeScript type (z.output), its checks and, for the files users edit, the JSON Schema their
 * editors read (z.toJSONSchema). Board code checks its own settings by hand (no library there).
 *
 * Every rule carries one message that says the whole rule, given to each of its checks, so the
 * error reads the same whichever check failed. A problem names where the value came from, the
 * field as a JSON path, what was expected and what was found:
 *   flash.local.json: "wifi.ssid" must be a non-empty string of at most 32 bytes, got ""
 */
import * as z from 'zod';

export { z };

/** The `error` option of a check: `z.string(says(rule)).min(1, says(rule))`. */
export function says(rule: string): { error: string } {
  return { error: rule };
}

/** Token characters (RFC 6750 token68, as the firmware checks them) and a length that resists guessing. */
export const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]{16,256}$/;
const TOKEN_RULE = 'must be a token of 16 to 256 letters, digits or ._~+/=-';
/** A device's or the sink admin's token. */
export const Token = z.string(says(TOKEN_RULE)).regex(TOKEN_PATTERN, says(TOKEN_RULE));

/** Device ids as the firmware accepts them (firmware/app/config.ts) and the sink's token file keys them. */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;
export const DEVICE_ID_RULE = "must be 1 to 32 letters, digits, '-', '_' or '.'";
export const DeviceId = z.string(says(DEVICE_ID_RULE)).regex(DEVICE_ID_PATTERN, says(DEVICE_ID_RULE));

/** The first thing wrong with a value, as a schema found it. */
export interface Problem {
  /** The field as a JSON path (`wifi.ssid`, `app.sensors[1]`); '' for the value itself. */
  path: string;
  /** The path's segments, for callers that map fields to their own names (variables, flags). */
  segments: PropertyKey[];
  /** What is wrong, as a phrase after the field: `must be …`, `is required; it must be …`. */
  rule: string;
  /** The value found, as JSON; undefined when there is none (a missing field, a rule across fields). */
  got?: string | undefined;
  /** For an unknown field: its name and the fields known there. */
  unknown?: { field: string; known: string[] };
}

/** `wifi.ssid`, `app.sensors[1]`: a JSON path without the leading `$.`. */
export function jsonPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

export function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Validates `value`; returns the parsed value, or the first problem. */
export function validate<S extends z.ZodType>(schema: S, value: unknown): { ok: true; value: z.output<S> } | { ok: false; problem: Problem } {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  if (issue === undefined) throw new Error('validate: zod failed the value without saying why (no issue)');
  return { ok: false, problem: problemOf(schema, issue) };
}

function problemOf(schema: z.ZodType, issue: z.core.$ZodIssue): Problem {
  const segments = issue.path;
  const path = jsonPath(segments);
  const hasInput = issue.input !== undefined;
  if (issue.code === 'unrecognized_keys') {
    const field = issue.keys[0];
    if (field === undefined) throw new Error(`validate: zod reported unrecognized keys at "${path}" without naming one`);
    return { path, segments, rule: 'is not a known field', unknown: { field: jsonPath([...segments, field]), known: knownFields(schema, segments) } };
  }
  if (issue.code === 'invalid_key') {
    // A record's key (a device id in the sink's token file): the key's own rule says what is wrong.
    const inner = issue.issues[0];
    const parent = segments.slice(0, -1);
    return {
      path: jsonPath(parent),
      segments: parent,
      rule: `has a key that ${inner ? inner.message : 'is not allowed'}`,
      got: show(segments[segments.length - 1]),
    };
  }
  if (issue.code === 'invalid_type' && !hasInput) return { path, segments, rule: `is required; it ${issue.message}` };
  return { path, segments, rule: issue.message, got: hasInput ? show(issue.input) : undefined };
}

/** The field names an object schema at `segments` knows, in its order; names starting with `$` are for tools. */
function knownFields(schema: z.ZodType, segments: readonly PropertyKey[]): string[] {
  let at: z.ZodType | undefined = schema;
  for (const segment of [...segments, null]) {
    at = unwrap(at);
    if (segment === null) break;
    if (at instanceof z.ZodObject) at = at.shape[segment as string] as z.ZodType | undefined;
    else if (at instanceof z.ZodRecord) at = at.valueType as z.ZodType;
    else if (at instanceof z.ZodArray) at = at.element as z.ZodType;
    else at = undefined;
  }
  if (!(at instanceof z.ZodObject)) return [];
  const prefix = jsonPath(segments);
  return Object.keys(at.shape)
    .filter((name) => !name.startsWith('$'))
    .map((name) => (prefix === '' ? name : `${prefix}.${name}`));
}

/** The schema under optional, default, pipe and refinement wrappers. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let at = schema;
  for (;;) {
    if (at instanceof z.ZodOptional || at instanceof z.ZodDefault || at instanceof z.ZodNullable) at = at.unwrap() as z.ZodType;
    else if (at instanceof z.ZodPipe) at = at.in as z.ZodType;
    else return at;
  }
}

/**
 * A problem in a file (or other named source), the project's one format:
 * `flash.local.json: "baud" must be a positive integer, got "fast"`,
 * `flash.config.json: unknown field "bauds" (known: board, port, …)`.
 */
export function fileMessage(source: string, problem: Problem): string {
  if (problem.unknown) return `${source}: unknown field "${problem.unknown.field}" (known: ${problem.unknown.known.join(', ')})`;
  const subject = problem.path === '' ? `${source}:` : `${source}: "${problem.path}"`;
  return `${subject} ${problem.rule}${problem.got === undefined ? '' : `, got ${problem.got}`}`;
}
