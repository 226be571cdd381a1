import { localError, parseWsUrl } from '../../protocol/index';
import { INTERVAL_MAX, INTERVAL_MIN } from './wire';

/** What the sensor-streaming application needs to know; validated by resolveAppConfig. */
export interface AppConfig {
  /** ws:// or wss:// URL of the sink. */
  server: string;
  /** Name of this device, 1–32 characters of letters, digits, '-', '_' and '.'. */
  deviceId: string;
  /** Milliseconds between readings. */
  sampleInterval: number;
  /** Sensors to read, by name (see the board's sensors). */
  sensors: string[];
  /** Readings kept while offline or unacknowledged; beyond it the oldest are dropped (and counted). */
  bufferCapacity: number;
  /** Readings as JSON text, or in the compact binary layout. */
  encoding: 'json' | 'binary';
  /** Milliseconds between metrics messages; 0 for none. */
  metricsInterval: number;
  /** Heartbeat: ms between pings, and ms to wait for the pong. */
  pingInterval: number;
  pongTimeout: number;
  /** Reconnect backoff bounds, ms. */
  reconnectMinDelay: number;
  reconnectMaxDelay: number;
  /**
   * After a failure the client does not retry (HTTP 400/401/403/404, close 1002/1003/1007–1010),
   * the app opens a new connection after a delay drawn like the backoff's, between these bounds, ms.
   */
  fatalRetryMinDelay: number;
  fatalRetryMaxDelay: number;
  /** Readings sent and not yet acknowledged at most. */
  window: number;
  /** The sink's token for this device, sent as `Authorization: Bearer <token>`; '' sends none. */
  token: string;
}

const DEFAULTS: AppConfig = {
  server: 'ws://127.0.0.1:8080/ws',
  deviceId: 'esp32-1',
  sampleInterval: 1000,
  // Replaced by the board's own list (BoardProfile.sensors).
  sensors: ['analog'],
  bufferCapacity: 256,
  encoding: 'json',
  metricsInterval: 10000,
  pingInterval: 15000,
  pongTimeout: 5000,
  reconnectMinDelay: 1000,
  reconnectMaxDelay: 30000,
  fatalRetryMinDelay: 60000,
  fatalRetryMaxDelay: 600000,
  window: 8,
  token: '',
};

/** Whole-number fields: [name, minimum, maximum]. */
const NUMBERS: [string, number, number][] = [
  ['sampleInterval', INTERVAL_MIN, INTERVAL_MAX],
  ['bufferCapacity', 1, 100000],
  ['metricsInterval', 0, 86400000],
  ['pingInterval', 0, 3600000],
  ['pongTimeout', 100, 600000],
  ['reconnectMinDelay', 10, 3600000],
  ['reconnectMaxDelay', 10, 3600000],
  ['fatalRetryMinDelay', 1000, 86400000],
  ['fatalRetryMaxDelay', 1000, 86400000],
  ['window', 1, 1000],
];

function bad(field: string, rule: string, value: unknown): Error {
  return localError('WS_ERR_BAD_CONFIG', `config field ${field} must be ${rule}, got ${JSON.stringify(value)}`);
}

/**
 * Fills defaults (the board's buffer capacity and sensors first) and checks every field; an
 * error names the field. `known` lists the sensors the board has.
 *
 * `npm run flash` checks the same settings before an upload, from its schema
 * (tools/app-settings.ts); the board still checks what it reads, since FLASH_CONFIG may also come
 * from the simulated board, `npm start` or a hand-written statement.
 * test/flash/app-settings.test.ts holds the two to the same fields, bounds and defaults.
 */
export function resolveAppConfig(given: { [field: string]: unknown }, known: string[], boardCapacity: number, boardSensors: string[]): AppConfig {
  const out = {} as { [field: string]: unknown };
  const defaults = DEFAULTS as unknown as { [field: string]: unknown };
  const fields = Object.keys(defaults);
  const names = Object.keys(given);
  for (let i = 0; i < names.length; i++) {
    if (fields.indexOf(names[i]) < 0 && given[names[i]] !== undefined) {
      throw localError('WS_ERR_BAD_CONFIG', `unknown config field ${names[i]} (known: ${fields.join(', ')})`);
    }
  }
  for (let i = 0; i < fields.length; i++) {
    out[fields[i]] = given[fields[i]] === undefined ? defaults[fields[i]] : given[fields[i]];
  }
  if (given.bufferCapacity === undefined) out.bufferCapacity = boardCapacity;
  if (given.sensors === undefined) out.sensors = boardSensors;
  for (let i = 0; i < NUMBERS.length; i++) {
    const field = NUMBERS[i];
    const value = out[field[0]];
    if (typeof value !== 'number' || Math.floor(value) !== value || value < field[1] || value > field[2]) {
      throw bad(field[0], `a whole number from ${field[1]} to ${field[2]}`, value);
    }
  }
  if ((out.reconnectMaxDelay as number) < (out.reconnectMinDelay as number))
    throw bad('reconnectMaxDelay', 'at least reconnectMinDelay', out.reconnectMaxDelay);
  if ((out.fatalRetryMaxDelay as number) < (out.fatalRetryMinDelay as number))
    throw bad('fatalRetryMaxDelay', 'at least fatalRetryMinDelay', out.fatalRetryMaxDelay);
  if (typeof out.server !== 'string') throw bad('server', 'a ws:// or wss:// URL', out.server);
  try {
    parseWsUrl(out.server as string);
  } catch (e) {
    throw bad('server', `a ws:// or wss:// URL (${(e as Error).message})`, out.server);
  }
  // Espruino's regular expressions have no {m,n}: the length is checked apart.
  const id = out.deviceId;
  if (typeof id !== 'string' || id.length < 1 || id.length > 32 || !/^[A-Za-z0-9_.\-]+$/.test(id)) {
    throw bad('deviceId', "1 to 32 letters, digits, '-', '_' or '.'", out.deviceId);
  }
  // RFC 6750 token68 characters: nothing that could break the handshake's header line.
  const token = out.token;
  if (typeof token !== 'string' || token.length > 256 || !/^[A-Za-z0-9._~+\/=-]*$/.test(token))
    throw bad('token', 'up to 256 letters, digits or ._~+/=-', token);
  if (out.encoding !== 'json' && out.encoding !== 'binary') throw bad('encoding', '"json" or "binary"', out.encoding);
  const sensors = out.sensors as string[];
  if (!(sensors instanceof Array) || sensors.length === 0 || sensors.length > 16) throw bad('sensors', 'a list of 1 to 16 sensor names', sensors);
  for (let i = 0; i < sensors.length; i++) {
    if (known.indexOf(sensors[i]) < 0) throw bad('sensors', `names from ${known.join(', ')}`, sensors[i]);
  }
  return out as unknown as AppConfig;
}
