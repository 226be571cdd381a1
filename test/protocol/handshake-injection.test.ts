/**
 * Header injection through characters the one-byte-per-character request encoding cannot carry:
 * U+010D U+010A is written as CR LF and U+0100 as NUL, so they must be refused before encoding,
 * in every field that reaches the request (header names and values, Origin, subprotocols,
 * the URL's host and path). Unit checks per field, then the same cases over a real socket.
 */
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createNodeHal } from '../../hal/node/index';
import { WebSocket } from '../../firmware/websocket';
import { buildRequest, validateHandshakeOptions, type HandshakeOptions } from '../../protocol/handshake';
import { latin1Encode } from '../../protocol/latin1';
import { parseWsUrl, type WsUrl } from '../../protocol/url';
import { acceptFor } from '../helpers/protocol-harness';
import { thrown } from '../helpers/thrown';

const ok = (options: Partial<HandshakeOptions>): HandshakeOptions => ({ protocols: [], headers: {}, ...options });

// Each would put other bytes on the wire than the text says, or end/split the header line.
const HOSTILE: [string, string][] = [
  ['U+010D U+010A (CR LF on the wire)', 'a\u010d\u010aX-Injected: 1'],
  ['U+010D U+010A twice (a second request)', 'a\u010d\u010a\u010d\u010aGET /admin HTTP/1.1\u010d\u010aHost: x'],
  ['U+0100 (NUL on the wire)', 'a\u0100b'],
  ['U+2028', 'a\u2028b'],
  ['U+FFFD', '\ufffd'],
  ['a lone surrogate', 'a\ud800'],
  ['VT', 'a\u000bb'],
  ['FF', 'a\u000cb'],
  ['ESC', '\u001b[31m'],
  ['U+0001', '\u0001'],
  ['U+001F', 'a\u001f'],
  ['DEL', 'a\u007fb'],
  ['CR LF', 'a\r\nX-Injected: 1'],
  ['NUL', 'a\u0000'],
];

describe('handshake request: characters that cannot be sent as they read', () => {
  for (const [what, text] of HOSTILE) {
    describe(what, () => {
      it('is refused in a header value, naming the header', () => {
        const error = thrown(() => validateHandshakeOptions(ok({ headers: { 'X-Value': text } })));
        expect(error.code).to.equal('WS_ERR_BAD_HEADER');
        expect(error.message).to.include('"X-Value"');
      });

      it('is refused in the Origin, naming it', () => {
        const error = thrown(() => validateHandshakeOptions(ok({ origin: 'http://example.com/' + text })));
        expect(error.code).to.equal('WS_ERR_BAD_HEADER');
        expect(error.message).to.include('Origin');
      });

      it('is refused in a header name, naming it', () => {
        const name = 'X-' + text;
        const error = thrown(() => validateHandshakeOptions(ok({ headers: { [name]: 'v' } })));
        expect(error.code).to.equal('WS_ERR_BAD_HEADER');
        expect(error.message).to.include(`"${name}"`);
      });

      it('is refused in a subprotocol (WS_ERR_BAD_PROTOCOL, as for any non-token), naming it', () => {
        const p = 'chat' + text;
        const error = thrown(() => validateHandshakeOptions(ok({ protocols: ['v1', p] })));
        expect(error.code).to.equal('WS_ERR_BAD_PROTOCOL');
        expect(error.message).to.include(`"${p}"`);
      });

      it('is refused in the URL path and host by parseWsUrl', () => {
        expect(() => parseWsUrl('ws://example.com/a' + text))
          .to.throw()
          .with.property('code', 'WS_ERR_BAD_URL');
        expect(() => parseWsUrl('ws://exam' + text + 'ple.com/'))
          .to.throw()
          .with.property('code', 'WS_ERR_BAD_URL');
      });

      it('is refused by buildRequest in a hand-made URL path or host', () => {
        const url = parseWsUrl('ws://example.com/');
        const path: WsUrl = { ...url, resource: '/a' + text };
        const host: WsUrl = { ...url, hostHeader: 'example.com' + text };
        const pathError = thrown(() => buildRequest(path, 'k', ok({})));
        expect(pathError.code).to.equal('WS_ERR_BAD_URL');
        expect(pathError.message).to.include('path');
        const hostError = thrown(() => buildRequest(host, 'k', ok({})));
        expect(hostError.code).to.equal('WS_ERR_BAD_URL');
        expect(hostError.message).to.include('host');
      });
    });
  }

  it('names the character and where it is', () => {
    const error = thrown(() => validateHandshakeOptions(ok({ origin: 'ab\u010d\u010a' })));
    expect(error.message).to.include('U+010D').and.to.include('index 2');
  });

  it('refuses a space in a hand-made URL path (it would split the request line)', () => {
    const url = parseWsUrl('ws://example.com/');
    expect(() => buildRequest({ ...url, resource: '/a b' }, 'k', ok({})))
      .to.throw()
      .with.property('code', 'WS_ERR_BAD_URL');
  });

  it('keeps HTAB, SP and Latin-1 (U+0080..U+00FF) in values and Origin, and writes them byte for byte', () => {
    const options = ok({ origin: 'http://caf\u00e9.example', headers: { 'X-Tab': 'a\tb c', 'X-Latin1': '\u0080\u00a0\u00ff' } });
    const request = buildRequest(parseWsUrl('ws://example.com/'), 'k', options);
    expect(request).to.include('Origin: http://caf\u00e9.example\r\n');
    expect(request).to.include('X-Tab: a\tb c\r\nX-Latin1: \u0080\u00a0\u00ff\r\n');
    expect(Buffer.from(latin1Encode(request)).toString('latin1')).to.equal(request);
  });
});

/** A plain TCP server on 127.0.0.1 that records every connection's bytes, answers a handshake with 101 and a close with 1000. */
interface Recording {
  server: Server;
  url: string;
  /** Bytes received, one entry per accepted connection. */
  connections: Buffer[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recording> {
  const connections: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    const index = connections.push(Buffer.alloc(0)) - 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let answered = false;
    socket.on('data', (chunk) => {
      connections[index] = Buffer.concat([connections[index], chunk]);
      // After the 101, the client's next bytes are its close frame: answer 1000 and end.
      if (answered) {
        socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
        return;
      }
      const head = connections[index].toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      answered = true;
      const key = /\r\nSec-WebSocket-Key: ([^\r]*)\r\n/i.exec(head.slice(0, end + 2));
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${acceptFor(key ? key[1] : '')}\r\n\r\n`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    url: `ws://127.0.0.1:${port}/feed`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The request head's lines, without the blank line. */
function requestLines(bytes: Buffer): string[] {
  const text = bytes.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  expect(end, 'a complete request head').to.be.at.least(0);
  return text.slice(0, end).split('\r\n');
}

describe('handshake request over a real socket (firmware WebSocket on the Node HAL)', function () {
  this.timeout(15000);
  let peer: Recording;

  beforeEach(async () => {
    peer = await startRecorder();
  });
  afterEach(async () => {
    await peer.close();
  });

  const cases: [string, Record<string, unknown>][] = [
    ['Origin with U+010D U+010A', { origin: 'http://a\u010d\u010aX-Injected: 1' }],
    ['a header value with U+010D U+010A (a second request)', { headers: { 'X-Token': 't\u010d\u010a\u010d\u010aGET /admin HTTP/1.1\u010d\u010aHost: x' } }],
    ['Origin with U+0100', { origin: 'http://a\u0100b' }],
    ['a header value with U+0100', { headers: { 'X-Token': 'a\u0100b' } }],
  ];

  it('refuses each hostile field in the constructor, and the server sees only the one valid request', async () => {
    const hal = createNodeHal();
    for (const [what, options] of cases) {
      const error = thrown(() => new WebSocket(peer.url, { hal, pingInterval: 0, ...options }));
      expect(error.code, what).to.equal('WS_ERR_BAD_HEADER');
    }
    // A valid client after them: its request is the first and only one the server gets.
    const ws = new WebSocket(peer.url, ['chat'], {
      hal,
      pingInterval: 0,
      origin: 'http://caf\u00e9.example',
      headers: { 'X-Token': 'a\tb c', Cookie: 'k=v' },
    });
    const events: string[] = [];
    await new Promise<void>((resolve) => {
      ws.on('error', () => events.push('error'));
      ws.on('open', () => {
        events.push('open');
        ws.close();
      });
      ws.on('close', () => {
        events.push('close');
        resolve();
      });
    });
    expect(events).to.deep.equal(['open', 'close']);
    expect(peer.connections).to.have.length(1);
    const lines = requestLines(peer.connections[0]);
    expect(lines[0]).to.equal('GET /feed HTTP/1.1');
    const headers = lines.slice(1).map((line) => line.slice(0, line.indexOf(':')));
    expect(headers).to.deep.equal([
      'Host',
      'Upgrade',
      'Connection',
      'Sec-WebSocket-Key',
      'Sec-WebSocket-Version',
      'Origin',
      'Sec-WebSocket-Protocol',
      'X-Token',
      'Cookie',
    ]);
    expect(lines).to.include('Origin: http://caf\u00e9.example');
    expect(lines).to.include('X-Token: a\tb c');
    expect(lines).to.include('Cookie: k=v');
    expect(lines).to.include('Sec-WebSocket-Protocol: chat');
    expect(lines.join('\n')).to.not.match(/Injected|admin|\u0000/);
  });
});
