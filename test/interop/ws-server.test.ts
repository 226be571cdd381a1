import { expect } from 'chai';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as PeerSocket } from 'ws';
import { createNodeHal } from '../../hal/node/index';
import type { WebSocketOptions } from '../../firmware/client-options';
import { record, type Recorder } from '../helpers/ws-client-recorder';
import { makeTestCertificate } from '../helpers/test-certificate';
import { acceptFor } from '../helpers/protocol-harness';

/** A `ws` server on 127.0.0.1 whose behaviour each test sets through `onConnection`. */
interface Peer {
  url: string;
  wss: WebSocketServer;
  http: HttpServer;
  onConnection: (socket: PeerSocket, protocol: string) => void;
}

const servers: { close(): void }[] = [];
const clients: Recorder[] = [];

async function startPeer(
  options: { handleProtocols?: (set: Set<string>) => string | false; verify?: boolean | undefined; https?: { key: string; cert: string } } = {},
): Promise<Peer> {
  const http = options.https ? createHttpsServer(options.https) : createHttpServer();
  const peer = { onConnection: (socket: PeerSocket) => socket.on('message', (data, binary) => socket.send(data, { binary })) } as unknown as Peer;
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    ...(options.handleProtocols ? { handleProtocols: options.handleProtocols } : {}),
    ...(options.verify === false
      ? { verifyClient: (_info: unknown, done: (ok: boolean, code: number, message: string) => void) => done(false, 403, 'Forbidden') }
      : {}),
  });
  wss.on('connection', (socket) => peer.onConnection(socket, socket.protocol));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  peer.url = `${options.https ? 'wss' : 'ws'}://127.0.0.1:${port}/test`;
  peer.wss = wss;
  peer.http = http;
  servers.push({
    close: () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      http.close();
      http.closeAllConnections?.();
    },
  });
  return peer;
}

function client(url: string, protocols?: string[], options: WebSocketOptions = {}): Recorder {
  const r = record(url, protocols, { hal: createNodeHal(), pingInterval: 0, ...options });
  clients.push(r);
  return r;
}

const sizes = [0, 125, 126, 65535, 65536, 1024 * 1024];
const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

describe('interop with the ws server over hal/node', function () {
  this.timeout(20000);

  afterEach(async () => {
    for (const c of clients.splice(0)) {
      c.ws.close();
      if (c.ws.readyState !== 3) await c.next('close', 6000).catch(() => undefined);
    }
    for (const s of servers.splice(0)) s.close();
  });

  for (const size of sizes) {
    it(`echoes binary and text of ${size} bytes in both directions`, async () => {
      const peer = await startPeer();
      const c = client(peer.url);
      await c.next('open');
      const data = pattern(size);
      expect(c.ws.send(data)).to.equal(true);
      const echoed = await c.next('message');
      expect(echoed.data).to.be.instanceOf(Uint8Array);
      expect(Buffer.from(echoed.data).equals(Buffer.from(data))).to.equal(true);
      const text = 'x'.repeat(size);
      c.ws.send(text);
      expect((await c.next('message')).data).to.equal(text);
    });
  }

  it('carries multi-byte UTF-8 text unchanged', async () => {
    const peer = await startPeer();
    const c = client(peer.url);
    await c.next('open');
    const text = 'héllo € 𝄞 日本語 ' + '😀'.repeat(1000);
    c.ws.send(text);
    expect((await c.next('message')).data).to.equal(text);
  });

  it('reassembles a message the server sends in fragments', async () => {
    const peer = await startPeer();
    peer.onConnection = (socket) => {
      socket.send('frag', { fin: false });
      socket.send('men', { fin: false });
      socket.send('ted', { fin: true });
    };
    const c = client(peer.url);
    expect((await c.next('message')).data).to.equal('fragmented');
  });

  it("answers the server's ping with the same payload, and gets pongs for its own", async () => {
    const peer = await startPeer();
    const pongs: Buffer[] = [];
    peer.onConnection = (socket) => {
      socket.on('pong', (data) => pongs.push(data));
      socket.ping(Buffer.from('are you there'));
    };
    const c = client(peer.url);
    expect(Buffer.from((await c.next('ping')).data).toString()).to.equal('are you there');
    await c.next('open');
    c.ws.ping('from client');
    expect(Buffer.from((await c.next('pong')).data).toString()).to.equal('from client');
    expect(pongs.map(String)).to.deep.equal(['are you there']);
  });

  it('measures the round trip with the heartbeat', async () => {
    const peer = await startPeer();
    const c = client(peer.url, undefined, { pingInterval: 50 });
    await c.next('pong');
    expect(c.ws.rtt).to.be.within(0, 1000);
  });

  it('reports a server-initiated close with its code and reason, cleanly', async () => {
    const peer = await startPeer();
    let serverSaw: [number, string] | null = null;
    peer.onConnection = (socket) => {
      socket.on('close', (code, reason) => {
        serverSaw = [code, reason.toString()];
      });
      socket.close(4001, 'maintenance');
    };
    const c = client(peer.url);
    const close = await c.next('close');
    expect([close.code, close.reason, close.wasClean]).to.deep.equal([4001, 'maintenance', true]);
    await new Promise((r) => setTimeout(r, 50));
    expect(serverSaw, 'the echo carries the same code').to.deep.equal([4001, '']);
  });

  it('closes cleanly when the client starts the closing handshake', async () => {
    const peer = await startPeer();
    let serverSaw: [number, string] | null = null;
    peer.onConnection = (socket) =>
      socket.on('close', (code, reason) => {
        serverSaw = [code, reason.toString()];
      });
    const c = client(peer.url);
    await c.next('open');
    c.ws.close(1000, 'bye');
    const close = await c.next('close');
    expect([close.code, close.reason, close.wasClean]).to.deep.equal([1000, 'bye', true]);
    await new Promise((r) => setTimeout(r, 50));
    expect(serverSaw).to.deep.equal([1000, 'bye']);
  });

  it('negotiates a subprotocol the server picks from those offered', async () => {
    const peer = await startPeer({ handleProtocols: (set) => (set.has('v2') ? 'v2' : false) });
    const c = client(peer.url, ['v1', 'v2']);
    expect((await c.next('open')).protocol).to.equal('v2');
    expect(c.ws.protocol).to.equal('v2');
  });

  it('fails when the server picks a subprotocol that was not offered', async () => {
    const http = createHttpServer();
    http.on('upgrade', (req, socket) => {
      const accept = acceptFor(req.headers['sec-websocket-key'] as string);
      socket.end(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: evil\r\n\r\n`,
      );
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => http.close() });
    const c = client(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, ['good']);
    const error = await c.next('error');
    expect([error.kind, error.code]).to.deep.equal(['handshake', 'WS_ERR_HANDSHAKE_SUBPROTOCOL']);
    expect((await c.next('close')).code).to.equal(1006);
    expect(c.log.some((e) => e.type === 'open')).to.equal(false);
  });

  it('reports a handshake rejected with 403, with its status, and does not retry it', async () => {
    const peer = await startPeer({ verify: false });
    const c = client(peer.url, undefined, { reconnect: { minDelay: 10 } });
    const error = await c.next('error');
    expect([error.kind, error.status]).to.deep.equal(['handshake', 403]);
    const close = await c.next('close');
    expect([close.code, close.wasClean, close.willReconnect]).to.deep.equal([1006, false, false]);
  });

  it('times out a server that accepts TCP but never answers the handshake', async () => {
    const sockets: Socket[] = [];
    const silent: TcpServer = createTcpServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    servers.push({
      close: () => {
        for (const s of sockets) s.destroy();
        silent.close();
      },
    });
    const c = client(`ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`, undefined, { handshakeTimeout: 300 });
    const error = await c.next('error');
    expect([error.kind, error.code]).to.deep.equal(['timeout', 'WS_ERR_HANDSHAKE_TIMEOUT']);
    expect((await c.next('close')).code).to.equal(1006);
  });

  it('reports a refused connection', async () => {
    const tcp = createTcpServer();
    await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
    const port = (tcp.address() as AddressInfo).port;
    await new Promise((resolve) => tcp.close(resolve));
    const c = client(`ws://127.0.0.1:${port}/`);
    expect((await c.next('error')).kind).to.equal('refused');
    expect((await c.next('close')).code).to.equal(1006);
  });

  describe('wss', () => {
    let tls: { key: string; cert: string };
    before(async function () {
      this.timeout(30000);
      tls = await makeTestCertificate();
    });

    it('connects to a self-signed server trusted through the CA option', async () => {
      const peer = await startPeer({ https: tls });
      const c = client(peer.url, undefined, { tls: { ca: tls.cert } });
      await c.next('open');
      c.ws.send('secure');
      expect((await c.next('message')).data).to.equal('secure');
    });

    it('refuses the same server without the CA option', async () => {
      const peer = await startPeer({ https: tls });
      const c = client(peer.url);
      expect((await c.next('error')).kind).to.equal('tls');
      expect((await c.next('close')).code).to.equal(1006);
    });
  });
});
