/**
 * The sink: one port serving the device WebSocket endpoint (/ws or /, via the `ws` package), the JSON
 * API and the dashboard (node:http). Boards stream readings to it; see decode.ts for the protocol.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  MalformedMessage,
  parseBinary,
  parseCommand,
  parseText,
  type Command,
  type CommandMessage,
  type DeviceMessage,
  type Hello,
  type ReadingAck,
} from './decode';
import { Store, type DeviceState, type Stats } from './store';
import { lastReadings, openJournal, type Journal, type JournalEntry } from './journal';
import { createApi, type Delivery } from './api';
import { dashboardHtml } from './dashboard';
import { bearer, deviceOf, isLoopback, type SinkTokens } from './auth';
import { hostPort, reachableHosts } from './addresses';
import { EventHub } from './events';

/** Options of {@link startSink}. */
export interface SinkOptions {
  /** Interface to listen on; default 127.0.0.1 (use 0.0.0.0 for boards on the LAN). */
  host?: string;
  /** Port; default 8080, 0 picks a free one. */
  port?: number;
  /** Append every received message to this file as a JSON line. */
  file?: string | undefined;
  /** Receives one line per event (connects, malformed input, gaps, commands). Default: silent. */
  log?: (line: string) => void;
  /** Readings kept in memory per device for the chart; default 1000. */
  keep?: number;
  /**
   * Device and admin tokens (see auth.ts). With them, a device must present its own token in
   * the handshake and the dashboard and API need the admin token. Required when `host` is not
   * a loopback address; without them (loopback only) anyone on this machine may connect.
   */
  tokens?: SinkTokens | undefined;
  /** Ping every socket this often (ms) and drop those that did not answer the last ping; default 30000, 0 = never. */
  heartbeat?: number;
}

/** A running sink. */
export interface Sink {
  /** http://host:port — the dashboard and the API. */
  url: string;
  /** ws://host:port/ws — where devices connect (for a wildcard host, not an address boards can use: see deviceUrls). */
  wsUrl: string;
  /** The URLs boards can connect to: for 0.0.0.0 or ::, one per address of this machine. */
  deviceUrls: string[];
  port: number;
  /** True when devices need tokens and the dashboard and API the admin token. */
  auth: boolean;
  /** Per-device counters, as GET /api/stats returns them. */
  stats(): Stats;
  /** A snapshot of every device's state. */
  devices(): DeviceState[];
  /**
   * Sends `{command:"set-interval",interval}` or `{command:"report-metrics"}` (the sink adds the
   * id) to a connected device. False when the device is unknown or not connected; throws a
   * TypeError for anything else than those two commands.
   */
  sendCommand(deviceId: string, command: object): boolean;
  /** Closes every socket, the server and the file; nothing is left running. Idempotent. */
  close(): Promise<void>;
}

/** One device connection. `hello` is null until the device has said a valid hello. */
interface Session {
  socket: WebSocket;
  hello: Hello | null;
  alive: boolean;
  /** The device whose token opened this connection; null when the sink runs without tokens. */
  token: string | null;
}

const MAX_MESSAGE = 64 * 1024;
const CLOSE_GRACE = 1000;

/** Starts a sink; resolves once it listens. Rejects when the port or the file cannot be opened. */
export async function startSink(options: SinkOptions = {}): Promise<Sink> {
  const host = options.host ?? '127.0.0.1';
  const tokens = options.tokens ?? null;
  if (tokens === null && !isLoopback(host)) {
    throw new Error(
      `the sink would listen on ${host}, beyond this machine, without tokens: anyone on the network could post readings and send commands. ` +
        'Give it a token file (--tokens FILE; --add-device ID creates one), or listen on 127.0.0.1',
    );
  }
  const log = options.log ?? (() => {});
  const store = new Store(options.keep ?? 1000);
  // A restarted sink picks up where the file left off, so resent readings count as duplicates.
  if (options.file) for (const r of lastReadings(options.file)) store.remember(r.device, r.boot, r.seq);
  const journal: Journal | null = options.file ? await openJournal(options.file, log) : null;
  const sessions = new Set<Session>();
  /** The latest socket of each device: commands go there, and only its close means disconnected. */
  const current = new Map<string, WebSocket>();
  // Ids differ between sink runs, so a late reply to an older run's command matches nothing.
  const idPrefix = randomBytes(3).toString('hex');
  // The dashboard's push channel: every change below is reported to it.
  const hub = new EventHub(store);
  let commandCount = 0;
  let closing: Promise<void> | null = null;

  function deliver(deviceId: string, command: Command): Delivery {
    if (!store.has(deviceId)) return 'unknown';
    const socket = current.get(deviceId);
    if (!socket || socket.readyState !== socket.OPEN) return 'disconnected';
    const id = `${idPrefix}-${++commandCount}`;
    const message: CommandMessage = { type: 'command', id, ...command };
    socket.send(JSON.stringify(message));
    store.commandSent(deviceId, id, command);
    hub.changed(deviceId);
    log(`${deviceId}: command ${id} ${JSON.stringify(command)}`);
    return { id };
  }

  function onMessage(session: Session, data: RawData, isBinary: boolean): void {
    session.alive = true;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const entry: JournalEntry = { at: Date.now(), device: session.hello?.device ?? null, frame: isBinary ? 'binary' : 'text' };
    try {
      if (isBinary) {
        if (!session.hello) throw new MalformedMessage('binary frame before hello');
        const reading = parseBinary(bytes, session.hello.device, session.hello.sensors);
        entry.message = reading;
        handle(session, reading);
      } else {
        const message = parseText(bytes.toString('utf8'));
        entry.message = message;
        handle(session, message);
        entry.device = session.hello?.device ?? null;
      }
    } catch (error) {
      // Nothing a device sends may crash the sink: count it, log it, keep the connection.
      const reason = error instanceof MalformedMessage ? error.message : `internal error: ${(error as Error).message}`;
      delete entry.message;
      entry.raw = isBinary ? bytes.toString('base64') : bytes.toString('utf8');
      entry.error = reason;
      store.malformed(session.hello?.device ?? null);
      log(`${session.hello?.device ?? 'unidentified connection'}: malformed: ${reason}`);
    }
    journal?.write(entry);
    if (session.hello) hub.changed(session.hello.device);
  }

  function handle(session: Session, message: DeviceMessage): void {
    if (message.type === 'hello') return hello(session, message);
    const device = session.hello?.device;
    if (!device) throw new MalformedMessage(`${message.type} before hello`);
    if ('device' in message && message.device !== device) {
      throw new MalformedMessage(`${message.type} for device ${message.device} on the connection of ${device}`);
    }
    switch (message.type) {
      case 'reading': {
        const outcome = store.reading(message);
        if (!outcome.duplicate) hub.reading(device, store.lastReading(device)!);
        if (outcome.missing > 0) log(`${device}: ${outcome.missing} missing before seq ${message.seq}`);
        const ack: ReadingAck = { type: 'ack', seq: outcome.ack };
        session.socket.send(JSON.stringify(ack));
        break;
      }
      case 'metrics':
        store.metrics(message);
        break;
      case 'ack':
      case 'error':
        if (message.type === 'error') log(`${device}: error for command ${message.id}: ${message.error}`);
        if (!store.commandReply(device, message)) log(`${device}: reply to unknown command ${message.id}`);
        break;
    }
  }

  function hello(session: Session, message: Hello): void {
    // A token says which device is talking: a device's token cannot speak for another device.
    if (session.token !== null && message.device !== session.token) {
      log(`${session.token}: hello claims device ${message.device}: closing (a token is good for its own device only)`);
      session.socket.close(1008, 'token is for another device');
      return;
    }
    if (session.hello && session.hello.device !== message.device) {
      throw new MalformedMessage(`hello for ${message.device} on the connection of ${session.hello.device}`);
    }
    session.hello = message;
    store.hello(message);
    // A board whose WiFi dropped reconnects before the sink notices its old socket is dead.
    const previous = current.get(message.device);
    if (previous && previous !== session.socket) previous.close(4000, 'replaced by a newer connection');
    current.set(message.device, session.socket);
    log(`${message.device}: hello (${message.board}, boot ${message.boot}, ${message.encoding}, ${message.sensors.join('/')}, every ${message.interval} ms)`);
  }

  function onConnection(socket: WebSocket, request: IncomingMessage, device: string | null): void {
    const session: Session = { socket, hello: null, alive: true, token: device };
    sessions.add(session);
    log(`connection from ${request.socket.remoteAddress}:${request.socket.remotePort}`);
    socket.on('message', (data, isBinary) => onMessage(session, data, isBinary));
    socket.on('pong', () => {
      session.alive = true;
    });
    socket.on('error', (error) => log(`${session.hello?.device ?? 'unidentified connection'}: socket error: ${error.message}`));
    socket.on('close', (code) => {
      sessions.delete(session);
      const device = session.hello?.device;
      if (device && current.get(device) === socket) {
        current.delete(device);
        store.setConnected(device, false);
        hub.changed(device);
      }
      log(`${device ?? 'unidentified connection'}: closed (${code})`);
    });
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE, perMessageDeflate: false });
  wss.on('connection', onConnection);

  const server = createServer(createApi({ store, deliver, page: dashboardHtml(), admin: tokens?.admin ?? null, events: hub }));
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = new URL(request.url ?? '/', 'http://sink').pathname;
    // Devices connect on /ws (the documented URL) or on / (what a URL without a path means), so a
    // board set up with either streams; a 404 is fatal for a board, so being strict here costs.
    if ((path !== '/ws' && path !== '/') || closing) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    let device: string | null = null;
    if (tokens !== null) {
      // Refused before the upgrade: without a valid token nothing reaches the WebSocket side.
      const token = bearer(request.headers.authorization);
      device = deviceOf(tokens, token);
      if (device === null) {
        log(`refused ${request.socket.remoteAddress}:${request.socket.remotePort}: ${token === null ? 'no' : 'unknown'} device token`);
        socket.end('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="sink"\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request, device));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error) => {
    await journal?.close();
    throw error;
  });

  // Drops sockets whose peer vanished without a close (power cut, WiFi gone), so `connected` is honest.
  const heartbeatMs = options.heartbeat ?? 30_000;
  const heartbeat =
    heartbeatMs > 0
      ? setInterval(() => {
          for (const session of sessions) {
            if (!session.alive) {
              log(`${session.hello?.device ?? 'unidentified connection'}: no pong, dropping`);
              session.socket.terminate();
            } else {
              session.alive = false;
              session.socket.ping();
            }
          }
        }, heartbeatMs)
      : null;
  heartbeat?.unref();

  const port = (server.address() as AddressInfo).port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const deviceUrls = reachableHosts(host).map((h) => `ws://${hostPort(h, port)}/ws`);
  log(`sink listening on http://${hostPart}:${port} (devices: ${deviceUrls.join(', ') || 'no network address found'})`);

  return {
    url: `http://${hostPart}:${port}`,
    wsUrl: `ws://${hostPart}:${port}/ws`,
    deviceUrls,
    port,
    auth: tokens !== null,
    stats: () => store.stats(),
    devices: () => store.devices(),
    sendCommand(deviceId, command) {
      const parsed = parseCommand(command);
      if (typeof parsed === 'string') throw new TypeError(parsed);
      return typeof deliver(deviceId, parsed) === 'object';
    },
    close() {
      closing ??= (async () => {
        if (heartbeat) clearInterval(heartbeat);
        // Devices get a proper close (1001) so they reconnect later; stragglers are cut after a grace period.
        const closed = [...sessions].map(
          (s) =>
            new Promise<void>((resolve) => {
              s.socket.once('close', () => resolve());
              s.socket.close(1001, 'sink shutting down');
            }),
        );
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(closed),
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, CLOSE_GRACE);
          }),
        ]);
        clearTimeout(timer);
        for (const s of sessions) s.socket.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        hub.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await journal?.close();
        log('sink closed');
      })();
      return closing;
    },
  };
}
