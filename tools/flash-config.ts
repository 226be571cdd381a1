/**
 * Loads and validates the upload configuration for `npm run flash` (tools/flash.ts).
 *
 * Three layers, later ones winning field by field: the committed `flash.config.json`
 * (placeholders only), the git-ignored `flash.local.json` next to it, then environment
 * variables. Command-line flags (--board, --port, --baud) are applied on top by the caller.
 * Every error names the layer and the field, e.g.
 * `flash.config.json: "baud" must be a positive integer, got "fast"`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getBoard } from '../boards/index';
import { resolveAppConfig } from '../firmware/app/config';

/** Boards the build and the upload know about. */
export const BOARDS = ['esp32', 'esp8266'] as const;
export type BoardName = (typeof BOARDS)[number];

/**
 * Where the application goes: `storage` = written to Storage as `.bootcde`, runs at every
 * boot (Espruino CLI SAVE_ON_SEND=1); `ram` = executed as it is sent, lost on reset (SAVE_ON_SEND=0).
 */
export const SAVE_MODES = ['storage', 'ram'] as const;
export type SaveMode = (typeof SAVE_MODES)[number];

/**
 * Where the WiFi credentials go: `code` = in the FLASH_CONFIG statement in front of the
 * firmware (so inside `.bootcde` in storage mode); `wifi-save` = saved by Espruino's own
 * `Wifi.save()` (Storage file `.wificfg`, applied by Espruino at boot), the firmware carries none.
 */
export const CREDENTIAL_MODES = ['code', 'wifi-save'] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

export const DEFAULT_BAUD = 115200;
export const DEFAULT_SAVE: SaveMode = 'storage';

/** The application's settings, handed to the firmware by the upload (see configPrelude in flash.ts). */
export interface AppSettings {
  wifi: { ssid: string; password: string };
  /** ws:// or wss:// URL of the server. */
  server: string;
  deviceId: string;
  /** More application settings (sampleInterval, sensors, encoding, …: firmware/app/config.ts). */
  app?: Record<string, unknown>;
  /** Leave Espruino's unauthenticated telnet console (port 23) open; default false. */
  telnet?: boolean;
  /** Where the WiFi credentials go (default `code`). */
  credentials?: CredentialMode;
  /** This device's sink token (tools/sink --add-device prints it); sent as Authorization: Bearer. */
  token?: string;
}

/** A complete, validated configuration. */
export interface FlashConfig extends AppSettings {
  board: BoardName;
  /** Serial device (/dev/ttyUSB0, COM3) or `tcp://host[:port]` (telnet console, port 23); undefined if unset. */
  port?: string | undefined;
  baud: number;
  save: SaveMode;
}

/** The fields a layer may set; `wifi` may be partial (only `password`, say). */
type Layer = Partial<Omit<FlashConfig, 'wifi'>> & { wifi?: Partial<AppSettings['wifi']> };

/** Command-line overrides, as typed by the user. */
export interface FlagOverrides {
  board?: string | undefined;
  port?: string | undefined;
  baud?: string | undefined;
}

/** What loadFlashConfig found. */
export interface LoadedConfig {
  config: FlashConfig;
  /** Fields still holding a placeholder value (see isPlaceholder), e.g. `wifi.ssid`. */
  placeholders: string[];
  /** The local override file's path, whether or not it exists. */
  localPath: string;
}

/** A user-facing configuration problem; the message is complete and names the source. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Environment variables and the field each one sets. */
export const ENV_VARS: Readonly<Record<string, string>> = {
  FLASH_BOARD: 'board',
  FLASH_PORT: 'port',
  FLASH_BAUD: 'baud',
  FLASH_SAVE: 'save',
  FLASH_CREDENTIALS: 'credentials',
  WIFI_SSID: 'wifi.ssid',
  WIFI_PASSWORD: 'wifi.password',
  WS_SERVER_URL: 'server',
  DEVICE_ID: 'deviceId',
};

const FIELDS = ['board', 'port', 'baud', 'save', 'wifi', 'server', 'deviceId', 'app', 'telnet', 'credentials', 'token'];

/** Placeholder values in the committed file all contain `YOUR_` (e.g. "YOUR_WIFI_SSID"). */
export function isPlaceholder(value: string): boolean {
  return value.includes('YOUR_');
}

/**
 * Reads `configPath`, the `flash.local.json` beside it, then `env`, then `flags`.
 * @throws ConfigError naming the file (or variable, or flag) and field at fault.
 */
export function loadFlashConfig(configPath: string, env: Record<string, string | undefined>, flags: FlagOverrides = {}): LoadedConfig {
  const localPath = path.join(path.dirname(configPath), 'flash.local.json');
  const label = (file: string): string => path.basename(file);
  if (!existsSync(configPath)) throw new ConfigError(`config file not found: ${label(configPath)}`);

  const sources: Record<string, string> = {}; // field -> where its current value came from
  const merged: Layer = {};
  const apply = (layer: Layer, sourceOf: (field: string) => string): void => {
    for (const [field, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (field === 'wifi') {
        merged.wifi = { ...merged.wifi, ...(value as Layer['wifi']) };
        for (const key of Object.keys(value as object)) sources[`wifi.${key}`] = sourceOf(`wifi.${key}`);
      } else {
        (merged as Record<string, unknown>)[field] = value;
        sources[field] = sourceOf(field);
      }
    }
  };

  apply(readLayer(configPath, label(configPath)), () => label(configPath));
  if (existsSync(localPath)) apply(readLayer(localPath, label(localPath)), () => label(localPath));
  const fromEnv = envLayer(env);
  apply(fromEnv.layer, (field) => fromEnv.names[field]);
  const fromFlags = flagLayer(flags);
  apply(fromFlags, (field) => `--${field}`);

  const config = complete(merged, label(configPath), sources);
  const settings: Record<string, string> = {
    'wifi.ssid': config.wifi.ssid, 'wifi.password': config.wifi.password, server: config.server, deviceId: config.deviceId,
  };
  const placeholders = Object.keys(settings).filter((field) => isPlaceholder(settings[field]));
  return { config, placeholders, localPath };
}

/** Parses and checks one JSON file; every field is optional here. */
function readLayer(file: string, source: string): Layer {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  if (!isObject(data)) throw new ConfigError(`${source}: must be a JSON object`);
  const layer: Layer = {};
  for (const [field, value] of Object.entries(data)) {
    if (field.startsWith('_')) continue; // "_comment" keys document the file
    if (!FIELDS.includes(field)) throw new ConfigError(`${source}: unknown field "${field}" (known: ${FIELDS.join(', ')})`);
    if (field === 'wifi') {
      if (!isObject(value)) throw new ConfigError(`${source}: "wifi" must be an object {"ssid": …, "password": …}, got ${show(value)}`);
      const wifi: Layer['wifi'] = {};
      for (const [key, item] of Object.entries(value)) {
        if (key !== 'ssid' && key !== 'password') throw new ConfigError(`${source}: unknown field "wifi.${key}" (known: wifi.ssid, wifi.password)`);
        wifi[key] = checkField(`wifi.${key}`, item, source) as string;
      }
      layer.wifi = wifi;
    } else {
      (layer as Record<string, unknown>)[field] = checkField(field, value, source);
    }
  }
  return layer;
}

/** The environment as a layer, plus which variable set each field. */
function envLayer(env: Record<string, string | undefined>): { layer: Layer; names: Record<string, string> } {
  const layer: Layer = {};
  const names: Record<string, string> = {};
  for (const [name, field] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const value = checkField(field, field === 'baud' ? numeric(raw) : raw, `environment variable ${name}`);
    names[field] = `environment variable ${name}`;
    if (field.startsWith('wifi.')) layer.wifi = { ...layer.wifi, [field.slice(5)]: value as string };
    else (layer as Record<string, unknown>)[field] = value;
  }
  return { layer, names };
}

function flagLayer(flags: FlagOverrides): Layer {
  const layer: Layer = {};
  if (flags.board !== undefined) layer.board = checkField('board', flags.board, '--board') as BoardName;
  if (flags.port !== undefined) layer.port = checkField('port', flags.port, '--port') as string;
  if (flags.baud !== undefined) layer.baud = checkField('baud', numeric(flags.baud), '--baud') as number;
  return layer;
}

/** Checks one field's value; returns it (an empty port becomes undefined, i.e. unset). */
function checkField(field: string, value: unknown, source: string): unknown {
  const fail = (rule: string): never => {
    throw new ConfigError(`${source}: "${field}" ${rule}, got ${show(value)}`);
  };
  switch (field) {
    case 'board':
      if (!BOARDS.includes(value as BoardName)) fail(`must be one of ${BOARDS.join(', ')}`);
      return value;
    case 'save':
      if (!SAVE_MODES.includes(value as SaveMode)) fail(`must be one of ${SAVE_MODES.join(', ')}`);
      return value;
    case 'credentials':
      if (!CREDENTIAL_MODES.includes(value as CredentialMode)) fail(`must be one of ${CREDENTIAL_MODES.join(', ')}`);
      return value;
    case 'baud':
      if (!Number.isInteger(value) || (value as number) <= 0) fail('must be a positive integer');
      return value;
    case 'port':
      if (typeof value !== 'string') fail('must be a string: a serial device such as /dev/ttyUSB0 or COM3, or tcp://host:23');
      if ((value as string).startsWith('tcp://') && !/^tcp:\/\/[^:/\s]+(:\d{1,5})?$/.test(value as string)) fail('must look like tcp://host or tcp://host:port');
      return value === '' ? undefined : value;
    case 'wifi.ssid':
      if (typeof value !== 'string' || value === '' || Buffer.byteLength(value) > 32) fail('must be a non-empty string of at most 32 bytes');
      return value;
    case 'wifi.password':
      if (typeof value !== 'string' || value.length > 64) fail('must be a string of at most 64 characters ("" for an open network)');
      return value;
    case 'server': {
      let protocol = '';
      try {
        protocol = new URL(value as string).protocol;
      } catch {
        // reported below
      }
      if (typeof value !== 'string' || (protocol !== 'ws:' && protocol !== 'wss:')) fail('must be a ws:// or wss:// URL');
      return value;
    }
    case 'deviceId':
      if (typeof value !== 'string' || value === '') fail('must be a non-empty string');
      return value;
    case 'app':
      if (!isObject(value)) fail('must be an object of application settings, e.g. {"sampleInterval": 5000}');
      return value;
    case 'token':
      if (typeof value !== 'string' || !/^[A-Za-z0-9._~+/=-]{16,256}$/.test(value)) fail('must be the sink\'s token for this device: 16 to 256 letters, digits or ._~+/=-');
      return value;
    case 'telnet':
      if (typeof value !== 'boolean') fail('must be true or false');
      return value;
  }
  throw new Error(`checkField: no rule for ${field}`);
}

/** Applies defaults and the checks that need the merged result. */
function complete(layer: Layer, committed: string, sources: Record<string, string>): FlashConfig {
  const missing = (field: string): never => {
    throw new ConfigError(`${committed}: "${field}" is required`);
  };
  const config: FlashConfig = {
    board: layer.board ?? missing('board'),
    port: layer.port,
    baud: layer.baud ?? DEFAULT_BAUD,
    save: layer.save ?? DEFAULT_SAVE,
    wifi: { ssid: layer.wifi?.ssid ?? missing('wifi.ssid'), password: layer.wifi?.password ?? missing('wifi.password') },
    server: layer.server ?? missing('server'),
    deviceId: layer.deviceId ?? missing('deviceId'),
  };
  if (layer.app !== undefined) config.app = layer.app;
  if (layer.telnet !== undefined) config.telnet = layer.telnet;
  if (layer.credentials !== undefined) config.credentials = layer.credentials;
  // The firmware reads the token as an application setting (firmware/app/config.ts).
  if (layer.token !== undefined) config.app = { ...config.app, token: layer.token };
  if (config.app) checkApp(config, sources.app ?? committed);
  // Only the ESP32 build has TLS (shared/reference/espruino-platform.md §2.4).
  if (config.board === 'esp8266' && config.server.startsWith('wss:')) {
    throw new ConfigError(`${sources.server}: "server" is a wss:// URL, but esp8266 has no TLS; use ws:// (or board esp32), got ${show(config.server)}`);
  }
  return config;
}

/** "123" -> 123 so that env vars and flags go through the same integer check; anything else stays a string. */
function numeric(raw: string): number | string {
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Checks the application settings here, as the board will, so a typo fails before the upload. */
function checkApp(config: FlashConfig, source: string): void {
  const board = getBoard(config.board);
  const sensors = board.sensors.concat(board.analogPins);
  // Placeholders are reported on their own (a dry run allows them): check the rest.
  const given = { ...config.app, server: isPlaceholder(config.server) ? 'ws://127.0.0.1/' : config.server, deviceId: isPlaceholder(config.deviceId) ? 'placeholder' : config.deviceId };
  try {
    resolveAppConfig(given, sensors, board.readingCapacity, board.sensors);
  } catch (error) {
    throw new ConfigError(`${source}: "app": ${(error as Error).message}`);
  }
}
