/**
 * The device ↔ sink message protocol: parsing what a device sends (text JSON or binary readings)
 * and validating commands. Pure functions, no I/O, so tests and simulators can reuse them.
 */

/** Anything a device sent that does not follow the protocol. The sink counts and logs it. */
export class MalformedMessage extends Error {
  override name = 'MalformedMessage';
}

/** First message after every connect. */
export interface Hello {
  type: 'hello';
  device: string;
  board: string;
  boot: number;
  sensors: string[];
  encoding: 'json' | 'binary';
  interval: number;
}

/** One sample. A value is null when the device had no number for it (JSON has no NaN). */
export interface Reading {
  type: 'reading';
  device: string;
  boot: number;
  seq: number;
  time: number;
  values: { [sensor: string]: number | null };
}

/** Health figures a device reports now and then, or when asked with report-metrics. */
export interface Metrics {
  type: 'metrics';
  device: string;
  boot: number;
  rssi: number | null;
  freeVars: number | null;
  reconnects: number | null;
  dropped: number | null;
  rtt: number | null;
  uptime: number | null;
  buffered: number | null;
}

/** A device's reply to a command. */
export interface CommandAck { type: 'ack'; id: string }
export interface CommandError { type: 'error'; id: string | null; error: string }

export type DeviceMessage = Hello | Reading | Metrics | CommandAck | CommandError;

/** What the sink sends a device; `id` is added by the sink. */
export type Command =
  | { command: 'set-interval'; interval: number }
  | { command: 'report-metrics' };

/** Kind byte of a binary reading frame. */
export const BINARY_READING = 0x01;
/** Bytes before the float32 values: kind, seq, boot, time, n. */
export const BINARY_HEADER = 18;
/** Bounds for set-interval, in ms: faster floods a board, slower is a day. */
export const MIN_INTERVAL = 10;
export const MAX_INTERVAL = 86_400_000;

const MAX_ID = 64;
const UINT32 = 0xffffffff;

type Json = { [key: string]: unknown };

/** Parses one text frame from a device. Throws MalformedMessage for anything off-protocol. */
export function parseText(text: string): DeviceMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new MalformedMessage('bad JSON');
  }
  if (!isObject(data)) throw new MalformedMessage('not a JSON object');
  switch (data.type) {
    case 'hello': return hello(data);
    case 'reading': return reading(data);
    case 'metrics': return metrics(data);
    case 'ack':
      return { type: 'ack', id: str(data, 'id') };
    case 'error': {
      const id = data.id === null || data.id === undefined ? null : str(data, 'id');
      if (typeof data.error !== 'string') throw new MalformedMessage('error: "error" is not a string');
      return { type: 'error', id, error: data.error };
    }
    default:
      throw new MalformedMessage(`unknown type ${JSON.stringify(data.type ?? null).slice(0, 40)}`);
  }
}

/**
 * Decodes a binary reading frame, big-endian: kind 0x01 (1 byte), seq (uint32), boot (uint32),
 * time (float64 ms), n (1 byte), then n float32 values in the order of the hello's `sensors`.
 */
export function parseBinary(bytes: Uint8Array, device: string, sensors: readonly string[]): Reading {
  if (bytes.length < BINARY_HEADER) throw new MalformedMessage(`binary: ${bytes.length} bytes, shorter than the header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== BINARY_READING) throw new MalformedMessage(`binary: unknown kind 0x${view.getUint8(0).toString(16)}`);
  const n = view.getUint8(17);
  if (bytes.length !== BINARY_HEADER + 4 * n) throw new MalformedMessage(`binary: ${bytes.length} bytes for ${n} values`);
  if (n !== sensors.length) throw new MalformedMessage(`binary: ${n} values for ${sensors.length} sensors`);
  const seq = view.getUint32(1);
  const time = view.getFloat64(9);
  if (seq < 1) throw new MalformedMessage('binary: seq 0');
  if (!Number.isFinite(time)) throw new MalformedMessage('binary: time is not finite');
  const values: Reading['values'] = {};
  sensors.forEach((name, i) => {
    const value = view.getFloat32(BINARY_HEADER + 4 * i);
    values[name] = Number.isFinite(value) ? value : null;
  });
  return { type: 'reading', device, boot: view.getUint32(5), seq, time, values };
}

/** Encodes a reading as the device would in binary mode (for tests and simulated boards). */
export function encodeBinary(reading: { seq: number; boot: number; time: number; values: readonly number[] }): Uint8Array {
  const bytes = new Uint8Array(BINARY_HEADER + 4 * reading.values.length);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, BINARY_READING);
  view.setUint32(1, reading.seq);
  view.setUint32(5, reading.boot);
  view.setFloat64(9, reading.time);
  view.setUint8(17, reading.values.length);
  reading.values.forEach((v, i) => view.setFloat32(BINARY_HEADER + 4 * i, v));
  return bytes;
}

/** Validates a command body from the HTTP API; returns the clean command or an error message. */
export function parseCommand(body: unknown): Command | string {
  if (!isObject(body)) return 'body must be a JSON object';
  if (body.command === 'report-metrics') return { command: 'report-metrics' };
  if (body.command === 'set-interval') {
    const interval = body.interval;
    if (typeof interval !== 'number' || !Number.isInteger(interval) || interval < MIN_INTERVAL || interval > MAX_INTERVAL) {
      return `interval must be an integer from ${MIN_INTERVAL} to ${MAX_INTERVAL} ms`;
    }
    return { command: 'set-interval', interval };
  }
  return `unknown command ${JSON.stringify(body.command ?? null).slice(0, 40)}`;
}

function hello(data: Json): Hello {
  const sensors = data.sensors;
  if (!Array.isArray(sensors) || !sensors.every((s) => typeof s === 'string' && s.length > 0) || sensors.length > 255) {
    throw new MalformedMessage('hello: "sensors" must be an array of names');
  }
  if (data.encoding !== 'json' && data.encoding !== 'binary') throw new MalformedMessage('hello: "encoding" must be json or binary');
  const interval = data.interval;
  if (typeof interval !== 'number' || !(interval > 0)) throw new MalformedMessage('hello: "interval" must be a positive number');
  return {
    type: 'hello', device: deviceId(data), board: str(data, 'board'), boot: uint32(data, 'boot'),
    sensors: sensors as string[], encoding: data.encoding, interval,
  };
}

function reading(data: Json): Reading {
  const seq = uint32(data, 'seq');
  if (seq < 1) throw new MalformedMessage('reading: seq starts at 1');
  if (typeof data.time !== 'number' || !Number.isFinite(data.time)) throw new MalformedMessage('reading: "time" is not a number');
  const raw = data.values;
  if (!isObject(raw)) throw new MalformedMessage('reading: "values" is not an object');
  const values: Reading['values'] = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== null && typeof value !== 'number') throw new MalformedMessage(`reading: value of ${name} is not a number`);
    values[name] = value;
  }
  return { type: 'reading', device: deviceId(data), boot: uint32(data, 'boot'), seq, time: data.time, values };
}

function metrics(data: Json): Metrics {
  const num = (key: string): number | null => {
    const value = data[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new MalformedMessage(`metrics: "${key}" is not a number`);
    return value;
  };
  return {
    type: 'metrics', device: deviceId(data), boot: uint32(data, 'boot'), rssi: num('rssi'), freeVars: num('freeVars'),
    reconnects: num('reconnects'), dropped: num('dropped'), rtt: num('rtt'), uptime: num('uptime'), buffered: num('buffered'),
  };
}

function deviceId(data: Json): string {
  const id = str(data, 'device');
  if (id.length > MAX_ID) throw new MalformedMessage(`${data.type}: device id longer than ${MAX_ID}`);
  return id;
}

function str(data: Json, key: string): string {
  const value = data[key];
  if (typeof value !== 'string' || value.length === 0) throw new MalformedMessage(`${data.type}: "${key}" must be a non-empty string`);
  return value;
}

function uint32(data: Json, key: string): number {
  const value = data[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > UINT32) {
    throw new MalformedMessage(`${data.type}: "${key}" must be a uint32`);
  }
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
