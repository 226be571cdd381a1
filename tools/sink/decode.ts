/**
 * The sink's side of the device ↔ sink wire format (firmware/app/wire.ts, shared with the board
 * application): strict parsing of what a device sends (text JSON or binary readings) and
 * validation of commands with the device's own rules. Pure functions, no I/O.
 */
import {
  BINARY_HEADER,
  BINARY_READING,
  commandError,
  encodeReading,
  INTERVAL_MAX,
  INTERVAL_MIN,
  type Command,
  type CommandAck,
  type CommandError,
  type Hello,
  type Metrics,
  type Reading,
} from '../../firmware/app/wire';

export { BINARY_HEADER, BINARY_READING, INTERVAL_MAX, INTERVAL_MIN };
export type { Command, CommandAck, CommandError, CommandMessage, Hello, Metrics, Reading, ReadingAck } from '../../firmware/app/wire';

/** Anything a device sent that does not follow the protocol. The sink counts and logs it. */
export class MalformedMessage extends Error {
  override name = 'MalformedMessage';
}

export type DeviceMessage = Hello | Reading | Metrics | CommandAck | CommandError;

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
    case 'hello':
      return hello(data);
    case 'reading':
      return reading(data);
    case 'metrics':
      return metrics(data);
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

/** Encodes a reading as the device does in binary mode (for tests and simulated boards). */
export function encodeBinary(reading: { seq: number; boot: number; time: number; values: readonly number[] }): Uint8Array {
  return encodeReading(reading.seq, reading.boot, reading.time, reading.values);
}

/**
 * Validates a command body from the HTTP API with the device's own rules (wire.ts
 * commandError); returns the clean command or an error message naming the field.
 */
export function parseCommand(body: unknown): Command | string {
  if (!isObject(body)) return 'body must be a JSON object';
  const refused = commandError(body);
  if (refused !== '') return refused;
  if (body.command === 'set-interval') return { command: 'set-interval', interval: body.interval as number };
  return { command: 'report-metrics' };
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
    type: 'hello',
    device: deviceId(data),
    board: str(data, 'board'),
    boot: uint32(data, 'boot'),
    sensors: sensors as string[],
    encoding: data.encoding,
    interval,
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

/** The metrics' last fatal failure: {code, message}, or null (absent from older firmware). */
function fatalOf(value: unknown): Metrics['fatal'] {
  if (value === undefined || value === null) return null;
  const fatal = value as { code?: unknown; message?: unknown };
  if (!isObject(value) || typeof fatal.code !== 'number' || typeof fatal.message !== 'string') {
    throw new MalformedMessage('metrics: "fatal" is not {code, message}');
  }
  return { code: fatal.code, message: fatal.message };
}

function metrics(data: Json): Metrics {
  const num = (key: string): number | null => {
    const value = data[key];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new MalformedMessage(`metrics: "${key}" is not a number`);
    return value;
  };
  return {
    type: 'metrics',
    device: deviceId(data),
    boot: uint32(data, 'boot'),
    rssi: num('rssi'),
    freeVars: num('freeVars'),
    reconnects: num('reconnects'),
    dropped: num('dropped'),
    rtt: num('rtt'),
    uptime: num('uptime'),
    buffered: num('buffered'),
    fatal: fatalOf(data.fatal),
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
