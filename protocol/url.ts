/**
 * Parser for ws:// and wss:// URLs (RFC 6455 §3), written by hand: Espruino has no URL class.
 */
import { localError } from './errors';

/** A parsed WebSocket URL. */
export interface WsUrl {
  /** True for wss:// (TLS). */
  secure: boolean;
  /** Lowercased host name or address; IPv6 without brackets. */
  host: string;
  /** Explicit port, or 80 (ws) / 443 (wss). */
  port: number;
  /** Path plus `?query`, at least "/": the request target. */
  resource: string;
  /** Value of the Host header: host (IPv6 in brackets), plus `:port` when not the default. */
  hostHeader: string;
}

/**
 * Parses a ws:// or wss:// URL. Throws `WS_ERR_BAD_URL` for another scheme, a fragment,
 * userinfo, a missing host, a bad port, spaces, control or non-ASCII characters, or bad brackets.
 */
export function parseWsUrl(url: string): WsUrl {
  // Helpers and character sets live in here: on a board, module-level ones stay in RAM.
  const bad = function (message: string): Error {
    return localError('WS_ERR_BAD_URL', 'invalid WebSocket URL: ' + message);
  };
  /** True when every character of `text` is in `allowed`. */
  const only = function (text: string, allowed: string): boolean {
    for (let i = 0; i < text.length; i++) {
      if (allowed.indexOf(text.charAt(i)) < 0) return false;
    }
    return true;
  };
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    // They would corrupt or inject into the HTTP request line.
    if (c <= 0x20 || c === 0x7f) throw bad('space or control character at position ' + i + ' (percent-encode it)');
    if (c > 0x7e) throw bad('non-ASCII character at position ' + i + ' (percent-encode it)');
  }
  const colon = url.indexOf(':');
  const scheme = url.slice(0, colon + 1).toLowerCase();
  if (colon < 1 || !only(scheme, 'abcdefghijklmnopqrstuvwxyz0123456789+-.:')) {
    throw bad('missing scheme in "' + url + '" (use ws:// or wss://)');
  }
  if (scheme !== 'ws:' && scheme !== 'wss:') throw bad('unsupported scheme "' + scheme + '" (use ws:// or wss://)');
  const secure = scheme === 'wss:';
  if (url.slice(colon + 1, colon + 3) !== '//') throw bad('expected "//" after "' + scheme + '"');
  // RFC 6455 §3: fragment identifiers MUST NOT be used in WebSocket URIs.
  const hash = url.indexOf('#');
  if (hash >= 0) throw bad('fragment "' + url.slice(hash) + '" is not allowed');

  const rest = url.slice(colon + 3);
  let stop = rest.length;
  const slash = rest.indexOf('/');
  const query = rest.indexOf('?');
  if (slash >= 0) stop = slash;
  if (query >= 0 && query < stop) stop = query;
  const authority = rest.slice(0, stop).toLowerCase();
  let resource = rest.slice(stop);
  if (resource === '') resource = '/';
  else if (resource.charAt(0) === '?') resource = '/' + resource;

  // Credentials in the URL are not supported (and would leak into logs).
  if (authority.indexOf('@') >= 0) throw bad('userinfo ("user@") is not supported');
  let host: string;
  let portText: string | null = null;
  let ipv6 = false;
  if (authority.charAt(0) === '[') {
    const close = authority.indexOf(']');
    if (close < 0) throw bad('missing "]" after IPv6 address');
    host = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (after !== '') {
      if (after.charAt(0) !== ':') throw bad('unexpected "' + after + '" after IPv6 address');
      portText = after.slice(1);
    }
    if (host === '' || host.indexOf(':') < 0 || !only(host, '0123456789abcdef:.')) {
      throw bad('malformed IPv6 address "[' + host + ']"');
    }
    ipv6 = true;
  } else {
    const portColon = authority.indexOf(':');
    host = portColon < 0 ? authority : authority.slice(0, portColon);
    if (portColon >= 0) portText = authority.slice(portColon + 1);
    if (authority.indexOf('[') >= 0 || authority.indexOf(']') >= 0) throw bad('malformed brackets in "' + authority + '"');
    if (portText !== null && portText.indexOf(':') >= 0) throw bad('IPv6 addresses must be in brackets, e.g. ws://[::1]/');
    if (host !== '' && !only(host, 'abcdefghijklmnopqrstuvwxyz0123456789-._~')) throw bad('invalid character in host "' + host + '"');
  }
  if (host === '') throw bad('missing host');

  const defaultPort = secure ? 443 : 80;
  let port = defaultPort;
  if (portText !== null) {
    // At most 5 digits keeps the number small before the range check.
    if (portText === '' || portText.length > 5 || !only(portText, '0123456789')) throw bad('bad port "' + portText + '"');
    port = parseInt(portText, 10);
    if (port < 1 || port > 65535) throw bad('port ' + port + ' out of range 1..65535');
  }
  const hostHeader = (ipv6 ? '[' + host + ']' : host) + (port !== defaultPort ? ':' + port : '');
  return { secure: secure, host: host, port: port, resource: resource, hostHeader: hostHeader };
}
