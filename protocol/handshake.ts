/**
 * The client side of the opening handshake (RFC 6455 §4.1): the request, an incremental
 * reader for the server's HTTP response, and the checks that accept or fail it.
 */
import { localError, type ErrorCode } from './errors';
import { charCodesToString, latin1Encode } from './latin1';
import type { WsUrl } from './url';

/** The GUID appended to the key before hashing (RFC 6455 §1.3). */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** What the caller may add to the handshake request. */
export interface HandshakeOptions {
  /** Value of the Origin header, if any. */
  origin?: string | undefined;
  /** Subprotocols to offer, in order of preference. */
  protocols: string[];
  /** Extra request headers. */
  headers: { [name: string]: string };
}

/** The server's response head. */
export interface HttpResponse {
  status: number;
  reason: string;
  /** Lowercased names; repeated headers joined with ", ". */
  headers: { [lowercaseName: string]: string };
}

/** Why the handshake failed. `status`/`reason` are the HTTP ones when read, else 0 and ''. */
export interface HandshakeFailure {
  kind: 'status' | 'upgrade' | 'connection' | 'accept' | 'subprotocol' | 'extension' | 'too-large' | 'malformed' | 'eof';
  message: string;
  status: number;
  reason: string;
}

/**
 * True for an RFC 7230 token: one or more tchar. (Helpers used once live inside their user:
 * on a board, every function at module level stays in RAM.)
 */
function isToken(text: string): boolean {
  const tchars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    if (tchars.indexOf(text.charAt(i)) < 0) return false;
  }
  return true;
}

/**
 * Checks the caller's handshake options, so nothing can be injected into the request.
 * Throws `WS_ERR_BAD_HEADER` or `WS_ERR_BAD_PROTOCOL` naming the offending header or protocol.
 */
export function validateHandshakeOptions(options: HandshakeOptions): void {
  /**
   * Throws `code` naming `field` unless `value` is a string that can go on a request line as is.
   * The request is encoded one byte per character (the low byte of each UTF-16 unit), so a
   * character above U+00FF would write another byte than it says: U+010D U+010A becomes CR LF,
   * U+0100 becomes NUL. Controls other than HTAB could end or split the line (RFC 9110 §5.5).
   */
  const checkText = function (value: unknown, field: string, code: ErrorCode): void {
    if (typeof value !== 'string') throw localError(code, field + ' must be a string');
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c > 0xff || c === 0x7f || (c < 0x20 && c !== 9)) {
        throw localError(
          code,
          field +
            ' has character U+' +
            ('000' + c.toString(16).toUpperCase()).slice(-4) +
            ' at index ' +
            i +
            ': only Latin-1 text without control characters (tab allowed) can be sent',
        );
      }
    }
  };
  if (options.origin !== undefined) checkText(options.origin, 'Origin value', 'WS_ERR_BAD_HEADER');
  const protocols = options.protocols;
  for (let i = 0; i < protocols.length; i++) {
    const p = protocols[i];
    // RFC 6455 §4.1: subprotocol names MUST be tokens and MUST all be unique.
    if (typeof p !== 'string' || !isToken(p)) {
      throw localError('WS_ERR_BAD_PROTOCOL', 'subprotocol name "' + p + '" is not a valid HTTP token');
    }
    if (protocols.indexOf(p) !== i) throw localError('WS_ERR_BAD_PROTOCOL', 'subprotocol "' + p + '" is offered twice');
  }
  const names = Object.keys(options.headers);
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (!isToken(name)) throw localError('WS_ERR_BAD_HEADER', 'header name "' + name + '" is not a valid HTTP token');
    // Headers the handshake itself sets; letting callers override them would break or forge it.
    if (
      ['host', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions'].indexOf(
        name.toLowerCase(),
      ) >= 0
    ) {
      throw localError('WS_ERR_BAD_HEADER', 'header "' + name + '" is set by the WebSocket client and cannot be overridden');
    }
    checkText(options.headers[name], 'header "' + name + '" value', 'WS_ERR_BAD_HEADER');
  }
}

/** Returns a fresh Sec-WebSocket-Key: base64 of 16 bytes from `fill` (RFC 6455 §4.1). */
export function generateKey(fill: (out: Uint8Array) => void, base64: (data: Uint8Array) => string): string {
  // RFC 6455 §4.1: the nonce MUST be 16 randomly selected bytes, base64-encoded.
  const nonce = new Uint8Array(16);
  fill(nonce);
  return base64(nonce);
}

/** The Sec-WebSocket-Accept a server must answer to `key`: base64(SHA-1(key + GUID)). */
export function acceptKeyFor(key: string, sha1fn: (data: Uint8Array) => Uint8Array, base64: (data: Uint8Array) => string): string {
  return base64(sha1fn(latin1Encode(key + WS_GUID)));
}

/** Builds the handshake request text, ending with the blank line. Validates `options` first. */
export function buildRequest(url: WsUrl, key: string, options: HandshakeOptions): string {
  validateHandshakeOptions(options);
  // Visible ASCII only, as parseWsUrl guarantees: a WsUrl built by hand is checked all the
  // same, since a space or line break would split the request.
  const parts = [url.resource, url.hostHeader];
  for (let p = 0; p < 2; p++) {
    const value = parts[p];
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c <= 0x20 || c >= 0x7f)
        throw localError('WS_ERR_BAD_URL', 'URL ' + (p === 0 ? 'path' : 'host') + ' has a space, control or non-ASCII character at index ' + i);
    }
  }
  // RFC 6455 §4.1: GET, HTTP/1.1, Host, Upgrade, Connection, Key and Version 13 are all required.
  let text =
    'GET ' +
    url.resource +
    ' HTTP/1.1\r\n' +
    'Host: ' +
    url.hostHeader +
    '\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    'Sec-WebSocket-Key: ' +
    key +
    '\r\n' +
    'Sec-WebSocket-Version: 13\r\n';
  if (options.origin !== undefined) text += 'Origin: ' + options.origin + '\r\n';
  if (options.protocols.length > 0) text += 'Sec-WebSocket-Protocol: ' + options.protocols.join(', ') + '\r\n';
  const names = Object.keys(options.headers);
  for (let i = 0; i < names.length; i++) text += names[i] + ': ' + options.headers[names[i]] + '\r\n';
  return text + '\r\n';
}

/**
 * Parses a response head `text` (without its final CR LF CR LF): the response, or a
 * `malformed` failure. With `kind` given, only the failure of that kind and `message`, with
 * the status line's code and reason when it can be read.
 */
function parseHead(text: string, kind: HandshakeFailure['kind'] | null, message: string): HttpResponse | HandshakeFailure {
  const hasLineBreak = function (value: string): boolean {
    return value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\u0000') >= 0;
  };
  const lines = text.split('\r\n');
  // `HTTP/1.x <3 digits> <reason>`.
  const line = lines[0];
  const version = line.slice(0, 9);
  const code = line.slice(9, 12);
  let status =
    (version === 'HTTP/1.1 ' || version === 'HTTP/1.0 ') &&
    !hasLineBreak(line) &&
    /^[0-9][0-9][0-9]$/.test(code) &&
    (line.length === 12 || line.charAt(12) === ' ')
      ? parseInt(code, 10)
      : 0;
  if (kind === null && status === 0) {
    kind = 'malformed';
    message = 'bad HTTP status line "' + line + '"';
  }
  if (kind !== null) {
    // The status line counts only when it was read whole.
    if (lines.length < 2) status = 0;
    return { kind: kind, message: message, status: status, reason: status === 0 ? '' : line.slice(13) };
  }
  const headers: { [name: string]: string } = {};
  for (let i = 1; i < lines.length; i++) {
    const header = lines[i];
    const colon = header.indexOf(':');
    const c = header.charAt(0);
    if (c === ' ' || c === '\t') {
      // RFC 7230 §3.2.4: obsolete line folding; nothing in a handshake needs it.
      return parseHead(text, 'malformed', 'folded header line "' + header + '" in server response');
    }
    if (colon < 1 || !isToken(header.slice(0, colon)) || hasLineBreak(header)) {
      return parseHead(text, 'malformed', 'bad header line "' + header + '" in server response');
    }
    const name = header.slice(0, colon).toLowerCase();
    const value = trimOws(header.slice(colon + 1));
    const seen = headers[name];
    headers[name] = typeof seen === 'string' ? seen + ', ' + value : value;
  }
  return { status: status, reason: line.slice(13), headers: headers };
}

/**
 * `text` without the SP and HTAB around it: the only whitespace HTTP allows around a field
 * value (RFC 9110 §5.5). trim() would also strip VT, FF, NBSP and more, so that a value the
 * server did not send (e.g. "\x0bwebsocket") would pass as the one it must send.
 */
function trimOws(text: string): string {
  let start = 0;
  let end = text.length;
  let c = 0;
  while (start < end && ((c = text.charCodeAt(start)) === 32 || c === 9)) start++;
  while (end > start && ((c = text.charCodeAt(end - 1)) === 32 || c === 9)) end--;
  return text.slice(start, end);
}

/**
 * Reads the server's response head incrementally, in any chunking. Bytes after the blank
 * line are left to the caller: the server may send frames in the same packet.
 */
export class ResponseReader {
  /** The parsed response, once the head is complete and well formed. */
  response: HttpResponse | null = null;
  /** Set when the head is too large or malformed. */
  failure: HandshakeFailure | null = null;
  private head = '';
  private limit: number;

  /** `maxHeaderBytes` bounds the head, blank line included. */
  constructor(maxHeaderBytes: number) {
    this.limit = maxHeaderBytes;
  }

  /**
   * Consumes `bytes[start, end)`. Returns -1 while the head is incomplete; the index in `bytes`
   * just past the blank line once complete (sets `response`); -2 on failure (sets `failure`).
   * After completion, further pushes consume nothing and return `start`; after failure, -2.
   */
  push(bytes: Uint8Array, start: number, end: number): number {
    if (this.failure) return -2;
    if (this.response) return start;
    const before = this.head.length;
    // One byte per character, up to one byte past the limit (the blank line must fit in it).
    let stop = end - start > this.limit + 1 - before ? start + this.limit + 1 - before : end;
    const head = this.head + charCodesToString(bytes, start, stop);
    // Fail fast on a peer that does not speak HTTP (e.g. a TLS/plain mismatch).
    const prefix = head.length < 5 ? head.length : 5;
    if (head.slice(0, prefix) !== 'HTTP/'.slice(0, prefix)) {
      this.failure = parseHead('', 'malformed', 'server response is not HTTP') as HandshakeFailure;
      return -2;
    }
    // The blank line may begin in an earlier piece: search from 3 bytes back.
    let blank = head.indexOf('\r\n\r\n', before > 3 ? before - 3 : 0);
    // Espruino's indexOf also "finds" a needle that runs past the end of the string when the
    // part that fits matches (a head ending in CR LF): only a whole match counts.
    if (blank >= 0 && blank + 4 > head.length) blank = -1;
    if (blank >= 0 && blank + 4 <= this.limit) {
      stop = start + blank + 4 - before;
      const parsed = parseHead(head.slice(0, blank), null, '');
      if ((parsed as HandshakeFailure).kind !== undefined) {
        this.failure = parsed as HandshakeFailure;
        return -2;
      }
      this.response = parsed as HttpResponse;
      return stop;
    }
    if (head.length > this.limit || (blank >= 0 && blank + 4 > this.limit)) {
      this.failure = parseHead(head, 'too-large', 'server response header is larger than ' + this.limit + ' bytes') as HandshakeFailure;
      return -2;
    }
    this.head = head;
    return -1;
  }
}

/**
 * Checks a complete response against what the client sent, in RFC 6455 §4.1 order.
 * Returns the chosen subprotocol ('' for none) and null, or the first failure.
 */
export function checkResponse(response: HttpResponse, expectedAccept: string, offered: string[]): { protocol: string; failure: HandshakeFailure | null } {
  const status = response.status;
  const reason = response.reason;
  const h = response.headers;
  const upgrade = h.upgrade;
  const connection = h.connection;
  const accept = h['sec-websocket-accept'];
  const protocol = h['sec-websocket-protocol'];
  const extensions = h['sec-websocket-extensions'];
  // True when Connection is a comma-separated list containing "upgrade" (any case).
  let upgradeToken = false;
  const tokens = typeof connection === 'string' ? connection.split(',') : [];
  for (let i = 0; i < tokens.length; i++) if (trimOws(tokens[i]).toLowerCase() === 'upgrade') upgradeToken = true;
  let kind: HandshakeFailure['kind'] | null = null;
  let message = '';
  // RFC 6455 §4.1: the client MUST fail the connection on each of these, in this order.
  if (status !== 101) {
    kind = 'status';
    message = 'server answered ' + status + (reason ? ' ' + reason : '') + ', not 101';
  } else if (typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket') {
    kind = 'upgrade';
    message =
      upgrade === undefined ? 'server response has no Upgrade header (expected "websocket")' : 'server sent Upgrade "' + upgrade + '", expected "websocket"';
  } else if (!upgradeToken) {
    kind = 'connection';
    message =
      connection === undefined
        ? 'server response has no Connection header (expected "Upgrade")'
        : 'server sent Connection "' + connection + '", expected it to contain "Upgrade"';
  } else if (accept !== expectedAccept) {
    kind = 'accept';
    message =
      accept === undefined
        ? 'server response has no Sec-WebSocket-Accept header'
        : 'server sent Sec-WebSocket-Accept "' + accept + '", expected "' + expectedAccept + '"';
  } else if (protocol !== undefined && offered.indexOf(protocol) < 0) {
    kind = 'subprotocol';
    message =
      offered.length === 0
        ? 'server chose subprotocol "' + protocol + '" but none was offered'
        : 'server chose subprotocol "' + protocol + '", which is not one of the offered "' + offered.join('", "') + '"';
  } else if (extensions !== undefined && extensions !== '') {
    // We offer no extensions, so the server may not enable any.
    kind = 'extension';
    message = 'server enabled extension "' + extensions + '", which was not offered';
  }
  if (kind !== null) return { protocol: '', failure: { kind: kind, message: message, status: status, reason: reason } };
  return { protocol: protocol === undefined ? '' : protocol, failure: null };
}
