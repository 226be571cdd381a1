/**
 * The sensor-streaming application's settings (the `app` field of flash.config.json /
 * flash.local.json, handed to the board as FLASH_CONFIG.app), checked on the host before an
 * upload so a typo fails here, with the file and the field, rather than at boot.
 *
 * The board checks what it reads again at boot, by hand (firmware/app/config.ts: no library on
 * the board); test/flash/app-settings.test.ts holds the two to the same fields, bounds and defaults.
 */
import { BOARDS } from '../boards/index';
import { INTERVAL_MAX, INTERVAL_MIN } from '../firmware/app/wire';
import { says, z } from './config-schema';

/** A whole number of `min` to `max`, as the board checks it; `fallback` is the board's default. */
function whole(min: number, max: number, description: string, fallback?: number) {
  const rule = says(`must be a whole number from ${min} to ${max}`);
  const schema = z.number(rule).int(rule).min(min, rule).max(max, rule).describe(description);
  return fallback === undefined ? schema : schema.meta({ default: fallback });
}

/** The sensors `board` can read: its own readings, then its analog pins. */
export function sensorsOf(board: { sensors: string[]; analogPins: string[] }): string[] {
  return board.sensors.concat(board.analogPins);
}

/** Every sensor name some board has; the board in use allows its own (checked with the board known). */
export const SENSOR_NAMES = [...new Set(BOARDS.flatMap(sensorsOf))] as [string, ...string[]];

const TOKEN_RULE = says('must be up to 256 letters, digits or ._~+/=-');
const SENSORS_RULE = says('must be a list of 1 to 16 sensor names');
const ENCODING_RULE = says('must be "json" or "binary"');

/** The board's defaults (firmware/app/config.ts DEFAULTS), for the rules across fields and for editors. */
export const APP_DEFAULTS = {
  sampleInterval: 1000,
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
} as const;

const fields = z.strictObject(
  {
    sampleInterval: whole(INTERVAL_MIN, INTERVAL_MAX, 'Milliseconds between readings.', APP_DEFAULTS.sampleInterval),
    sensors: z
      .array(z.enum(SENSOR_NAMES, says(`must be one of ${SENSOR_NAMES.join(', ')}`)), SENSORS_RULE)
      .min(1, SENSORS_RULE)
      .max(16, SENSORS_RULE)
      .describe(
        `Sensors to read, by name; the board's own list by default (${BOARDS.map((b) => `${b.name}: ${b.sensors.join(', ')}`).join('; ')}), or analog pins.`,
      ),
    bufferCapacity: whole(
      1,
      100000,
      `Readings kept while offline or unacknowledged; beyond it the oldest are dropped. Default: the board's (${BOARDS.map((b) => `${b.name} ${b.readingCapacity}`).join(', ')}).`,
    ),
    encoding: z
      .enum(['json', 'binary'], ENCODING_RULE)
      .describe('Readings as JSON text, or in the compact binary layout.')
      .meta({ default: APP_DEFAULTS.encoding }),
    metricsInterval: whole(0, 86400000, 'Milliseconds between metrics messages; 0 for none.', APP_DEFAULTS.metricsInterval),
    pingInterval: whole(0, 3600000, 'Heartbeat: milliseconds between pings; 0 for none.', APP_DEFAULTS.pingInterval),
    pongTimeout: whole(100, 600000, 'Heartbeat: milliseconds to wait for the pong.', APP_DEFAULTS.pongTimeout),
    reconnectMinDelay: whole(10, 3600000, 'Reconnect backoff, shortest delay (ms).', APP_DEFAULTS.reconnectMinDelay),
    reconnectMaxDelay: whole(10, 3600000, 'Reconnect backoff, longest delay (ms); at least reconnectMinDelay.', APP_DEFAULTS.reconnectMaxDelay),
    fatalRetryMinDelay: whole(
      1000,
      86400000,
      'After a failure the client does not retry (401, 404, close 1008, …), shortest delay before a new connection (ms).',
      APP_DEFAULTS.fatalRetryMinDelay,
    ),
    fatalRetryMaxDelay: whole(
      1000,
      86400000,
      'Longest delay before a new connection after such a failure (ms); at least fatalRetryMinDelay.',
      APP_DEFAULTS.fatalRetryMaxDelay,
    ),
    window: whole(1, 1000, 'Readings sent and not yet acknowledged, at most.', APP_DEFAULTS.window),
    token: z
      .string(TOKEN_RULE)
      .max(256, TOKEN_RULE)
      .regex(/^[A-Za-z0-9._~+/=-]*$/, TOKEN_RULE)
      .describe('The sink\'s token for this device (sent as Authorization: Bearer); the top-level "token" sets it too.')
      .meta({ default: APP_DEFAULTS.token }),
  },
  says('must be an object of application settings, e.g. {"sampleInterval": 5000}'),
);

/** An upper bound below its lower bound, with the defaults filling what is not given, as the board sees it. */
function ordered(settings: { [field: string]: unknown }, ctx: z.RefinementCtx, low: keyof typeof APP_DEFAULTS, high: keyof typeof APP_DEFAULTS): void {
  const min = (settings[low] ?? APP_DEFAULTS[low]) as number;
  const max = (settings[high] ?? APP_DEFAULTS[high]) as number;
  if (max < min) ctx.addIssue({ code: 'custom', path: [high], input: max, message: `must be at least ${low} (${min})` });
}

/** The application settings as a file gives them: every field optional, the board fills in the rest. */
export const AppSettingsSchema = fields
  .partial()
  .superRefine((settings, ctx) => {
    ordered(settings, ctx, 'reconnectMinDelay', 'reconnectMaxDelay');
    ordered(settings, ctx, 'fatalRetryMinDelay', 'fatalRetryMaxDelay');
  })
  .describe("Settings of the sensor-streaming firmware (README, The sensor-streaming firmware); anything left out takes the board's default.");

export type AppSettings = z.output<typeof AppSettingsSchema>;
