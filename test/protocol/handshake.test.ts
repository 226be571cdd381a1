import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { base64Encode } from '../../protocol/base64';
import {
  ResponseReader,
  WS_GUID,
  acceptKeyFor,
  buildRequest,
  checkResponse,
  generateKey,
  validateHandshakeOptions,
  type HandshakeFailure,
  type HandshakeOptions,
  type HttpResponse,
} from '../../protocol/handshake';
import { sha1 } from '../../protocol/sha1';
import { parseWsUrl } from '../../protocol/url';
import { thrown } from '../helpers/thrown';

const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

describe('handshake keys', () => {
  it('computes the RFC 6455 §1.3 accept value', () => {
    expect(WS_GUID).to.equal('258EAFA5-E914-47DA-95CA-C5AB0DC85B11');
    expect(acceptKeyFor('dGhlIHNhbXBsZSBub25jZQ==', sha1, base64Encode)).to.equal('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('acceptKeyFor agrees with node:crypto for random keys', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (nonce) => {
        const key = Buffer.from(nonce).toString('base64');
        const expected = createHash('sha1')
          .update(key + WS_GUID)
          .digest('base64');
        expect(acceptKeyFor(key, sha1, base64Encode)).to.equal(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('passes the exact hash and encoder through', () => {
    const seen: string[] = [];
    const result = acceptKeyFor(
      'k',
      (data) => {
        seen.push(Buffer.from(data).toString('latin1'));
        return new Uint8Array([1, 2]);
      },
      (data) => `b64(${Array.from(data).join(',')})`,
    );
    expect(seen).to.deep.equal(['k' + WS_GUID]);
    expect(result).to.equal('b64(1,2)');
  });

  it('generateKey encodes exactly 16 bytes from fill', () => {
    const filled: Uint8Array[] = [];
    const key = generateKey((out) => {
      filled.push(out);
      for (let i = 0; i < out.length; i++) out[i] = i + 1;
    }, base64Encode);
    expect(filled).to.have.length(1);
    expect(filled[0]).to.be.instanceOf(Uint8Array);
    expect(filled[0].length).to.equal(16);
    expect(key).to.equal('AQIDBAUGBwgJCgsMDQ4PEA==');
    expect(Buffer.from(key, 'base64')).to.have.length(16);
  });

  it('generateKey gives different keys for different entropy', () => {
    let n = 0;
    const fill = (out: Uint8Array) => out.fill(n++);
    expect(generateKey(fill, base64Encode)).to.not.equal(generateKey(fill, base64Encode));
  });
});

describe('buildRequest', () => {
  it('writes the representative request byte for byte', () => {
    const url = parseWsUrl('ws://[::1]:8080/chat?room=1');
    const options: HandshakeOptions = {
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      headers: { 'X-Token': 'abc 123' },
    };
    expect(buildRequest(url, 'dGhlIHNhbXBsZSBub25jZQ==', options)).to.equal(
      'GET /chat?room=1 HTTP/1.1\r\n' +
        'Host: [::1]:8080\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        'Sec-WebSocket-Version: 13\r\n' +
        'Origin: http://example.com\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        'X-Token: abc 123\r\n' +
        '\r\n',
    );
  });

  it('writes the minimal request without optional headers', () => {
    const request = buildRequest(parseWsUrl('wss://example.com'), 'AAAAAAAAAAAAAAAAAAAAAA==', { protocols: [], headers: {} });
    expect(request).to.equal(
      'GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });

  it('keeps extra headers in insertion order', () => {
    const request = buildRequest(parseWsUrl('ws://h/'), 'k', { protocols: [], headers: { B: '2', A: '1', Cookie: 'x=y' } });
    expect(request.endsWith('Sec-WebSocket-Version: 13\r\nB: 2\r\nA: 1\r\nCookie: x=y\r\n\r\n')).to.equal(true);
  });

  it('validates the options before building', () => {
    const error = thrown(() => buildRequest(parseWsUrl('ws://h/'), 'k', { protocols: [], headers: { 'X-A': 'a\r\nHost: evil' } }));
    expect(error.code).to.equal('WS_ERR_BAD_HEADER');
  });
});

describe('validateHandshakeOptions', () => {
  const ok = (options: Partial<HandshakeOptions>) => ({ protocols: [], headers: {}, ...options }) as HandshakeOptions;

  it('accepts ordinary options', () => {
    validateHandshakeOptions(ok({}));
    validateHandshakeOptions(ok({ origin: 'https://example.com', protocols: ['chat', 'v2.json', "!#$%&'*+-.^_`|~"] }));
    validateHandshakeOptions(ok({ headers: { Authorization: 'Bearer x', Cookie: 'a=b; c=d', 'X-Empty': '', "!#$%&'*+-.^_`|~": 'v' } }));
    // Subprotocol names are case-sensitive: these are distinct.
    validateHandshakeOptions(ok({ protocols: ['chat', 'Chat'] }));
  });

  const badNames = ['', 'X Token', 'X:Token', 'X-Token\r\nEvil', 'X(1)', 'X/Y', 'Caf\u00e9', 'X"Y', 'X\u0000'];
  for (const name of badNames) {
    it(`rejects header name ${JSON.stringify(name)}`, () => {
      const error = thrown(() => validateHandshakeOptions(ok({ headers: { [name]: 'v' } })));
      expect(error.code).to.equal('WS_ERR_BAD_HEADER');
      expect(error.message).to.include(`"${name}"`);
    });
  }

  const badValues = ['a\r\nHost: evil', 'a\nb', 'a\rb', 'a\u0000b', '\r\n'];
  for (const value of badValues) {
    it(`rejects header value ${JSON.stringify(value)}`, () => {
      const error = thrown(() => validateHandshakeOptions(ok({ headers: { 'X-Value': value } })));
      expect(error.code).to.equal('WS_ERR_BAD_HEADER');
      expect(error.message).to.include('X-Value');
    });
  }

  it('rejects a non-string header value', () => {
    const error = thrown(() => validateHandshakeOptions(ok({ headers: { 'X-Num': 5 as unknown as string } })));
    expect(error.code).to.equal('WS_ERR_BAD_HEADER');
    expect(error.message).to.include('X-Num');
  });

  const reserved = [
    'Host',
    'HOST',
    'Upgrade',
    'connection',
    'Sec-WebSocket-Key',
    'sec-websocket-version',
    'Sec-WebSocket-Protocol',
    'SEC-WEBSOCKET-EXTENSIONS',
  ];
  for (const name of reserved) {
    it(`refuses to let extra headers override ${name}`, () => {
      const error = thrown(() => validateHandshakeOptions(ok({ headers: { [name]: 'x' } })));
      expect(error.code).to.equal('WS_ERR_BAD_HEADER');
      expect(error.message).to.include(name);
    });
  }

  for (const origin of ['http://a\r\nX: y', 'a\nb', 'a\u0000']) {
    it(`rejects Origin ${JSON.stringify(origin)}`, () => {
      const error = thrown(() => validateHandshakeOptions(ok({ origin })));
      expect(error.code).to.equal('WS_ERR_BAD_HEADER');
      expect(error.message).to.include('Origin');
    });
  }

  const badProtocols = ['', 'a b', 'a,b', 'chat\r\n', 'x"y', 'p/1', 'caf\u00e9', '[x]'];
  for (const p of badProtocols) {
    it(`rejects subprotocol ${JSON.stringify(p)}`, () => {
      const error = thrown(() => validateHandshakeOptions(ok({ protocols: ['good', p] })));
      expect(error.code).to.equal('WS_ERR_BAD_PROTOCOL');
      expect(error.message).to.include(`"${p}"`);
    });
  }

  it('rejects duplicate subprotocols', () => {
    const error = thrown(() => validateHandshakeOptions(ok({ protocols: ['a', 'chat', 'b', 'chat'] })));
    expect(error.code).to.equal('WS_ERR_BAD_PROTOCOL');
    expect(error.message).to.include('"chat"');
  });
});

const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';
const HEAD =
  'HTTP/1.1 101 Switching Protocols\r\n' +
  'Server: test\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Accept: ' +
  ACCEPT +
  '\r\n' +
  'Sec-WebSocket-Protocol: chat\r\n' +
  'Set-Cookie: a=1\r\n' +
  'set-cookie:b=2\r\n' +
  'X-Spaces: \t padded value \t\r\n' +
  'X-Empty:\r\n' +
  '\r\n';
const FRAME = [0x81, 0x02, 0x68, 0x69]; // text "hi" sent in the same packet
const EXPECTED: HttpResponse = {
  status: 101,
  reason: 'Switching Protocols',
  headers: {
    server: 'test',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-accept': ACCEPT,
    'sec-websocket-protocol': 'chat',
    'set-cookie': 'a=1, b=2',
    'x-spaces': 'padded value',
    'x-empty': '',
  },
};

describe('ResponseReader', () => {
  const all = new Uint8Array([...bytesOf(HEAD), ...FRAME]);
  const headEnd = HEAD.length;

  it('reads a response in one push and returns the index past the blank line', () => {
    const reader = new ResponseReader(1024);
    expect(reader.push(all, 0, all.length)).to.equal(headEnd);
    expect(reader.response).to.deep.equal(EXPECTED);
    expect(reader.failure).to.equal(null);
    expect(Array.from(all.subarray(headEnd))).to.deep.equal(FRAME);
  });

  it('reads it split in two at every position (same array and copied chunks)', () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const reader = new ResponseReader(1024);
      const first = reader.push(all, 0, cut);
      if (cut < headEnd) {
        expect(first, `cut ${cut}`).to.equal(-1);
        expect(reader.response).to.equal(null);
        expect(reader.push(all, cut, all.length), `cut ${cut}`).to.equal(headEnd);
      } else {
        expect(first, `cut ${cut}`).to.equal(headEnd);
        // Done: nothing more is consumed.
        expect(reader.push(all, cut, all.length)).to.equal(cut);
      }
      expect(reader.response, `cut ${cut}`).to.deep.equal(EXPECTED);

      // Separate buffers: the index is relative to the array passed in.
      const copied = new ResponseReader(1024);
      const a = all.slice(0, cut);
      const b = all.slice(cut);
      const r1 = copied.push(a, 0, a.length);
      const r2 = copied.push(b, 0, b.length);
      if (cut < headEnd) expect([r1, r2], `cut ${cut}`).to.deep.equal([-1, headEnd - cut]);
      else expect([r1, r2], `cut ${cut}`).to.deep.equal([headEnd, 0]);
      expect(copied.response).to.deep.equal(EXPECTED);
    }
  });

  it('reads it one byte at a time', () => {
    const reader = new ResponseReader(1024);
    for (let i = 0; i < all.length; i++) {
      const result = reader.push(all, i, i + 1);
      if (i < headEnd - 1) expect(result, `byte ${i}`).to.equal(-1);
      else if (i === headEnd - 1) expect(result).to.equal(headEnd);
      else expect(result).to.equal(i);
    }
    expect(reader.response).to.deep.equal(EXPECTED);
  });

  it('handles CR and LF sequences that only partly match the terminator', () => {
    // "\r\n\r" then a non-LF must not end the head; neither may "\n\n" or "\r\r".
    const head = 'HTTP/1.1 101 OK\r\nA: 1\r\r\nB: 2\r\n\r\n';
    const reader = new ResponseReader(256);
    const bytes = bytesOf(head);
    for (let i = 0; i < bytes.length - 1; i++) expect(reader.push(bytes, i, i + 1)).to.equal(-1);
    // The bare CR inside a header line makes it malformed.
    expect(reader.push(bytes, bytes.length - 1, bytes.length)).to.equal(-2);
    expect(reader.failure!.kind).to.equal('malformed');
  });

  it('accepts a status line without a reason phrase', () => {
    for (const line of ['HTTP/1.1 101', 'HTTP/1.1 101 ']) {
      const reader = new ResponseReader(256);
      const bytes = bytesOf(line + '\r\nUpgrade: websocket\r\n\r\n');
      expect(reader.push(bytes, 0, bytes.length)).to.equal(bytes.length);
      expect(reader.response).to.deep.equal({ status: 101, reason: '', headers: { upgrade: 'websocket' } });
    }
  });

  it('reads an HTTP/1.0 error answer so that its status is reported', () => {
    const reader = new ResponseReader(256);
    const bytes = bytesOf('HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
    expect(reader.push(bytes, 0, bytes.length)).to.equal(bytes.length);
    expect(reader.response!.status).to.equal(403);
    expect(reader.response!.reason).to.equal('Forbidden');
  });

  function failureOf(head: string, max = 256): { result: number; failure: HandshakeFailure | null } {
    const reader = new ResponseReader(max);
    const bytes = bytesOf(head);
    const result = reader.push(bytes, 0, bytes.length);
    return { result, failure: reader.failure };
  }

  const malformed: Array<[string, string, number, string]> = [
    ['bad status code', 'HTTP/1.1 1O1 OK\r\n\r\n', 0, ''],
    ['two-digit status', 'HTTP/1.1 10 OK\r\n\r\n', 0, ''],
    ['no space after the code', 'HTTP/1.1 101OK\r\n\r\n', 0, ''],
    ['HTTP/2 status line', 'HTTP/2 101\r\n\r\n', 0, ''],
    ['header without a colon', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade websocket\r\n\r\n', 101, 'Switching Protocols'],
    ['header with an empty name', 'HTTP/1.1 101 OK\r\n: value\r\n\r\n', 101, 'OK'],
    ['space before the colon', 'HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n', 101, 'OK'],
    ['obs-fold', 'HTTP/1.1 101 OK\r\nX-A: one\r\n two\r\n\r\n', 101, 'OK'],
    ['obs-fold with a tab', 'HTTP/1.1 101 OK\r\nX-A: one\r\n\ttwo\r\n\r\n', 101, 'OK'],
    ['bare LF inside a header line', 'HTTP/1.1 101 OK\r\nX-A: one\nX-B: two\r\n\r\n', 101, 'OK'],
    ['bare CR in the status line', 'HTTP/1.1 101 O\rK\r\n\r\n', 0, ''],
  ];
  for (const [name, head, status, reason] of malformed) {
    it(`fails as malformed: ${name}`, () => {
      const { result, failure } = failureOf(head);
      expect(result).to.equal(-2);
      expect(failure).to.deep.include({ kind: 'malformed', status, reason });
      expect(failure!.message).to.be.a('string').and.not.equal('');
      if (name.startsWith('obs-fold')) expect(failure!.message).to.include('folded');
    });
  }

  it('fails at once on a peer that does not speak HTTP', () => {
    const reader = new ResponseReader(256);
    // A TLS alert, as when wss:// meets a plain server or the other way round.
    expect(reader.push(new Uint8Array([0x15, 0x03, 0x01, 0x00, 0x02]), 0, 5)).to.equal(-2);
    expect(reader.failure).to.deep.include({ kind: 'malformed', status: 0, reason: '' });
    const reader2 = new ResponseReader(256);
    expect(reader2.push(bytesOf('HTTP'), 0, 4)).to.equal(-1);
    expect(reader2.push(bytesOf('X'), 0, 1)).to.equal(-2);
  });

  describe('size bound', () => {
    const exact = 'HTTP/1.1 101 OK\r\nX: ' + 'a'.repeat(64 - 17 - 3 - 4) + '\r\n\r\n';
    it('accepts a head of exactly maxHeaderBytes', () => {
      expect(exact.length).to.equal(64);
      const reader = new ResponseReader(64);
      const bytes = new Uint8Array([...bytesOf(exact), ...FRAME]);
      expect(reader.push(bytes, 0, bytes.length)).to.equal(64);
    });

    it('fails with too-large one byte over, carrying the status line, in any chunking', () => {
      const over = 'HTTP/1.1 101 OK\r\nX: ' + 'a'.repeat(64 - 17 - 3 - 4 + 1) + '\r\n\r\n';
      const bytes = bytesOf(over);
      for (let step = 1; step <= bytes.length; step++) {
        const reader = new ResponseReader(64);
        let result = -1;
        for (let i = 0; i < bytes.length && result === -1; i += step) result = reader.push(bytes, i, Math.min(bytes.length, i + step));
        expect(result, `step ${step}`).to.equal(-2);
        expect(reader.failure).to.deep.include({ kind: 'too-large', status: 101, reason: 'OK' });
        expect(reader.failure!.message).to.include('64');
        expect(reader.response).to.equal(null);
      }
    });

    it('reports status 0 when even the status line did not fit', () => {
      const { result, failure } = failureOf('HTTP/1.1 101 ' + 'x'.repeat(100) + '\r\n\r\n', 64);
      expect(result).to.equal(-2);
      expect(failure).to.deep.include({ kind: 'too-large', status: 0, reason: '' });
    });

    it('stays failed without consuming more', () => {
      const reader = new ResponseReader(16);
      const bytes = bytesOf('HTTP/1.1 101 Switching Protocols\r\n\r\n');
      expect(reader.push(bytes, 0, bytes.length)).to.equal(-2);
      const failure = reader.failure;
      expect(reader.push(bytes, 0, bytes.length)).to.equal(-2);
      expect(reader.push(bytes, 0, 0)).to.equal(-2);
      expect(reader.failure).to.equal(failure);
    });
  });

  it('returns -1 for an empty push', () => {
    const reader = new ResponseReader(64);
    expect(reader.push(new Uint8Array(0), 0, 0)).to.equal(-1);
    expect(reader.response).to.equal(null);
    expect(reader.failure).to.equal(null);
  });

  it('finds the end in random chunkings', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: all.length - 1 }), { maxLength: 8 }), (cutsRaw) => {
        const cuts = cutsRaw.sort((a, b) => a - b).concat([all.length]);
        const reader = new ResponseReader(512);
        let start = 0;
        let index = -1;
        for (const cut of cuts) {
          const r = reader.push(all, start, cut);
          if (index === -1 && r !== -1) index = r;
          start = cut;
        }
        expect(index).to.equal(headEnd);
        expect(reader.response).to.deep.equal(EXPECTED);
      }),
    );
  });
});

describe('checkResponse', () => {
  const offered = ['chat', 'superchat'];
  const base = (): HttpResponse => ({
    status: 101,
    reason: 'Switching Protocols',
    headers: { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT },
  });
  const withHeaders = (headers: { [name: string]: string | undefined }, status = 101, reason = 'Switching Protocols'): HttpResponse => {
    const response = base();
    response.status = status;
    response.reason = reason;
    for (const name of Object.keys(headers)) {
      const value = headers[name];
      if (value === undefined) delete response.headers[name];
      else response.headers[name] = value;
    }
    return response;
  };

  it('accepts a correct response without a subprotocol', () => {
    expect(checkResponse(base(), ACCEPT, offered)).to.deep.equal({ protocol: '', failure: null });
    expect(checkResponse(base(), ACCEPT, [])).to.deep.equal({ protocol: '', failure: null });
  });

  it('returns the chosen subprotocol', () => {
    expect(checkResponse(withHeaders({ 'sec-websocket-protocol': 'superchat' }), ACCEPT, offered)).to.deep.equal({
      protocol: 'superchat',
      failure: null,
    });
  });

  it('accepts the response read by ResponseReader', () => {
    const reader = new ResponseReader(1024);
    reader.push(bytesOf(HEAD), 0, HEAD.length);
    const accept = acceptKeyFor('dGhlIHNhbXBsZSBub25jZQ==', sha1, base64Encode);
    expect(checkResponse(reader.response!, accept, offered)).to.deep.equal({ protocol: 'chat', failure: null });
  });

  it('reports a non-101 status with its reason', () => {
    const result = checkResponse(withHeaders({ upgrade: undefined }, 403, 'Forbidden'), ACCEPT, offered);
    expect(result.protocol).to.equal('');
    expect(result.failure).to.deep.equal({
      kind: 'status',
      message: 'server answered 403 Forbidden, not 101',
      status: 403,
      reason: 'Forbidden',
    });
  });

  it('reports a status without a reason phrase cleanly', () => {
    const failure = checkResponse(withHeaders({}, 200, ''), ACCEPT, offered).failure!;
    expect(failure.message).to.equal('server answered 200, not 101');
  });

  for (const upgrade of ['websocket', 'WebSocket', 'WEBSOCKET']) {
    it(`accepts Upgrade: ${upgrade}`, () => {
      expect(checkResponse(withHeaders({ upgrade }), ACCEPT, offered).failure).to.equal(null);
    });
  }
  for (const upgrade of [undefined, '', 'h2c', 'websocket2', 'websocket, h2c']) {
    it(`fails on Upgrade: ${JSON.stringify(upgrade)}`, () => {
      const failure = checkResponse(withHeaders({ upgrade }), ACCEPT, offered).failure!;
      expect(failure).to.deep.include({ kind: 'upgrade', status: 101, reason: 'Switching Protocols' });
      expect(failure.message).to.include('Upgrade');
    });
  }

  for (const connection of ['Upgrade', 'upgrade', 'keep-alive, Upgrade', 'Upgrade,keep-alive', ' UPGRADE ', 'a,,upgrade']) {
    it(`accepts Connection: ${JSON.stringify(connection)}`, () => {
      expect(checkResponse(withHeaders({ connection }), ACCEPT, offered).failure).to.equal(null);
    });
  }
  for (const connection of [undefined, '', 'keep-alive', 'close', 'Upgrade2', 'upgrade-insecure', 'keep-alive; upgrade']) {
    it(`fails on Connection: ${JSON.stringify(connection)}`, () => {
      const failure = checkResponse(withHeaders({ connection }), ACCEPT, offered).failure!;
      expect(failure.kind).to.equal('connection');
      expect(failure.message).to.include('Connection');
    });
  }

  for (const accept of [undefined, '', 'S3PPLMBITXAQ9KYGZZHZRBK+XOO=', ACCEPT + ' x', 'dGhlIHNhbXBsZSBub25jZQ==']) {
    it(`fails on Sec-WebSocket-Accept: ${JSON.stringify(accept)}`, () => {
      const failure = checkResponse(withHeaders({ 'sec-websocket-accept': accept }), ACCEPT, offered).failure!;
      expect(failure.kind).to.equal('accept');
      expect(failure.message).to.include('Sec-WebSocket-Accept');
    });
  }

  it('fails when the server picks a subprotocol that was not offered', () => {
    const failure = checkResponse(withHeaders({ 'sec-websocket-protocol': 'mqtt' }), ACCEPT, offered).failure!;
    expect(failure.kind).to.equal('subprotocol');
    expect(failure.message).to.include('"mqtt"');
  });

  it('fails when the server picks a subprotocol but none was offered', () => {
    const failure = checkResponse(withHeaders({ 'sec-websocket-protocol': 'chat' }), ACCEPT, []).failure!;
    expect(failure.kind).to.equal('subprotocol');
    expect(failure.message).to.include('none was offered');
  });

  for (const protocol of ['chat, superchat', 'Chat', '']) {
    it(`fails on Sec-WebSocket-Protocol: ${JSON.stringify(protocol)}`, () => {
      expect(checkResponse(withHeaders({ 'sec-websocket-protocol': protocol }), ACCEPT, offered).failure!.kind).to.equal('subprotocol');
    });
  }

  it('fails when the server enables an extension', () => {
    const failure = checkResponse(withHeaders({ 'sec-websocket-extensions': 'permessage-deflate' }), ACCEPT, offered).failure!;
    expect(failure.kind).to.equal('extension');
    expect(failure.message).to.include('permessage-deflate');
  });

  it('treats an empty Sec-WebSocket-Extensions as no extension', () => {
    expect(checkResponse(withHeaders({ 'sec-websocket-extensions': '' }), ACCEPT, offered).failure).to.equal(null);
  });

  describe('reports the first failure in RFC 6455 §4.1 order', () => {
    const everythingWrong = {
      upgrade: 'h2c',
      connection: 'close',
      'sec-websocket-accept': 'wrong',
      'sec-websocket-protocol': 'mqtt',
      'sec-websocket-extensions': 'permessage-deflate',
    };
    const order: Array<[HandshakeFailure['kind'], { [name: string]: string | undefined }, number]> = [
      ['status', everythingWrong, 400],
      ['upgrade', everythingWrong, 101],
      ['connection', { ...everythingWrong, upgrade: 'websocket' }, 101],
      ['accept', { ...everythingWrong, upgrade: 'websocket', connection: 'Upgrade' }, 101],
      ['subprotocol', { ...everythingWrong, upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT }, 101],
      ['extension', { ...everythingWrong, upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': ACCEPT, 'sec-websocket-protocol': 'chat' }, 101],
    ];
    for (const [kind, headers, status] of order) {
      it(kind, () => {
        const result = checkResponse(withHeaders(headers, status, 'Reason'), ACCEPT, offered);
        expect(result.protocol).to.equal('');
        expect(result.failure).to.deep.include({ kind, status, reason: 'Reason' });
      });
    }

    it('wrong Upgrade and wrong Accept reports upgrade', () => {
      const failure = checkResponse(withHeaders({ upgrade: 'x', 'sec-websocket-accept': 'y' }), ACCEPT, offered).failure!;
      expect(failure.kind).to.equal('upgrade');
    });
  });
});
