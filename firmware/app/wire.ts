/**
 * The device ↔ sink wire format: the one definition the board application, the sink
 * (tools/sink) and the tests share, so the sink refuses exactly what a device would refuse.
 *
 * Text frames are JSON objects with a `type`; readings may also travel as binary frames (see
 * encodeReading). The device speaks first, on every connection:
 *
 *   device → sink  hello, reading (JSON or binary), metrics, ack / error (replies to commands)
 *   sink → device  ack (cumulative, by seq), command (set-interval, report-metrics)
 *
 * This file runs on the board: board-code rules apply (no Map/Set, spread, default parameters,
 * Number.isInteger…), and the types cost nothing there. The sink's strict parsing of what a
 * device sends lives on the host (tools/sink/decode.ts) and builds on these definitions.
 */

/** The WebSocket subprotocol the device asks for. */
export const SUBPROTOCOL = 'sensors.v1';

/** First message after every connect. */
export interface Hello {
  type: 'hello';
  device: string;
  board: string;
  /** Random per boot: a new boot restarts the seq count. */
  boot: number;
  sensors: string[];
  encoding: 'json' | 'binary';
  /** Sample interval, ms. */
  interval: number;
}

/** One sample. A value is null when the device had no number for it (JSON has no NaN). */
export interface Reading {
  type: 'reading';
  device: string;
  boot: number;
  /** 1, 2, 3… within a boot. */
  seq: number;
  /** Wall-clock ms since 1970, as good as the device's clock is. */
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
  /** The last failure the client would not retry (HTTP status, else close code), or null. */
  fatal: { code: number; message: string } | null;
}

/** The device's replies to a command. */
export interface CommandAck {
  type: 'ack';
  id: string;
}
export interface CommandError {
  type: 'error';
  id: string | null;
  error: string;
}

/** The sink's cumulative acknowledgement: every reading up to `seq` is stored. */
export interface ReadingAck {
  type: 'ack';
  seq: number;
}

/** What the sink may ask of a device. */
export type Command = { command: 'set-interval'; interval: number } | { command: 'report-metrics' };

/** A command as sent: the sink adds the type and an id the reply carries back. */
export type CommandMessage = Command & { type: 'command'; id: string };

/** Kind byte of a binary reading frame. */
export const BINARY_READING = 0x01;
/** Bytes before the float32 values: kind, seq, boot, time, n. */
export const BINARY_HEADER = 18;

/** Bounds of the sample interval, ms: faster floods a board, slower than a day is a mistake. */
export const INTERVAL_MIN = 50;
export const INTERVAL_MAX = 86400000;

/**
 * Why a device refuses `message` as a command, naming the field; '' when it accepts it.
 * The device answers with this text in an error reply; the sink refuses the same command up front.
 */
export function commandError(message: { [field: string]: unknown }): string {
  if (message.command === 'report-metrics') return '';
  if (message.command !== 'set-interval') return 'unknown command ' + JSON.stringify(message.command);
  const interval = message.interval;
  if (typeof interval !== 'number' || Math.floor(interval) !== interval || interval < INTERVAL_MIN || interval > INTERVAL_MAX) {
    return 'set-interval: "interval" must be a whole number of ms from ' + INTERVAL_MIN + ' to ' + INTERVAL_MAX + ', got ' + JSON.stringify(interval);
  }
  return '';
}

/**
 * A reading as a binary frame, big-endian: kind 0x01 (1 byte), seq (uint32), boot (uint32),
 * time (float64 ms), n (1 byte), then n float32 values in the order of the hello's `sensors`.
 */
export function encodeReading(seq: number, boot: number, time: number, values: ArrayLike<number>): Uint8Array {
  const n = values.length;
  const bytes = new Uint8Array(BINARY_HEADER + 4 * n);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, BINARY_READING);
  view.setUint32(1, seq, false);
  view.setUint32(5, boot, false);
  view.setFloat64(9, time, false);
  view.setUint8(17, n);
  for (let i = 0; i < n; i++) view.setFloat32(BINARY_HEADER + 4 * i, values[i], false);
  return bytes;
}
