/**
 * Loopback TCP/TLS servers on 127.0.0.1 (ephemeral ports) for tests against real sockets.
 * close() destroys every accepted connection too, so nothing keeps mocha alive.
 */
import net from 'node:net';
import tls from 'node:tls';

export const LOOPBACK = '127.0.0.1';

export interface TestServer {
  readonly host: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Stops listening and destroys open connections. Idempotent. */
  close(): Promise<void>;
}

/** Echoes every byte back (with backpressure) and half-closes when the client does. */
export function startEchoServer(): Promise<TestServer> {
  return start(net.createServer((socket) => socket.pipe(socket)));
}

/** Accepts, then half-closes (FIN) at once without sending anything. */
export function startFinServer(): Promise<TestServer> {
  return start(net.createServer((socket) => socket.end()));
}

/** Resets (RST) a connection as soon as it receives a byte. */
export function startResetServer(): Promise<TestServer> {
  return start(net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy())));
}

/** Accepts and reads but never sends; ends when the client ends. */
export function startSilentServer(): Promise<TestServer> {
  return start(net.createServer((socket) => socket.resume()));
}

/** A TLS echo server with the given certificate; `servernames` records the SNI of each connection. */
export async function startTlsEchoServer(pems: { key: string; cert: string }): Promise<TestServer & { servernames: Array<string | false | null> }> {
  const servernames: Array<string | false | null> = [];
  const server = tls.createServer({ key: pems.key, cert: pems.cert }, (socket) => {
    servernames.push(socket.servername);
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  return Object.assign(await start(server), { servernames });
}

/** A loopback port with nothing listening (bound then released), so connecting is refused. */
export async function refusedPort(): Promise<number> {
  const server = await start(net.createServer());
  await server.close();
  return server.port;
}

async function start(server: net.Server): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  // 'connection' sees the raw TCP socket for TLS servers too.
  server.on('connection', (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // clients reset on purpose; not the server's failure
  });
  server.on('tlsClientError', () => {}); // clients rejecting the test certificate, on purpose
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    host: LOOPBACK,
    port,
    get accepted() {
      return accepted;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
