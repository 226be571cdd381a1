/**
 * `require('net')` and `require('tls')`: Espruino sockets (libs/network/socketserver.c) carried
 * over real loopback TCP (node:net / node:tls). Only 127.0.0.1 / localhost can be reached.
 *
 * What the board's code sees, as on the chip:
 * - connect() returns the socket at once; 'connect' (and a first 'drain' if nothing is queued)
 *   follow from the idle loop;
 * - 'data' is an 8-bit string of at most chunkSize (536 / 268) bytes, one chunk per idle pass;
 *   with no 'data' listener the bytes wait;
 * - write(x) appends String(x) (a Uint8Array goes out as the text "1,2,3"), always returns false,
 *   and at most chunkSize bytes go to the network stack per pass; 'drain' fires when the queue
 *   has been handed over completely (not while end() is pending); write after end()/close
 *   throws "This socket is closed"; end() flushes, then closes; there is no destroy();
 * - closing: 'error' (if any) → 'end' → 'close'(hadError).
 *
 * Per chip (platform notes §2.3):
 * - ESP32: unknown host → throws InternalError "Unable to locate host"; refused or WiFi down →
 *   prints "ERROR: Connect failed (err N)" and throws "Unable to create socket"; the socket then
 *   gets 'end' + 'close'(false). Every later failure (RST, dead link) reads as a plain close,
 *   except -8 "unsent data" (peer gone with data queued) and -13 (TLS handshake).
 * - ESP8266: everything is asynchronous: 'error' {code, message} (-6 not found, -9 reset/refused,
 *   -4 no route, -3 timeout), 'end', 'close'(true).
 *
 * Deviations: a refused port is detected synchronously from /proc/net/tcp (Linux); where that
 * cannot be read, the ESP32 gets 'end' + 'close'(false) later instead of the throw. The ESP32's
 * blocking connect does not block here. TLS does not verify the certificate (like the ESP32)
 * and sends no SNI (the ESP32 may send "mbed TLS Server 1").
 *
 * Nagle's algorithm is left on for the ESP32 (Espruino sets no TCP_NODELAY there, so a frame
 * split over several chunks can wait ~40 ms for the peer's delayed ACK) and off for the ESP8266
 * (ESPCONN_NODELAY), on the host socket.
 *
 * WiFi down (wifi.ts): a dead link, not a closed socket. Nothing moves either way; writes are
 * still accepted into the stack's send buffer (sendBuffer bytes) and then queue; data the chip
 * already had is still delivered. When the link comes back everything resumes (TCP
 * retransmission). If it stays down for deadLinkTimeoutMs the connection fails: the host side
 * is reset and the board sees ESP32 'end' + 'close'(false) / ESP8266 'error' -3 timeout.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { latin1Bytes, latin1String } from './bytes.ts';
import type { BoardObject, BoardRealm } from './context.ts';
import type { BoardEvents } from './events.ts';
import type { BoardLoop, Poller } from './loop.ts';
import type { BoardName, BoardProfile } from './profile.ts';
import type { WifiLink } from './wifi.ts';

/** Espruino's socket error messages by code (libs/network/socketerrors.c). */
export const SOCKET_ERROR_MESSAGES: Readonly<Record<number, string>> = {
  [-1]: 'connection closed',
  [-2]: 'out of memory',
  [-3]: 'timeout',
  [-4]: 'no route',
  [-5]: 'busy',
  [-6]: 'not found',
  [-7]: 'max sockets',
  [-8]: 'unsent data',
  [-9]: 'connection reset',
  [-10]: 'unknown error',
  [-11]: 'no connection',
  [-12]: 'bad argument',
  [-13]: 'SSL handshake failed',
  [-14]: 'invalid SSL data',
  [-15]: 'no response',
};

const CLOSED = -1;
const UNSENT_DATA = -8;
const LOOPBACK = '127.0.0.1';

/** Why a connection ended, before the chip turns it into an error code. */
type Ending = 'fin' | 'reset' | 'refused' | 'tls' | 'dead-link' | 'dns' | 'no-route';

/** The code the chip reports for an ending; -1 means a plain close (no 'error' event). */
function errorCode(chip: BoardName, ending: Ending): number {
  if (ending === 'tls') return -13;
  if (chip === 'esp32') return CLOSED; // network_esp32.c returns -1 for every recv/connect error
  const codes: Record<Ending, number> = { fin: CLOSED, reset: -9, refused: -9, tls: -13, 'dead-link': -3, dns: -6, 'no-route': -4 };
  return codes[ending];
}

/** What net.ts needs from the rest of the board. */
export interface NetDeps {
  realm: BoardRealm;
  loop: BoardLoop;
  events: BoardEvents;
  link: WifiLink;
  profile: BoardProfile;
  /** Prints a console line (for "ERROR: Connect failed …"). */
  print(line: string): void;
  /** How long a connection survives a WiFi drop. */
  deadLinkTimeoutMs: number;
}

/** All sockets of one board. */
export class NetStack {
  private readonly sockets = new Set<SimSocket>();
  private readonly byBoardSocket = new WeakMap<object, SimSocket>();
  private readonly socketPrototype: BoardObject;

  constructor(private readonly deps: NetDeps) {
    const stack = this;
    this.socketPrototype = deps.realm.object();
    deps.realm.methods(this.socketPrototype, {
      write(this: object, data: unknown) {
        stack.find(this).write(data);
        return false; // always, "for node.js compatibility"
      },
      end(this: object, data: unknown) {
        stack.find(this).end(data);
      },
    });
    deps.link.onChange((up) => {
      for (const socket of this.sockets)
        if (up) socket.linkUp();
        else socket.linkDown();
    });
  }

  /** The object `require('net')` (or `require('tls')` when `secure`) returns. */
  module(secure: boolean): BoardObject {
    const realm = this.deps.realm;
    const mod = realm.object();
    realm.methods(mod, { connect: (options: unknown, callback: unknown) => this.connect(options, callback, secure) });
    return mod;
  }

  /** What the sockets hold in the board's memory: their objects and their unsent strings (memory.ts). */
  memoryRoots(): { values: unknown[]; pendingChars: number[] } {
    const values: unknown[] = [];
    const pendingChars: number[] = [];
    for (const socket of this.sockets) {
      values.push(socket.boardSocket);
      pendingChars.push(socket.pendingChars);
    }
    return { values, pendingChars };
  }

  /** Destroys every host connection and resolves once all are closed. */
  async shutdown(): Promise<void> {
    const closing = [...this.sockets].map((s) => s.destroy());
    this.sockets.clear();
    await Promise.all(closing);
  }

  private find(boardSocket: object): SimSocket {
    const socket = this.byBoardSocket.get(boardSocket);
    if (!socket) throw this.deps.realm.error('Not a Socket', 'TypeError');
    return socket;
  }

  private connect(options: unknown, callback: unknown, secure: boolean): BoardObject | undefined {
    const { realm, profile, link } = this.deps;
    const target = parseTarget(options, secure);
    if (!target) {
      this.deps.print(`ERROR: Expecting Options to be an Object but it was ${typeof options}`);
      return undefined;
    }
    if (callback !== undefined && typeof callback !== 'function') {
      this.deps.print(`ERROR: Expecting Callback Function but got ${typeof callback}`);
      return undefined;
    }
    const kind = classifyHost(target.host);
    if (kind === 'outside') throw realm.error(`simboard: only ${LOOPBACK} / localhost can be reached, not ${target.host}`);

    const boardSocket = realm.object({}, this.socketPrototype);
    if (callback) boardSocket['#onconnect'] = callback; // natives store the callback as the listener
    const socket = new SimSocket(this.deps, boardSocket, () => this.sockets.delete(socket));
    this.sockets.add(socket);
    this.byBoardSocket.set(boardSocket, socket);

    if (kind === 'name') return this.fail(socket, 'dns', 'Unable to locate host');
    if (!link.up) return this.fail(socket, 'no-route', 'Unable to create socket', 113); // EHOSTUNREACH
    if (profile.name === 'esp32' && isListening(target.port) === false) {
      return this.fail(socket, 'refused', 'Unable to create socket', 111); // ECONNREFUSED
    }
    socket.open(target.port, secure);
    return boardSocket;
  }

  /** A connection that cannot start: ESP32 throws now, ESP8266 reports an 'error' later. */
  private fail(socket: SimSocket, ending: Ending, message: string, errno?: number): BoardObject {
    socket.failBeforeOpen(ending);
    if (this.deps.profile.name !== 'esp32') return socket.boardSocket;
    if (errno !== undefined) this.deps.print(`ERROR: Connect failed (err ${errno})`);
    throw this.deps.realm.error(message, 'InternalError');
  }
}

/** One socket: the board's view (queues, events) and the host connection behind it. */
class SimSocket implements Poller {
  private tcp: net.Socket | undefined;
  private closed: Promise<void> = Promise.resolve();
  private tcpConnected = false;
  private connectEmitted = false;
  /** Espruino's send queue (an 8-bit string). */
  private txQueue = '';
  /** end() was called, or the socket failed: writes throw. */
  private closeRequested = false;
  /** Bytes handed to the network stack and not yet written to the host socket. */
  private inFlight = 0;
  /** Bytes handed to the stack while the link was down. */
  private held: Buffer[] = [];
  /** Bytes on the chip, waiting for the 'data' listener. */
  private rx: Buffer[] = [];
  private rxBytes = 0;
  /** Bytes the host received while the link was down: still "in the air". */
  private air: Buffer[] = [];
  private airBytes = 0;
  /** How the connection ended, as far as the chip knows. */
  private ending: Ending | undefined;
  private airEnding: Ending | undefined;
  private finished = false;
  private cancelDeadLink: (() => void) | undefined;

  constructor(
    private readonly deps: NetDeps,
    readonly boardSocket: BoardObject,
    private readonly forget: () => void,
  ) {
    deps.loop.addPoller(this);
  }

  open(port: number, secure: boolean): void {
    const { profile } = this.deps;
    const tcp = secure
      ? tls.connect({ host: LOOPBACK, port, rejectUnauthorized: false }) // the ESP32 does not verify either
      : net.connect({ host: LOOPBACK, port });
    this.tcp = tcp;
    this.closed = new Promise((resolve) => tcp.once('close', () => resolve()));
    if (profile.noDelay) tcp.setNoDelay(true);
    tcp.on(secure ? 'secureConnect' : 'connect', () => {
      this.tcpConnected = true;
      this.deps.loop.wake();
    });
    tcp.on('data', (bytes: Buffer) => this.received(bytes));
    tcp.on('end', () => this.hostEnded('fin'));
    tcp.on('error', (error: NodeJS.ErrnoException) => {
      if (!this.tcpConnected) this.hostEnded(error.code === 'ECONNREFUSED' ? 'refused' : secure ? 'tls' : 'reset');
      else this.hostEnded('reset');
    });
    tcp.on('close', () => this.hostEnded('fin'));
  }

  /** The connection fails before it starts (DNS, no route, refused): closes in the next pass. */
  failBeforeOpen(ending: Ending): void {
    this.ending = ending;
    this.closeRequested = true;
  }

  /** Length of the send queue, a string in the board's memory. */
  get pendingChars(): number {
    return this.txQueue.length;
  }

  write(data: unknown): void {
    if (this.closeRequested || this.finished) throw this.deps.realm.error('This socket is closed');
    if (data === undefined) return;
    this.txQueue += String(data);
    this.deps.loop.wake();
  }

  end(data: unknown): void {
    if (data !== undefined) this.write(data);
    this.closeRequested = true;
    this.deps.loop.wake();
  }

  /** One idle pass: at most one chunk in, one chunk out, then the close check. */
  poll(): boolean {
    if (this.finished) return false;
    const { events, link } = this.deps;
    const listening = events.hasListener(this.boardSocket, 'data');
    if (!this.connectEmitted && this.tcpConnected && link.up) {
      this.connectEmitted = true;
      events.emit(this.boardSocket, 'connect', [this.boardSocket]);
      if (this.txQueue === '') events.emit(this.boardSocket, 'drain', [this.boardSocket]);
    }
    if (this.connectEmitted && this.rxBytes > 0 && listening) this.deliverChunk();
    if (this.connectEmitted && this.ending === undefined && this.txQueue !== '') this.sendChunk();
    const moreData = this.connectEmitted && this.rxBytes > 0 && listening;
    if (this.ending !== undefined && !moreData) {
      this.finish(this.ending); // what was received is delivered first
      return false;
    }
    if (this.closeRequested && this.txQueue === '' && this.ending === undefined) {
      this.finish(undefined);
      return false;
    }
    return moreData || (this.connectEmitted && this.txQueue !== '' && this.room() > 0);
  }

  /** The link went down: start the dead-link clock. */
  linkDown(): void {
    if (!this.tcp || this.tcp.destroyed || this.cancelDeadLink) return;
    this.cancelDeadLink = this.deps.loop.after(this.deps.deadLinkTimeoutMs, () => this.deadLink());
  }

  /** The link is back: what was in the air arrives, what was held goes out. */
  linkUp(): void {
    this.cancelDeadLink?.();
    this.cancelDeadLink = undefined;
    for (const bytes of this.held) this.writeToHost(bytes);
    this.held = [];
    this.rx.push(...this.air);
    this.rxBytes += this.airBytes;
    this.air = [];
    this.airBytes = 0;
    if (this.ending === undefined && this.airEnding !== undefined) this.ending = this.airEnding;
    if (this.finished && this.tcp && !this.tcp.destroyed) this.tcp.end(); // a close that waited for the link
    this.resumeIfRoom();
    this.deps.loop.wake();
  }

  /** Shutdown: drop the host connection now. */
  destroy(): Promise<void> {
    this.finished = true;
    this.cancelDeadLink?.();
    this.tcp?.destroy();
    return this.closed;
  }

  private received(bytes: Buffer): void {
    if (this.finished) return;
    if (this.deps.link.up) {
      this.rx.push(bytes);
      this.rxBytes += bytes.length;
    } else {
      this.air.push(bytes);
      this.airBytes += bytes.length;
    }
    if (this.rxBytes + this.airBytes >= this.deps.profile.receiveWindow) this.tcp?.pause();
    this.deps.loop.wake();
  }

  private hostEnded(ending: Ending): void {
    if (this.finished || this.ending !== undefined || this.airEnding !== undefined) return;
    if (this.deps.link.up) this.ending = ending;
    else this.airEnding = ending;
    this.deps.loop.wake();
  }

  private deadLink(): void {
    this.cancelDeadLink = undefined;
    if (!this.finished && this.ending === undefined) this.ending = 'dead-link';
    this.air = [];
    this.airBytes = 0;
    this.held = [];
    if (this.tcp) abort(this.tcp);
    this.deps.loop.wake();
  }

  private deliverChunk(): void {
    const { chunkSize } = this.deps.profile;
    const parts: Buffer[] = [];
    let taken = 0;
    while (taken < chunkSize && this.rx.length > 0) {
      const head = this.rx[0]!;
      const n = Math.min(head.length, chunkSize - taken);
      parts.push(head.subarray(0, n));
      if (n === head.length) this.rx.shift();
      else this.rx[0] = head.subarray(n);
      taken += n;
    }
    this.rxBytes -= taken;
    this.resumeIfRoom();
    this.deps.events.emit(this.boardSocket, 'data', [latin1String(Buffer.concat(parts))]);
  }

  private resumeIfRoom(): void {
    const tcp = this.tcp;
    if (tcp && tcp.isPaused() && this.deps.link.up && this.rxBytes + this.airBytes < this.deps.profile.receiveWindow) tcp.resume();
  }

  /** Room left in the stack's send buffer. */
  private room(): number {
    return this.deps.profile.sendBuffer - this.inFlight;
  }

  private sendChunk(): void {
    const n = Math.min(this.deps.profile.chunkSize, this.txQueue.length, this.room());
    if (n <= 0) return;
    const bytes = latin1Bytes(this.txQueue.slice(0, n));
    this.txQueue = this.txQueue.slice(n);
    this.inFlight += n;
    if (this.deps.link.up) this.writeToHost(bytes);
    else this.held.push(bytes);
    if (this.txQueue === '' && !this.closeRequested) this.deps.events.emit(this.boardSocket, 'drain', [this.boardSocket]);
  }

  private writeToHost(bytes: Buffer): void {
    const tcp = this.tcp;
    if (!tcp || tcp.destroyed) {
      this.inFlight -= bytes.length;
      return;
    }
    tcp.write(bytes, () => {
      this.inFlight -= bytes.length;
      this.deps.loop.wake();
    });
  }

  /** Queues error / end / close on the board socket and lets go of the host connection. */
  private finish(ending: Ending | undefined): void {
    const { events, realm, profile, loop } = this.deps;
    this.finished = true;
    this.closeRequested = true;
    loop.removePoller(this);
    let code = ending === undefined ? CLOSED : errorCode(profile.name, ending);
    if (code === CLOSED && ending !== undefined && this.txQueue !== '') code = UNSENT_DATA;
    const hadError = code !== CLOSED;
    if (hadError) events.emit(this.boardSocket, 'error', [realm.data({ code, message: SOCKET_ERROR_MESSAGES[code] })]);
    events.emit(this.boardSocket, 'end');
    events.emit(this.boardSocket, 'close', [hadError]);
    const tcp = this.tcp;
    if (!tcp || tcp.destroyed) {
      this.forget();
    } else if (ending !== undefined) {
      tcp.destroy();
      this.forget();
    } else if (this.deps.link.up) {
      tcp.end(); // local close: FIN after what was handed to the stack
      void this.closed.then(this.forget);
    } else {
      void this.closed.then(this.forget); // waits for linkUp() or the dead-link timer
    }
  }
}

interface Target {
  host: string;
  port: number;
}

/** net.connect's first argument: {host, port} (host defaults to 127.0.0.1) or a URL string. */
function parseTarget(options: unknown, secure: boolean): Target | undefined {
  let host: unknown;
  let port: unknown;
  if (typeof options === 'string') {
    const url = new URL(options.includes('://') ? options : `tcp://${options}`);
    host = url.hostname;
    port = url.port;
  } else if (typeof options === 'object' && options !== null) {
    ({ host, port } = options as { host?: unknown; port?: unknown });
  } else {
    return undefined;
  }
  let portNumber = Math.trunc(Number(port)) || 0;
  if (portNumber === 0 && secure) portNumber = 443;
  return { host: host === undefined ? LOOPBACK : String(host), port: portNumber };
}

/** 'loopback' may be reached; 'name' stands for a DNS name that never resolves; 'outside' is refused outright. */
function classifyHost(host: string): 'loopback' | 'name' | 'outside' {
  if (host === LOOPBACK || host === 'localhost') return 'loopback';
  if (net.isIP(host) !== 0) return 'outside';
  return 'name';
}

const LISTENING = '0A';
const LOCAL_ADDRESSES = new Set(['0100007F', '00000000', '00000000000000000000000000000000', '0000000000000000FFFF00000100007F']);

/**
 * Whether something listens on 127.0.0.1:port, read synchronously from /proc/net/tcp{,6} so a
 * refused connection can throw from net.connect like on the ESP32. undefined where /proc is missing.
 */
function isListening(port: number): boolean | undefined {
  let readable = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table: string;
    try {
      table = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    readable = true;
    for (const line of table.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns[3] !== LISTENING || !columns[1]) continue;
      const [address, portHex] = columns[1].split(':');
      if (parseInt(portHex ?? '', 16) === port && LOCAL_ADDRESSES.has(address ?? '')) return true;
    }
  }
  return readable ? false : undefined;
}

/** Drops a host connection with an RST where Node can (plain TCP), else closes it. */
function abort(tcp: net.Socket): void {
  try {
    tcp.resetAndDestroy();
  } catch {
    tcp.destroy();
  }
}
