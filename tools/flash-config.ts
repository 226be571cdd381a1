/**
 * Loads and validates the upload configuration for `npm run flash` (tools/flash.ts).
 *
 * Three layers, later ones winning field by field: the committed `flash.config.json`
 * (placeholders only), the git-ignored `flash.local.json` next to it, then environment
 * variables. Command-line flags (--board, --port, --baud) are applied on top by the caller.
 *
 * One schema, FlashFileSchema, says what a layer may hold: every check below comes from it, the
 * types are derived from it, and `flash.schema.json` (the JSON Schema editors read, `npm run
 * schema` writes it) is generated from it. Every error names the layer and the field, e.g.
 * `flash.config.json: "baud" must be a positive integer, got "fast"`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getBoard } from '../boards/index';
import { parseWsUrl } from '../protocol/index';
import { AppSettingsSchema, sensorsOf } from './app-settings';
import { DeviceId, fileMessage, says, show, TOKEN_PATTERN, validate, z, type Problem } from './config-schema';

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

const oneOf = (values: readonly string[]) => says(`must be one of ${values.join(', ')}`);
const BAUD_RULE = says('must be a positive integer');
const PORT_RULE = says('must be a string: a serial device such as /dev/ttyUSB0 or COM3, or tcp://host:23');
const TCP_RULE = says('must look like tcp://host or tcp://host:port');
const SSID_RULE = says('must be a non-empty string of at most 32 bytes');
const PASSWORD_RULE = says('must be a string of at most 64 characters ("" for an open network)');
const SERVER_RULE = says('must be a ws:// or wss:// URL');
const TOKEN_RULE = says("must be the sink's token for this device: 16 to 256 letters, digits or ._~+/=-");

/** Every field's rule, once: a layer's fields, the merged configuration's and the JSON Schema's come from these. */
const field = {
  board: z.enum(BOARDS, oneOf(BOARDS)).describe('The board the firmware is built for and uploaded to.'),
  port: z
    .string(PORT_RULE)
    .regex(/^(?!tcp:\/\/)|^tcp:\/\/[^:/\s]+(:\d{1,5})?$/, TCP_RULE)
    // An empty port is unset: the committed file says "" so that the field shows.
    .transform((port) => (port === '' ? undefined : port))
    .describe('Serial device (/dev/ttyUSB0, COM3) or tcp://host[:port] (the telnet console, port 23); "" for unset.'),
  baud: z.number(BAUD_RULE).int(BAUD_RULE).positive(BAUD_RULE).describe('Serial speed.').meta({ default: DEFAULT_BAUD }),
  save: z
    .enum(SAVE_MODES, oneOf(SAVE_MODES))
    .describe('"storage": the code goes to Storage as .bootcde and runs at every boot; "ram": until reset.')
    .meta({ default: DEFAULT_SAVE }),
  wifi: z
    .strictObject(
      {
        // Bytes, not characters: an SSID is at most 32 octets (IEEE 802.11).
        ssid: z
          .string(SSID_RULE)
          .min(1, SSID_RULE)
          .max(32, SSID_RULE)
          .refine((ssid) => Buffer.byteLength(ssid) <= 32, SSID_RULE)
          .describe('The network to join (at most 32 bytes).'),
        password: z.string(PASSWORD_RULE).max(64, PASSWORD_RULE).describe('Its password; "" for an open network.'),
      },
      says('must be an object {"ssid": …, "password": …}'),
    )
    .describe('The WiFi network the board joins.'),
  server: z
    .string(SERVER_RULE)
    .regex(/^wss?:\/\//i, SERVER_RULE)
    .refine(isWsUrl, SERVER_RULE)
    .describe("The sink's ws:// or wss:// URL (wss:// on esp32 only), e.g. ws://192.168.1.10:8080/ws."),
  deviceId: DeviceId.describe("This board's name at the sink: 1 to 32 letters, digits, '-', '_' or '.'."),
  app: AppSettingsSchema,
  telnet: z
    .boolean(says('must be true or false'))
    .describe("Leave Espruino's unauthenticated telnet console (port 23) open; see README, Security.")
    .meta({ default: false }),
  credentials: z
    .enum(CREDENTIAL_MODES, oneOf(CREDENTIAL_MODES))
    .describe('"code": the WiFi credentials go in the FLASH_CONFIG statement; "wifi-save": Espruino\'s Wifi.save() stores them.')
    .meta({ default: 'code' }),
  token: z
    .string(TOKEN_RULE)
    .regex(TOKEN_PATTERN, TOKEN_RULE)
    .describe("This device's sink token (tools/sink --add-device prints it); the firmware sends it as Authorization: Bearer."),
};

function isWsUrl(url: string): boolean {
  try {
    parseWsUrl(url);
    return true;
  } catch {
    return false;
  }
}

/**
 * What one layer (a file, the environment, the flags) may hold: every field optional, `wifi`
 * field by field. Keys starting with `_` ("_comment") document a file and are ignored.
 */
export const FlashFileSchema = z.strictObject(
  {
    $schema: z.string().describe('The JSON Schema of this file, for editors: "./flash.schema.json".').optional(),
    board: field.board.optional(),
    port: field.port.optional(),
    baud: field.baud.optional(),
    save: field.save.optional(),
    wifi: field.wifi.partial().optional(),
    server: field.server.optional(),
    deviceId: field.deviceId.optional(),
    app: field.app.optional(),
    telnet: field.telnet.optional(),
    credentials: field.credentials.optional(),
    token: field.token.optional(),
  },
  says('must be a JSON object'),
);
type Layer = z.output<typeof FlashFileSchema>;

/** The merged configuration: what a layer may hold, with the required fields required and the defaults filled in. */
const FlashConfigSchema = FlashFileSchema.omit({ $schema: true, token: true }).extend({
  board: field.board,
  baud: field.baud.default(DEFAULT_BAUD),
  save: field.save.default(DEFAULT_SAVE),
  wifi: field.wifi,
  server: field.server,
  deviceId: field.deviceId,
});

/** A complete, validated configuration. */
export type FlashConfig = z.output<typeof FlashConfigSchema>;
/** What the upload hands the firmware (see configPrelude in flash.ts). */
export type AppSettings = Pick<FlashConfig, 'wifi' | 'server' | 'deviceId' | 'app' | 'telnet' | 'credentials'>;

/** The JSON Schema of flash.config.json and flash.local.json, as `flash.schema.json` holds it. */
export function flashJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(FlashFileSchema, { io: 'input', target: 'draft-7' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'npm run flash settings (flash.config.json, flash.local.json)',
    description: 'Later layers win field by field: flash.config.json, flash.local.json, environment variables, flags. See README, Uploading to a board.',
    ...schema,
    // "_comment" and other "_" keys document the file; the loader skips them.
    patternProperties: { '^_': { description: 'A comment, ignored.' } },
  };
}

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
  const merged: Record<string, unknown> & { wifi?: Record<string, unknown> } = {};
  const apply = (layer: Layer, sourceOf: (field: string) => string): void => {
    for (const [name, value] of Object.entries(layer)) {
      // An empty port ("" in the committed file) reads as unset and leaves a lower layer's alone.
      if (value === undefined || name === '$schema') continue;
      if (name === 'wifi') {
        merged.wifi = { ...merged.wifi, ...(value as object) };
        for (const key of Object.keys(value as object)) sources[`wifi.${key}`] = sourceOf(`wifi.${key}`);
      } else {
        merged[name] = value;
        sources[name] = sourceOf(name);
      }
    }
  };

  apply(readLayer(configPath, label(configPath)), () => label(configPath));
  if (existsSync(localPath)) apply(readLayer(localPath, label(localPath)), () => label(localPath));
  const fromEnv = envLayer(env);
  apply(fromEnv, (name) => `environment variable ${envName(name)}`);
  apply(flagLayer(flags), (name) => `--${name}`);

  const config = complete(merged, label(configPath), sources);
  const settings: Record<string, string> = {
    'wifi.ssid': config.wifi.ssid,
    'wifi.password': config.wifi.password,
    server: config.server,
    deviceId: config.deviceId,
  };
  const placeholders = Object.entries(settings)
    .filter(([, value]) => isPlaceholder(value))
    .map(([name]) => name);
  return { config, placeholders, localPath };
}

/** Checks one layer against the schema; `sourceOf` names where the field at fault came from. */
function checkLayer(data: unknown, sourceOf: (problem: Problem) => string): Layer {
  const result = validate(FlashFileSchema, data);
  if (!result.ok) throw new ConfigError(fileMessage(sourceOf(result.problem), result.problem));
  return result.value;
}

/** Parses and checks one JSON file; every field is optional here. */
function readLayer(file: string, source: string): Layer {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${source}: not valid JSON (${(error as Error).message})`);
  }
  return checkFlashFile(data, source);
}

/**
 * Checks the parsed content of one settings file (`source` names it in errors); keys starting
 * with `_` ("_comment") document the file and are dropped.
 * @throws ConfigError naming the source and the field.
 */
export function checkFlashFile(data: unknown, source: string): Layer {
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
    data = Object.fromEntries(Object.entries(data).filter(([name]) => !name.startsWith('_')));
  }
  return checkLayer(data, () => source);
}

function envName(name: string): string {
  return Object.keys(ENV_VARS).find((variable) => ENV_VARS[variable] === name) ?? name;
}

/** The environment as a layer; an empty variable counts as unset. */
function envLayer(env: Record<string, string | undefined>): Layer {
  const data: Record<string, unknown> & { wifi?: Record<string, unknown> } = {};
  for (const [variable, name] of Object.entries(ENV_VARS)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const value = name === 'baud' ? numeric(raw) : raw;
    if (name.startsWith('wifi.')) data.wifi = { ...data.wifi, [name.slice(5)]: value };
    else data[name] = value;
  }
  return checkLayer(data, (problem) => `environment variable ${envName(problem.path)}`);
}

function flagLayer(flags: FlagOverrides): Layer {
  const data: Record<string, unknown> = {};
  if (flags.board !== undefined) data.board = flags.board;
  if (flags.port !== undefined) data.port = flags.port;
  if (flags.baud !== undefined) data.baud = numeric(flags.baud);
  return checkLayer(data, (problem) => `--${problem.path}`);
}

/** Applies defaults, requires what must be there, and runs the checks that need the merged result. */
function complete(merged: Record<string, unknown>, committed: string, sources: Record<string, string>): FlashConfig {
  const { token, ...rest } = merged;
  const result = validate(FlashConfigSchema, rest);
  // Every layer passed the field rules: what is left is a field no layer set.
  if (!result.ok) throw new ConfigError(fileMessage(committed, result.problem));
  const config = result.value;
  if (config.port === undefined) delete config.port;
  // The firmware reads the token as an application setting (firmware/app/config.ts).
  if (token !== undefined) config.app = { ...config.app, token: token as string };
  if (config.app) checkSensors(config, sources.app ?? committed);
  // Only the ESP32 build has TLS (shared/reference/espruino-platform.md §2.4).
  if (config.board === 'esp8266' && config.server.startsWith('wss:')) {
    throw new ConfigError(`${sources.server}: "server" is a wss:// URL, but esp8266 has no TLS; use ws:// (or board esp32), got ${show(config.server)}`);
  }
  return config;
}

/** The sensors the app names must be ones this board has: known only once the layers are merged. */
function checkSensors(config: FlashConfig, source: string): void {
  const board = getBoard(config.board);
  const known = sensorsOf(board);
  const sensors = config.app?.sensors ?? [];
  sensors.forEach((name, i) => {
    if (!known.includes(name)) {
      throw new ConfigError(
        fileMessage(source, {
          path: `app.sensors[${i}]`,
          segments: ['app', 'sensors', i],
          rule: `must be one of ${board.name}'s sensors: ${known.join(', ')}`,
          got: show(name),
        }),
      );
    }
  });
}

/** "123" -> 123 so that env vars and flags go through the same integer check; anything else stays a string. */
function numeric(raw: string): number | string {
  return /^\d+$/.test(raw) ? Number(raw) : raw;
}
