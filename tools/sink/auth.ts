/**
 * Who may talk to the sink. Each device has its own token, sent with the WebSocket handshake as
 * `Authorization: Bearer <token>`; the dashboard and the JSON API need the admin token. Tokens
 * live in a JSON file (mode 0600) the sink reads at start:
 *
 *   { "admin": "<token>", "devices": { "esp32-1": "<token>", "esp8266-garage": "<token>" } }
 *
 * `npx tsx tools/sink/index.ts --tokens sink-tokens.json --add-device esp32-1` creates the file
 * (with an admin token) when needed, adds the device and prints its token for flash.local.json.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { DEVICE_ID_RULE, DeviceId, fileMessage, says, Token, validate, z } from '../config-schema';

/** The token file: the admin token and each device's token; one schema gives its checks and its type. */
export const SinkTokensSchema = z
  .strictObject(
    {
      admin: Token,
      devices: z.record(DeviceId, Token, says('must be an object of device id to token')).default({}),
    },
    says('must be a JSON object {"admin": …, "devices": {…}}'),
  )
  .superRefine((tokens, ctx) => {
    const seen = new Map<string, string>();
    for (const [device, token] of Object.entries(tokens.devices)) {
      // One token, one device: otherwise a token would not say which device is talking.
      const other = seen.get(token);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['devices', device], message: `has the same token as "devices.${other}"` });
      if (sameToken(token, tokens.admin)) ctx.addIssue({ code: 'custom', path: ['devices', device], message: 'has the admin token' });
      seen.set(token, device);
    }
  });

/** The admin token and each device's token. */
export type SinkTokens = z.output<typeof SinkTokensSchema>;

/** A new random token: 24 bytes, base64url (32 characters). */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return /^::ffff:127\./i.test(bare);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearer(header: string | undefined): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/** Compares two tokens in constant time (hashing first makes the lengths equal). */
export function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The device a token belongs to, or null. Every device's token is compared, whatever matched,
 * so the time taken says nothing about which token came close.
 */
export function deviceOf(tokens: SinkTokens, token: string | null): string | null {
  if (token === null) return null;
  let found: string | null = null;
  for (const [device, expected] of Object.entries(tokens.devices)) {
    if (sameToken(token, expected) && found === null) found = device;
  }
  return found;
}

/** Checks a token set; an error names the field (`source` says where it came from). */
export function checkTokens(value: unknown, source: string): SinkTokens {
  const result = validate(SinkTokensSchema, value);
  if (!result.ok) throw new Error(fileMessage(source, result.problem));
  return result.value;
}

/** Reads and checks a token file. */
export function loadTokens(file: string): SinkTokens {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`token file ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`token file ${file}: not valid JSON (${(error as Error).message})`);
  }
  return checkTokens(data, `token file ${file}`);
}

/**
 * Gives `device` a new token in `file`, creating the file (with a new admin token) when it does
 * not exist. Refuses a device that already has one, so a token in use is never replaced by mistake.
 */
export function addDevice(file: string, device: string): { token: string; created: boolean } {
  if (!validate(DeviceId, device).ok) throw new Error(`--add-device: device id "${device}" ${DEVICE_ID_RULE}`);
  const created = !existsSync(file);
  const tokens: SinkTokens = created ? { admin: newToken(), devices: {} } : loadTokens(file);
  if (tokens.devices[device] !== undefined) throw new Error(`token file ${file}: ${device} already has a token (delete its line to issue a new one)`);
  const token = newToken();
  tokens.devices[device] = token;
  writeFileSync(file, JSON.stringify(tokens, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, created };
}
