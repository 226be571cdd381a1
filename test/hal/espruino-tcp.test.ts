/**
 * The Espruino HAL's sockets (createEspruinoHal's tcp, hal/espruino/index.ts) against a fake of
 * Espruino's net/tls modules (test/hal/espruino-fakes.ts).
 * The TcpRecorder flags any HAL rule broken on the way (a handler inside a call, anything
 * after onClose, data after destroy…).
 */
import { expect } from 'chai';
import { createEspruinoTcp } from '../../hal/espruino/index';
import type { TcpSocket } from '../../hal/types';
import { TcpRecorder } from '../helpers/tcp-recorder';
import { type EspruinoFakes, type FakeSocket, installEspruinoFakes, stringOf, tick } from './espruino-fakes';

describe('hal/espruino tcp (fake net)', () => {
  let fakes: EspruinoFakes;
  let rec: TcpRecorder;

  beforeEach(() => {
    fakes = installEspruinoFakes();
    rec = new TcpRecorder();
  });
  afterEach(() => {
    fakes.restore();
    expect(rec.violations).to.deep.equal([]);
  });

  function open(tls = false, supportsTls = true): { socket: TcpSocket; fake: FakeSocket | undefined } {
    const tcp = createEspruinoTcp(supportsTls);
    const socket = rec.call('connect', () => tcp.connect({ host: 'example.org', port: 8080, tls }, rec.handlers));
    const fakeNet = tls ? fakes.tls : fakes.net;
    return { socket, fake: fakeNet.sockets[fakeNet.sockets.length - 1] };
  }

  it('connects with net, and reports connect, data, end and close in order', () => {
    const { fake } = open();
    expect(fake!.options).to.deep.equal({ host: 'example.org', port: 8080 });
    fake!.fire('connect');
    fake!.fire('data', 'ab');
    fake!.fire('end');
    fake!.fire('close', false);
    expect(rec.events).to.deep.equal(['connect', 'data', 'end', 'close']);
    expect(Array.from(rec.received())).to.deep.equal([97, 98]);
  });

  it("listens with one function for every event, stored as Espruino stores listeners ('#on' + event, no array), and not to 'end'", () => {
    const a = open().fake as unknown as Record<string, unknown>;
    const b = open().fake as unknown as Record<string, unknown>;
    const listener = a['#ondata'];
    expect(listener).to.be.a('function');
    for (const fake of [a, b]) {
      for (const event of ['#onconnect', '#ondata', '#ondrain', '#onerror', '#onclose']) expect(fake[event], event).to.equal(listener);
      expect(fake['#onend']).to.equal(undefined);
    }
  });

  it('adds its listener after one someone wrapping net.connect added first', () => {
    const connect = fakes.net.connect.bind(fakes.net);
    const seen: unknown[] = [];
    fakes.net.connect = (options, onConnect) => {
      const socket = connect(options, onConnect);
      socket.on('data', (d) => seen.push(d));
      return socket;
    };
    const { fake } = open();
    fake!.fire('connect');
    fake!.fire('data', 'ab');
    expect(seen).to.deep.equal(['ab']);
    expect(Array.from(rec.received())).to.deep.equal([97, 98]);
  });

  it('maps every byte value of a received byte string to the same byte', () => {
    const { fake } = open();
    fake!.fire('connect');
    const all = stringOf(Array.from({ length: 256 }, (_, i) => i));
    fake!.fire('data', all);
    const bytes = rec.received();
    expect(bytes).to.have.length(256);
    for (let i = 0; i < 256; i++) expect(bytes[i], `byte ${i}`).to.equal(i);
  });

  it('writes byte strings (never a Uint8Array) with every byte value intact', () => {
    const { socket, fake } = open();
    fake!.fire('connect');
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    rec.write(socket, all);
    rec.write(socket, all.subarray(250, 253));
    for (const chunk of fake!.written) expect(chunk).to.be.a('string');
    expect(fake!.writtenBytes()).to.deep.equal([...Array.from(all), 250, 251, 252]);
  });

  it('returns true until 1024 bytes wait in the queue, then false, and reports onDrain once per wait', () => {
    const { socket, fake } = open();
    fake!.fire('connect');
    fake!.fire('drain'); // Espruino drains right after connecting: nothing was waiting
    expect(rec.write(socket, new Uint8Array(1000))).to.equal(true);
    expect(rec.write(socket, new Uint8Array(23))).to.equal(true);
    expect(rec.write(socket, Uint8Array.of(1))).to.equal(false); // 1024 bytes since the queue was empty
    fake!.fire('drain');
    fake!.fire('drain'); // no write in between: not reported
    expect(rec.events).to.deep.equal(['connect', 'drain']);
    // The drain emptied the queue: the count starts again.
    expect(rec.write(socket, new Uint8Array(1023))).to.equal(true);
    fake!.fire('drain'); // nobody waits: not reported, but the queue is empty again
    expect(rec.write(socket, new Uint8Array(1024))).to.equal(false);
    fake!.fire('drain');
    expect(rec.events).to.deep.equal(['connect', 'drain', 'drain']);
  });

  it('borrows the written array: the caller may overwrite it right after write()', () => {
    const { socket, fake } = open();
    fake!.fire('connect');
    const buffer = new Uint8Array([1, 2, 3]);
    rec.write(socket, buffer);
    buffer.fill(9);
    expect(fake!.writtenBytes()).to.deep.equal([1, 2, 3]);
  });

  for (const [message, kind, code] of [
    ['Unable to locate host', 'dns', -6],
    ['Unable to create socket', 'refused', -9],
  ] as const) {
    it(`turns a "${message}" thrown by connect into a later onError '${kind}', then one onClose`, async () => {
      fakes.net.throwOnConnect = message;
      const { socket } = open();
      expect(rec.events).to.deep.equal([]); // nothing inside connect()
      await tick();
      expect(rec.events).to.deep.equal(['error', 'close']);
      expect(rec.errors[0]).to.deep.include({ kind, code });
      expect(() => rec.write(socket, Uint8Array.of(1))).to.throw('This socket is closed');
      rec.end(socket);
      rec.destroy(socket);
      await tick();
      expect(rec.count('close')).to.equal(1);
    });
  }

  it('maps ESP8266 error events, and closes exactly once after them', () => {
    const { fake } = open();
    fake!.fire('error', { code: -6, message: 'not found' });
    fake!.fire('error', { code: -9, message: 'again' }); // a second error is not reported
    fake!.fire('end');
    fake!.fire('close', true);
    fake!.fire('close', true);
    expect(rec.events).to.deep.equal(['error', 'close']);
    expect(rec.errors[0]).to.deep.equal({ kind: 'dns', code: -6, message: 'not found' });
  });

  it('maps -9 to refused before connect and to reset after it', () => {
    const a = open();
    a.fake!.fire('error', { code: -9, message: 'connection reset' });
    a.fake!.fire('close', true);
    expect(rec.errors[0].kind).to.equal('refused');

    rec = new TcpRecorder();
    const b = open();
    b.fake!.fire('connect');
    b.fake!.fire('error', { code: -9, message: 'connection reset' });
    b.fake!.fire('end');
    b.fake!.fire('close', true);
    expect(rec.events).to.deep.equal(['connect', 'error', 'close']);
    expect(rec.errors[0].kind).to.equal('reset');
  });

  it('ignores an mbedTLS close_notify "error": the close is orderly', () => {
    const { fake } = open(true);
    fake!.fire('connect');
    fake!.fire('error', { code: -30848, message: 'close notify' });
    fake!.fire('end');
    fake!.fire('close', false);
    expect(rec.events).to.deep.equal(['connect', 'end', 'close']);
  });

  it('opens wss with tls, passing a binary CA as a byte string', () => {
    const tcp = createEspruinoTcp(true);
    rec.call('connect', () => tcp.connect({ host: 'h', port: 443, tls: true, tlsOptions: { ca: Uint8Array.of(0x30, 0x82) } }, rec.handlers));
    expect(fakes.net.sockets).to.have.length(0);
    expect(fakes.tls.sockets[0].options).to.deep.equal({ host: 'h', port: 443, ca: '\x30\x82' });
  });

  it('destroy(): ends the socket, ignores its events, and gives one synthetic onClose', async () => {
    const { socket, fake } = open();
    fake!.fire('connect');
    rec.destroy(socket);
    rec.destroy(socket);
    expect(fake!.ended).to.equal(true);
    expect(() => rec.write(socket, Uint8Array.of(1))).to.throw('This socket is closed');
    fake!.fire('data', 'late'); // flagged by the recorder if delivered
    fake!.fire('drain');
    fake!.fire('error', { code: -9, message: 'reset' });
    await tick();
    expect(rec.events).to.deep.equal(['connect', 'close']);
    fake!.fire('end');
    fake!.fire('close', false); // the real close, after the synthetic one: ignored
    rec.destroy(socket);
    expect(rec.count('close')).to.equal(1);
  });

  it('destroy() while connecting gives only onClose', async () => {
    const { socket, fake } = open();
    rec.destroy(socket);
    fake!.fire('connect');
    await tick();
    expect(rec.events).to.deep.equal(['close']);
  });

  it('write() on a socket Espruino closed underneath returns false, then one onError and onClose follow', async () => {
    const { socket, fake } = open();
    fake!.fire('connect');
    fake!.closed = true; // closed inside Espruino; its 'close' event has not been delivered yet
    expect(rec.write(socket, Uint8Array.of(1))).to.equal(false);
    await tick();
    expect(rec.events).to.deep.equal(['connect', 'error', 'close']);
    expect(rec.errors[0]).to.deep.equal({ kind: 'closed', code: -1, message: 'the connection closed while writing' });
    fake!.fire('end');
    fake!.fire('close', false); // Espruino's own close, later: ignored
    expect(rec.count('close')).to.equal(1);
  });

  it('write() throws after end() and after close; end() after close is harmless', () => {
    const { socket, fake } = open();
    fake!.fire('connect');
    rec.end(socket);
    expect(fake!.ended).to.equal(true);
    expect(() => rec.write(socket, Uint8Array.of(1))).to.throw('This socket is closed');
    fake!.fire('end');
    fake!.fire('close', false);
    expect(() => rec.write(socket, Uint8Array.of(1))).to.throw('This socket is closed');
    rec.end(socket);
    rec.destroy(socket);
    expect(rec.events).to.deep.equal(['connect', 'end', 'close']);
  });
});

describe('hal/espruino socket errors', () => {
  let fakes: EspruinoFakes;
  beforeEach(() => {
    fakes = installEspruinoFakes();
  });
  afterEach(() => fakes.restore());

  /** The one onError of a socket given `payload` as its 'error' event, before or after connecting. */
  function errorOf(payload: unknown, connected: boolean): unknown {
    const rec = new TcpRecorder();
    rec.call('connect', () => createEspruinoTcp(false).connect({ host: 'h', port: 1, tls: false }, rec.handlers));
    const fake = fakes.net.sockets[fakes.net.sockets.length - 1];
    if (connected) fake.fire('connect');
    fake.fire('error', payload);
    fake.fire('end');
    fake.fire('close', true);
    expect(rec.violations).to.deep.equal([]);
    expect(rec.count('error')).to.equal(1);
    return rec.errors[0];
  }

  it("maps Espruino's socket error codes (socketerrors.h) to kinds", () => {
    const kindOf = (code: number, connected: boolean) => (errorOf({ code, message: 'm' }, connected) as { kind: string }).kind;
    expect(kindOf(-6, false)).to.equal('dns');
    expect(kindOf(-9, false)).to.equal('refused');
    expect(kindOf(-9, true)).to.equal('reset');
    expect(kindOf(-3, true)).to.equal('timeout');
    expect(kindOf(-13, false)).to.equal('tls');
    expect(kindOf(-14, true)).to.equal('tls');
    expect(kindOf(-0x7200, true)).to.equal('tls'); // straight from mbedTLS
    // -1 (SOCKET_ERR_CLOSED) is never an Espruino error event; the HAL uses it for a write that found the socket gone.
    expect(kindOf(-1, true)).to.equal('closed');
    for (const code of [-2, -4, -5, -7, -8, -10, -11, -12, -15]) expect(kindOf(code, true), `code ${code}`).to.equal('other');
  });

  it('keeps the code and message of an error event, with fallbacks for odd payloads', () => {
    expect(errorOf({ code: -3, message: 'timeout' }, true)).to.deep.equal({ kind: 'timeout', code: -3, message: 'timeout' });
    expect(errorOf({ code: -3, message: '' }, true)).to.deep.equal({ kind: 'timeout', code: -3, message: 'socket error -3' });
    expect(errorOf({}, true)).to.deep.equal({ kind: 'other', code: -10, message: 'socket error -10' });
    expect(errorOf(null, false)).to.deep.equal({ kind: 'other', code: -10, message: 'socket error -10' });
  });

  for (const [thrown, kind, code] of [
    [new Error('Unable to locate host'), 'dns', -6],
    [new Error('Unable to create socket'), 'refused', -9],
    [new Error('SSL handshake failed'), 'tls', -13],
    [new Error('something else'), 'other', -10],
    ['weird', 'other', -10],
  ] as const) {
    it(`maps ${JSON.stringify(String(thrown))} thrown by connect to a later '${kind}' (${code})`, async () => {
      const net = fakes.net as unknown as { connect: () => never };
      net.connect = () => {
        throw thrown;
      };
      const rec = new TcpRecorder();
      rec.call('connect', () => createEspruinoTcp(false).connect({ host: 'h', port: 1, tls: false }, rec.handlers));
      await tick();
      expect(rec.events).to.deep.equal(['error', 'close']);
      expect(rec.errors[0]).to.deep.equal({ kind, code, message: String(thrown instanceof Error ? thrown.message : thrown) });
      expect(rec.violations).to.deep.equal([]);
    });
  }
});
