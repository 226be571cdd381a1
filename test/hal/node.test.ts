import { expect } from 'chai';
import fc from 'fast-check';
import { X509Certificate } from 'node:crypto';
import { createNodeClock, createNodeEntropy, createNodeHal, kindOfNodeCode, nodeAllocate, nodeSha1, nodeTextCodec, toHalError } from '../../hal/node';
import type { Hal, TcpSocket, TcpTarget } from '../../hal/types';
import { bytesDiff, pattern, TcpRecorder } from '../helpers/tcp-recorder';
import { refusedPort, startEchoServer, startFinServer, startResetServer, startTlsEchoServer, type TestServer } from '../helpers/tcp-servers';
import { makeTestCertificate } from '../helpers/test-certificate';
import { halContract } from './contract';
import { at } from '../helpers/at';

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

halContract('node', async () => {
  const servers = await Promise.all([startEchoServer(), startFinServer(), startResetServer()]);
  const [echo, fin, reset] = servers;
  return {
    hal: createNodeHal(),
    echo,
    finOnAccept: fin,
    resetOnData: reset,
    refused: { host: '127.0.0.1', port: await refusedPort() },
    unresolvableHost: 'no-such-host.invalid', // reserved TLD: NXDOMAIN without leaving the machine
    halfClose: true,
    settle: wait,
    dispose: async () => {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
});

/** Connects and waits until the socket closes (or `stop` says the test has seen enough). */
async function run(hal: Hal, target: TcpTarget, script: (socket: TcpSocket, rec: TcpRecorder) => void = () => {}) {
  const rec = new TcpRecorder();
  const socket = rec.call('connect', () => hal.tcp.connect(target, rec.handlers));
  script(socket, rec);
  for (let waited = 0; !rec.closed; waited += 5) {
    if (waited > 10_000) throw new Error(`no onClose; events: ${rec.events.join(',')}`);
    await wait(5);
  }
  expect(rec.violations).to.deep.equal([]);
  return rec;
}

/** Writes `payload`, ends once it is all echoed, and returns the recorder. */
function echoScript(payload: Uint8Array) {
  return (socket: TcpSocket, rec: TcpRecorder) => {
    rec.write(socket, payload);
    rec.afterData = () => {
      if (rec.receivedLength() === payload.length) rec.end(socket);
    };
  };
}

describe('node HAL: TLS', () => {
  let server: Awaited<ReturnType<typeof startTlsEchoServer>>;
  let plain: TestServer;
  let fin: TestServer;
  const hal = createNodeHal();

  let TEST_TLS_CERT: string;

  before(async () => {
    const pems = await makeTestCertificate();
    TEST_TLS_CERT = pems.cert;
    [server, plain, fin] = await Promise.all([startTlsEchoServer(pems), startEchoServer(), startFinServer()]);
  });
  after(async () => {
    await Promise.all([server.close(), plain.close(), fin.close()]);
  });

  function target(overrides: Partial<TcpTarget> = {}): TcpTarget {
    return { host: server.host, port: server.port, tls: true, tlsOptions: { ca: TEST_TLS_CERT }, ...overrides };
  }

  it('echoes over TLS when the CA is trusted (PEM)', async () => {
    const payload = pattern(100_000);
    const rec = await run(hal, target(), echoScript(payload));
    expect(rec.events[0]).to.equal('connect');
    expect(bytesDiff(rec.received(), payload)).to.equal(undefined);
    expect(rec.errors).to.deep.equal([]);
  });

  it('accepts the CA as DER bytes too', async () => {
    const der = new Uint8Array(new X509Certificate(TEST_TLS_CERT).raw);
    const rec = await run(hal, target({ tlsOptions: { ca: der } }), echoScript(pattern(10)));
    expect(rec.errors).to.deep.equal([]);
    expect(rec.received().length).to.equal(10);
  });

  it('verifies certificates by default: an untrusted one is a "tls" error', async () => {
    const rec = await run(hal, target({ tlsOptions: undefined }));
    expect(rec.events).to.deep.equal(['error', 'close']);
    expect(rec.errors[0]).to.include({ kind: 'tls', code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('rejects a certificate for another name', async () => {
    const rec = await run(hal, target({ tlsOptions: { ca: TEST_TLS_CERT, servername: 'other.example' } }));
    expect(rec.errors[0]).to.include({ kind: 'tls', code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  it('passes rejectUnauthorized: false through', async () => {
    const rec = await run(hal, target({ tlsOptions: { rejectUnauthorized: false } }), echoScript(pattern(10)));
    expect(rec.errors).to.deep.equal([]);
    expect(rec.received().length).to.equal(10);
  });

  it('sends no SNI for an IP literal, and the given servername otherwise', async () => {
    await run(hal, target(), echoScript(pattern(1)));
    await run(hal, target({ tlsOptions: { ca: TEST_TLS_CERT, servername: 'localhost' } }), echoScript(pattern(1)));
    expect(server.servernames.slice(-2)).to.deep.equal([false, 'localhost']);
  });

  it('reports a TLS handshake with a plain TCP server as a "tls" error', async () => {
    const rec = await run(hal, { host: plain.host, port: plain.port, tls: true });
    expect(rec.events.at(-2)).to.equal('error');
    expect(at(rec.errors, 0, 'rec.errors').kind).to.equal('tls');
  });

  it('reports a FIN during the handshake as an error only (no onEnd before onConnect)', async () => {
    const rec = await run(hal, { host: fin.host, port: fin.port, tls: true });
    expect(rec.events).to.deep.equal(['error', 'close']);
    expect(rec.errors[0]).to.include({ kind: 'reset', code: 'ECONNRESET' });
  });
});

describe('node HAL: sockets', () => {
  const hal = createNodeHal();

  it('reports a synchronous failure (bad port) later, as onError then onClose', async () => {
    const rec = new TcpRecorder();
    const socket = rec.call('connect', () => hal.tcp.connect({ host: '127.0.0.1', port: 70_000, tls: false }, rec.handlers));
    expect(rec.events).to.deep.equal([]);
    expect(() => socket.write(Uint8Array.of(1))).to.throw(Error);
    await wait(20);
    expect(rec.events).to.deep.equal(['error', 'close']);
    expect(rec.errors[0]).to.include({ kind: 'other', code: 'ERR_SOCKET_BAD_PORT' });
    expect(rec.violations).to.deep.equal([]);
  });

  it("returns Node's boolean from write() and hands data over as plain Uint8Array views", async () => {
    const echo = await startEchoServer();
    try {
      const results: boolean[] = [];
      const rec = await run(hal, { host: echo.host, port: echo.port, tls: false }, (socket, r) => {
        // Still connecting, so Node buffers everything: 1 MiB is over its 16 KiB high-water mark.
        results.push(r.write(socket, pattern(10)), r.write(socket, pattern(1 << 20)));
        r.afterData = () => {
          if (r.receivedLength() === 10 + (1 << 20)) r.end(socket);
        };
      });
      expect(results).to.deep.equal([true, false]);
      expect(rec.events).to.include('drain');
    } finally {
      await echo.close();
    }
  });
});

describe('node HAL: errors', () => {
  const cases: Array<[string, string]> = [
    ['ECONNREFUSED', 'refused'],
    ['ENOTFOUND', 'dns'],
    ['EAI_AGAIN', 'dns'],
    ['EAI_FAIL', 'dns'],
    ['EAI_NONAME', 'dns'],
    ['ECONNRESET', 'reset'],
    ['EPIPE', 'reset'],
    ['ECONNABORTED', 'reset'],
    ['ETIMEDOUT', 'timeout'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls'],
    ['ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE', 'tls'],
    ['CERT_HAS_EXPIRED', 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'tls'],
    ['ERR_STREAM_DESTROYED', 'closed'],
    ['EHOSTUNREACH', 'other'],
  ];
  for (const [code, kind] of cases) {
    it(`maps ${code} to "${kind}"`, () => {
      expect(kindOfNodeCode(code)).to.equal(kind);
      const error = Object.assign(new Error(`boom ${code}`), { code });
      expect(toHalError(error)).to.deep.equal({ kind, code, message: `boom ${code}` });
    });
  }

  it('takes the code of an AggregateError from its first error', () => {
    const inner = Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
    expect(toHalError(new AggregateError([inner], ''))).to.include({ kind: 'refused', code: 'ECONNREFUSED' });
  });

  it('maps anything without a code to "other"', () => {
    expect(toHalError('weird')).to.deep.equal({ kind: 'other', code: 'UNKNOWN', message: 'weird' });
  });
});

describe('node HAL: clock, entropy, sha1, text', () => {
  it('clock: monotonic now(), timers fire, clearTimeout cancels and ignores stale handles', async () => {
    const clock = createNodeClock();
    const start = clock.now();
    let fired = 0;
    const cancelled = clock.setTimeout(() => fired++, 5);
    clock.clearTimeout(cancelled);
    const kept = clock.setTimeout(() => fired++, 5);
    await wait(30);
    clock.clearTimeout(kept); // already fired: ignored
    clock.clearTimeout(undefined);
    clock.clearTimeout({});
    expect(fired).to.equal(1);
    expect(clock.now()).to.be.greaterThan(start);
  });

  it('entropy fills the whole array, differently each time', () => {
    const entropy = createNodeEntropy();
    const a = new Uint8Array(64);
    const b = new Uint8Array(64);
    entropy.fill(a);
    entropy.fill(b);
    expect(bytesDiff(a, b)).to.not.equal(undefined);
    expect(a.some((x) => x !== 0)).to.equal(true);
  });

  it('entropy serves small requests from a pool of OS randomness, never the same bytes twice', () => {
    const entropy = createNodeEntropy();
    // The protocol's requests: the 16-byte key, then 256 bytes of mask keys at a time.
    const seen = new Set<string>();
    for (const size of [16, ...new Array<number>(40).fill(256), 3, 8192, 1]) {
      const out = new Uint8Array(size);
      entropy.fill(out);
      if (size >= 16) {
        const hex = Buffer.from(out).toString('hex');
        expect(seen.has(hex), `a repeated ${size}-byte draw`).to.equal(false);
        seen.add(hex);
        expect(
          out.some((x) => x !== 0),
          `${size} bytes all zero`,
        ).to.equal(true);
      }
    }
    // Larger than the pool: the whole array is filled too.
    const big = new Uint8Array(20000);
    entropy.fill(big);
    expect(big.subarray(19000).some((x) => x !== 0)).to.equal(true);
  });

  it('allocate gives plain Uint8Arrays of the length, each over an ArrayBuffer of its own', () => {
    for (const size of [10, Buffer.poolSize >>> 1, 65536]) {
      const a = nodeAllocate(size);
      const b = nodeAllocate(size);
      expect(Object.getPrototypeOf(a)).to.equal(Uint8Array.prototype);
      expect(a.length).to.equal(size);
      expect(a.byteOffset, `${size} bytes: not a slice of the shared pool`).to.equal(0);
      expect(a.buffer.byteLength).to.equal(size);
      expect(a.buffer).to.not.equal(b.buffer);
    }
    expect(createNodeHal().allocate).to.equal(nodeAllocate);
  });

  it('sha1 matches the FIPS 180 "abc" vector and returns a plain Uint8Array', () => {
    const digest = nodeSha1(new TextEncoder().encode('abc'));
    expect(Object.getPrototypeOf(digest)).to.equal(Uint8Array.prototype);
    expect(Buffer.from(digest).toString('hex')).to.equal('a9993e364706816aba3e25717850c26c9cd0d89d');
  });

  it('text codec validates natively from 64 bytes, agreeing with a fatal TextDecoder; below, it leaves it to the protocol', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const valid = (bytes: Uint8Array): boolean => {
      try {
        fatal.decode(bytes);
        return true;
      } catch {
        return false;
      }
    };
    const validate = nodeTextCodec.validate!;
    const ascii = new TextEncoder().encode('x'.repeat(100));
    expect(validate(ascii, 0, 63)).to.equal(undefined);
    expect(validate(ascii, 0, 64)).to.equal(true);
    expect(validate(ascii, 36, 100)).to.equal(true);
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: 60, maxLength: 200 }),
      fc.string({ unit: 'binary', minLength: 20, maxLength: 100 }).map((t) => new Uint8Array(Buffer.from(t, 'utf8'))),
      fc.tuple(fc.string({ unit: 'binary', minLength: 20, maxLength: 100 }), fc.nat(), fc.integer({ min: 0x80, max: 0xff })).map(([t, at, b]) => {
        const u = new Uint8Array(Buffer.from(t, 'utf8'));
        u[at % u.length] = b;
        return u;
      }),
    );
    fc.assert(
      fc.property(bytes, fc.nat(), fc.nat(), (all, a, b) => {
        const start = a % (all.length + 1);
        const end = start + (b % (all.length - start + 1));
        const answer = validate(all, start, end);
        if (end - start < 64) expect(answer).to.equal(undefined);
        else expect(answer).to.equal(valid(all.subarray(start, end)));
      }),
      { numRuns: 1000 },
    );
  });

  it('text codec decodes like Buffer#toString: a leading BOM is kept, invalid bytes become U+FFFD', () => {
    expect(nodeTextCodec.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41]), 0, 4)).to.equal('\ufeffA');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(nodeTextCodec.decode(bytes, 0, bytes.length)).to.equal(Buffer.from(bytes).toString('utf8'));
      }),
      { numRuns: 1000 },
    );
  });

  it('text codec round-trips UTF-8, decoding a sub-range of a view', () => {
    const text = 'héllo, 世界 🌍';
    const bytes = nodeTextCodec.encode(text);
    expect(Object.getPrototypeOf(bytes)).to.equal(Uint8Array.prototype);
    expect(bytesDiff(bytes, new TextEncoder().encode(text))).to.equal(undefined);
    const framed = new Uint8Array(bytes.length + 4);
    framed.set(bytes, 2);
    const view = framed.subarray(1);
    expect(nodeTextCodec.decode(view, 1, 1 + bytes.length)).to.equal(text);
    expect(nodeTextCodec.decode(view, 1, 1)).to.equal('');
  });
});
