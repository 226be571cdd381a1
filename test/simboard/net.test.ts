import net from 'node:net';
import tls from 'node:tls';
import { expect } from 'chai';
import { makeTestCertificate } from '../helpers/test-certificate.ts';
import { createSimBoard, type BoardName, type SimBoard, type SimBoardOptions } from '../../tools/simboard/index.ts';

const CHUNK: Record<BoardName, number> = { esp32: 536, esp8266: 268 };
const BOARDS: BoardName[] = ['esp32', 'esp8266'];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, done: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A loopback server that records what each connection sent. */
interface TestServer {
  port: number;
  /** Bytes received, over all connections. */
  received(): Buffer;
  /** Connections that have closed. */
  closedCount(): number;
  close(): Promise<void>;
}

async function startServer(onConnection: (socket: net.Socket) => void = () => {}, secure?: { key: string; cert: string }): Promise<TestServer> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  let closed = 0;
  const handle = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      closed++;
    });
    onConnection(socket);
  };
  const server = secure ? tls.createServer(secure, handle) : net.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks),
    closedCount: () => closed,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Board code: log every socket event of `s` into `log`. */
const WATCH = `function watch(s, log) {
  ['connect', 'drain', 'end'].forEach(function (e) { s.on(e, function () { log.push(e); }); });
  s.on('error', function (e) { log.push('error ' + e.code + ' ' + e.message); });
  s.on('close', function (hadError) { log.push('close ' + hadError); });
}`;

describe('simboard: net and tls over loopback', () => {
  const boards: SimBoard[] = [];
  const servers: TestServer[] = [];
  const boot = (options: SimBoardOptions): SimBoard => {
    const board = createSimBoard(options);
    board.run(WATCH);
    boards.push(board);
    return board;
  };
  const serve = async (onConnection?: (socket: net.Socket) => void): Promise<TestServer> => {
    const server = await startServer(onConnection);
    servers.push(server);
    return server;
  };
  const log = (board: SimBoard): string[] => [...(board.evaluate('log') as string[])];
  afterEach(async () => {
    await Promise.all(boards.splice(0).map((b) => b.shutdown()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  for (const name of BOARDS) {
    describe(name, () => {
      it(`receives 100000 bytes intact in 'data' strings of at most ${CHUNK[name]} bytes, one per idle pass`, async () => {
        const payload = Buffer.alloc(100_000).map((_, i) => i & 0xff);
        const server = await serve((socket) => socket.end(payload));
        const board = boot({ board: name });
        board.run(`var log = [], got = [], sizes = [], pending = false, sameTick = 0;
          var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} });
          watch(s, log);
          s.on('data', function (d) {
            if (pending) sameTick++; // a second event before this one's microtasks ran
            pending = true;
            Promise.resolve().then(function () { pending = false; });
            got.push(d); sizes.push(d.length);
          });`);
        await until('close', () => log(board).includes('close false'));
        const sizes = board.evaluate('sizes') as number[];
        expect(Math.max(...sizes)).to.equal(CHUNK[name]);
        expect(board.evaluate('typeof got[0]')).to.equal('string');
        expect(Buffer.from(board.evaluate('got.join("")') as string, 'latin1').equals(payload)).to.equal(true);
        expect(board.evaluate('sameTick')).to.equal(0);
        expect(log(board)).to.deep.equal(['connect', 'drain', 'end', 'close false']);
      });

      it('write() sends String(x): a Uint8Array arrives as "1,2,3", E.toString(u8) as raw bytes; it returns false and drain fires', async () => {
        const server = await serve();
        const board = boot({ board: name });
        board.run(`var log = [], returned = [];
          var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} }, function () {
            returned.push(s.write(new Uint8Array([1, 2, 3])));
            returned.push(s.write(E.toString(new Uint8Array([0, 255, 128]))));
            returned.push(s.write(12345));
          });
          watch(s, log);`);
        await until('drain after the writes', () => log(board).filter((e) => e === 'drain').length === 2);
        expect(board.evaluate('returned')).to.deep.equal([false, false, false]);
        await until('the bytes', () => server.received().length === 13);
        expect(server.received()).to.deep.equal(Buffer.concat([Buffer.from('1,2,3'), Buffer.from([0, 255, 128]), Buffer.from('12345')]));
      });

      it('end() flushes a large queue then closes; write after end() throws "This socket is closed"', async () => {
        const server = await serve();
        const board = boot({ board: name });
        board.run(`var log = [], big = new Uint8Array(5000).map(function (_, i) { return i * 7; }), thrown;
          var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} });
          watch(s, log);
          s.write(E.toString(big));
          s.end();
          try { s.write('late'); } catch (e) { thrown = String(e); }`);
        expect(board.evaluate('thrown')).to.equal('Error: This socket is closed');
        await until('close', () => log(board).includes('close false'));
        await until('FIN at the server', () => server.closedCount() === 1);
        const expected = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff));
        expect(server.received().equals(expected)).to.equal(true);
        expect(log(board)).to.deep.equal(['connect', 'end', 'close false']); // no 'drain' while end() is pending
      });

      it('data that arrives together with the FIN is delivered between connect and end', async () => {
        const server = await serve((socket) => socket.end('hi'));
        const board = boot({ board: name });
        board.run(`var log = []; var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} });
          watch(s, log); s.on('data', function (d) { log.push('data ' + d); });`);
        await until('close', () => log(board).includes('close false'));
        expect(log(board)).to.deep.equal(['connect', 'drain', 'data hi', 'end', 'close false']);
      });

      it('only 127.0.0.1 and localhost can be reached', () => {
        const board = boot({ board: name });
        expect(() => board.run('require("net").connect({ host: "10.1.2.3", port: 80 })')).to.throw(/only 127\.0\.0\.1/);
      });
    });
  }

  describe('failures, per chip', () => {
    it('ESP32: a refused connection throws InternalError from net.connect and prints the errno', async () => {
      const server = await serve();
      const port = server.port;
      await server.close();
      servers.splice(0);
      const board = boot({ board: 'esp32' });
      board.run(`var log = [], thrown;
        try { require('net').connect({ host: '127.0.0.1', port: ${port} }); } catch (e) { thrown = e; }`);
      expect(board.evaluate('thrown instanceof InternalError && thrown.message')).to.equal('Unable to create socket');
      expect(board.output).to.include('ERROR: Connect failed (err 111)');
    });

    it('ESP8266: a refused connection reports error -9, end, close(true)', async () => {
      const server = await serve();
      const port = server.port;
      await server.close();
      servers.splice(0);
      const board = boot({ board: 'esp8266' });
      board.run(`var log = []; watch(require('net').connect({ host: '127.0.0.1', port: ${port} }), log);`);
      await until('close', () => log(board).length === 3);
      expect(log(board)).to.deep.equal(['error -9 connection reset', 'end', 'close true']);
    });

    it('an unknown host: ESP32 throws "Unable to locate host"; ESP8266 reports error -6', async () => {
      const esp32 = boot({ board: 'esp32' });
      expect(() => esp32.run('require("net").connect({ host: "no.such.host", port: 80 })')).to.throw('Unable to locate host');
      const esp8266 = boot({ board: 'esp8266' });
      esp8266.run(`var log = []; watch(require('net').connect({ host: 'no.such.host', port: 80 }), log);`);
      await until('close', () => log(esp8266).length === 3);
      expect(log(esp8266)).to.deep.equal(['error -6 not found', 'end', 'close true']);
    });

    it('a remote RST: ESP32 sees end + close(false) with no error; ESP8266 error -9', async () => {
      const server = await serve((socket) => socket.once('data', () => socket.resetAndDestroy()));
      const logs: Record<string, string[]> = {};
      for (const name of BOARDS) {
        const board = boot({ board: name });
        board.run(`var log = []; var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} }, function () { s.write('x'); }); watch(s, log);`);
        await until(`${name} close`, () => log(board).some((e) => e.startsWith('close')));
        logs[name] = log(board);
      }
      expect(logs.esp32).to.deep.equal(['connect', 'drain', 'drain', 'end', 'close false']);
      expect(logs.esp8266).to.deep.equal(['connect', 'drain', 'drain', 'error -9 connection reset', 'end', 'close true']);
    });
  });

  describe('tls', () => {
    it('ESP32 connects to a TLS server with a self-signed certificate (no verification, like the chip)', async () => {
      const server = await startServer((socket) => socket.pipe(socket), await makeTestCertificate());
      servers.push(server);
      const board = boot({ board: 'esp32' });
      board.run(`var log = [], echo = '';
        var s = require('tls').connect({ host: 'localhost', port: ${server.port} }, function () { s.write('secure \\xff'); });
        s.on('data', function (d) { echo += d; if (echo.length === 8) s.end(); });
        watch(s, log);`);
      await until('close', () => log(board).includes('close false'));
      expect(board.evaluate('echo')).to.equal('secure \xff');
    });
  });

  describe('WiFi drops', () => {
    for (const name of BOARDS) {
      it(`${name}: a socket stalls while the link is down and resumes when it is back`, async () => {
        const server = await serve((socket) => socket.pipe(socket));
        const board = boot({ board: name });
        board.run(`var log = [], echo = '';
          var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} }, function () { s.write('before;'); });
          s.on('data', function (d) { echo += d; });
          watch(s, log);`);
        await until('first echo', () => board.evaluate('echo') === 'before;');
        board.wifi.drop();
        board.run(`s.write('during;')`);
        await sleep(100);
        expect(server.received().toString()).to.equal('before;');
        expect(board.evaluate('echo')).to.equal('before;');
        board.wifi.restore();
        await until('the held bytes and their echo', () => board.evaluate('echo') === 'before;during;');
        expect(log(board)).to.deep.equal(['connect', 'drain', 'drain', 'drain']);
      });
    }

    it('connecting while WiFi is down: ESP32 throws (err 113), ESP8266 reports error -4', async () => {
      const server = await serve();
      const esp32 = boot({ board: 'esp32', wifi: { connected: false } });
      expect(() => esp32.run(`require('net').connect({ host: '127.0.0.1', port: ${server.port} })`)).to.throw('Unable to create socket');
      expect(esp32.output).to.include('ERROR: Connect failed (err 113)');
      const esp8266 = boot({ board: 'esp8266', wifi: { connected: false } });
      esp8266.run(`var log = []; watch(require('net').connect({ host: '127.0.0.1', port: ${server.port} }), log);`);
      await until('close', () => log(esp8266).length === 3);
      expect(log(esp8266)).to.deep.equal(['error -4 no route', 'end', 'close true']);
    });

    it('a drop longer than deadLinkTimeoutMs fails the socket: ESP32 end + close(false), ESP8266 error -3', async () => {
      const server = await serve();
      const logs: Record<string, string[]> = {};
      for (const name of BOARDS) {
        const board = boot({ board: name, deadLinkTimeoutMs: 50 });
        board.run(`var log = []; watch(require('net').connect({ host: '127.0.0.1', port: ${server.port} }), log);`);
        await until(`${name} connect`, () => log(board).includes('connect'));
        board.wifi.drop();
        await until(`${name} close`, () => log(board).some((e) => e.startsWith('close')));
        logs[name] = log(board);
      }
      expect(logs.esp32).to.deep.equal(['connect', 'drain', 'end', 'close false']);
      expect(logs.esp8266).to.deep.equal(['connect', 'drain', 'error -3 timeout', 'end', 'close true']);
      await until('the server to see both connections go', () => server.closedCount() === 2);
    });

    it('end() during a drop closes on the board at once; the bytes and FIN reach the server after restore', async () => {
      const server = await serve();
      const board = boot({ board: 'esp32' });
      board.run(`var log = []; var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} }); watch(s, log);`);
      await until('connect', () => log(board).includes('connect'));
      board.wifi.drop();
      board.run(`s.end('bye')`);
      await until('close on the board', () => log(board).includes('close false'));
      await sleep(50);
      expect(server.received().length).to.equal(0);
      board.wifi.restore();
      await until('FIN at the server', () => server.closedCount() === 1);
      expect(server.received().toString()).to.equal('bye');
    });
  });

  describe('shutdown', () => {
    it('ends every socket and timer: the server sees the close and no handles are left', async () => {
      const server = await serve((socket) => socket.pipe(socket));
      const activeBefore = countActive();
      const board = createSimBoard({ board: 'esp32' });
      board.run(`var n = 0; setInterval(function () { n++; }, 1);
        var s = require('net').connect({ host: '127.0.0.1', port: ${server.port} }, function () { s.write('hi'); });`);
      await until('the connection', () => server.received().length === 2);
      await board.shutdown();
      await until('the server to see the close', () => server.closedCount() === 1);
      const n = board.uncaught.length;
      await sleep(20);
      expect(board.uncaught.length).to.equal(n);
      expect(countActive()).to.deep.equal(activeBefore);
    });
  });
});

/** Host handles that would keep mocha alive, by kind. */
function countActive(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap' || kind === 'Timeout' || kind === 'Immediate') counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}
