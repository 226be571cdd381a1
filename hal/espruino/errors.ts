/**
 * Espruino's socket failures as HalErrors. Two shapes exist:
 * - ESP8266 (async espconn) emits `error {code, message}` with the codes of
 *   libs/network/socketerrors.h (-1…-15), then end and close;
 * - ESP32 (blocking lwIP) throws from net.connect ("Unable to locate host",
 *   "Unable to create socket") and emits no error event at all.
 */
import type { HalError, HalErrorKind } from '../types';

/** mbedTLS's "peer sent close_notify": an orderly TLS shutdown, not a failure. */
export const TLS_PEER_CLOSE_NOTIFY = -30848;

/**
 * The kind of an Espruino socket error code. -9 means "connection reset", which is how a
 * refused connect shows up too: before the connection was up it can only be a refusal.
 */
export function kindOfEspruinoCode(code: number, connected: boolean): HalErrorKind {
  switch (code) {
    case -6: return 'dns';
    case -9: return connected ? 'reset' : 'refused';
    case -3: return 'timeout';
    case -13:
    case -14: return 'tls';
    default:
      // Codes below Espruino's own range come straight from mbedTLS (-0x7xxx…-0x1xxx).
      return code < -0x1000 ? 'tls' : 'other';
  }
}

/** An `error` event's payload as a HalError. */
export function fromErrorEvent(event: unknown, connected: boolean): HalError {
  const e = (typeof event === 'object' && event !== null ? event : {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'number' ? e.code : -10;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : `socket error ${code}`;
  return { kind: kindOfEspruinoCode(code, connected), code: code, message: message };
}

/**
 * What net.connect / tls.connect threw, as a HalError. The codes mirror socketerrors.h
 * (-6 not found, -9 reset/refused) so both chips report the same numbers.
 */
export function fromConnectThrow(thrown: unknown): HalError {
  const message = thrown && typeof (thrown as { message?: unknown }).message === 'string'
    ? (thrown as { message: string }).message
    : String(thrown);
  if (message.indexOf('locate host') >= 0) return { kind: 'dns', code: -6, message: message };
  if (message.indexOf('create socket') >= 0) return { kind: 'refused', code: -9, message: message };
  if (/ssl|tls|certificate/i.test(message)) return { kind: 'tls', code: -13, message: message };
  return { kind: 'other', code: -10, message: message };
}
