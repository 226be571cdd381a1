/**
 * Whitespace around the server's header values: HTTP allows only SP and HTAB there
 * (RFC 9110 §5.5). JavaScript's trim() also strips VT, FF, NBSP and other Unicode spaces, which
 * would let `Upgrade: \x0bwebsocket` or an NBSP-padded Sec-WebSocket-Accept pass as valid.
 * Checked on the protocol's reader and checks, then through the WebSocket over a real socket.
 */
import { expect } from 'chai';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createNodeHal } from '../../hal/node/index';
import { WebSocket } from '../../firmware/websocket';
import { base64Encode } from '../../protocol/base64';
import { ResponseReader, acceptKeyFor, checkResponse, type HandshakeFailure } from '../../protocol/handshake';
import { sha1 } from '../../protocol/sha1';
import { acceptFor } from '../helpers/protocol-harness';

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = acceptKeyFor(KEY, sha1, base64Encode);

/** A 101 head with these three headers' lines (and an optional extra line). */
function head(upgrade: string, connection: string, accept: string, extra = ''): string {
  return 'HTTP/1.1 101 Switching Protocols\r\n' + upgrade + '\r\n' + connection + '\r\n' + accept + '\r\n' + extra + '\r\n';
}

/** Reads `text` (one byte per character) and checks it; the failure, or null when accepted. */
function verdict(text: string, offered: string[] = []): { failure: HandshakeFailure | null; protocol: string } {
  const bytes = new Uint8Array(Buffer.from(text, 'latin1'));
  const reader = new ResponseReader(4096);
  expect(reader.push(bytes, 0, bytes.length), 'head read completely').to.equal(bytes.length);
  return checkResponse(reader.response!, ACCEPT, offered);
}

const UPGRADE = 'Upgrade: websocket';
const CONNECTION = 'Connection: Upgrade';
const ACCEPT_LINE = 'Sec-WebSocket-Accept: ' + ACCEPT;

// Padding that is not HTTP whitespace, in the one-byte forms a server could send.
// (NEL is no whitespace to trim() either; it is here so no other trimming creeps in.)
const NOT_OWS: [string, string][] = [
  ['VT', '\x0b'],
  ['FF', '\x0c'],
  ['NBSP', '\xa0'],
  ['CR', '\r'],
  ['NEL', '\x85'],
];

/** Responses that must fail, with the kind they must fail as. */
const REJECTED: [string, string, HandshakeFailure['kind'], string[]?][] = [
  ['Upgrade: \\x0bwebsocket', head('Upgrade: \x0bwebsocket', CONNECTION, ACCEPT_LINE), 'upgrade'],
  ['Sec-WebSocket-Accept padded with NBSP', head(UPGRADE, CONNECTION, 'Sec-WebSocket-Accept: \xa0' + ACCEPT + '\xa0'), 'accept'],
];
for (const [name, pad] of NOT_OWS) {
  if (name === 'CR') continue; // a bare CR in a line is refused as malformed: below
  REJECTED.push(
    [`Upgrade padded with ${name}`, head('Upgrade: ' + pad + 'websocket' + pad, CONNECTION, ACCEPT_LINE), 'upgrade'],
    [`Connection token padded with ${name}`, head(UPGRADE, 'Connection: keep-alive,' + pad + 'Upgrade', ACCEPT_LINE), 'connection'],
    [`Connection padded with ${name}`, head(UPGRADE, 'Connection: Upgrade' + pad, ACCEPT_LINE), 'connection'],
    [`Sec-WebSocket-Accept padded with ${name} before`, head(UPGRADE, CONNECTION, 'Sec-WebSocket-Accept: ' + pad + ACCEPT), 'accept'],
    [`Sec-WebSocket-Accept padded with ${name} after`, head(UPGRADE, CONNECTION, ACCEPT_LINE + pad), 'accept'],
    [
      `Sec-WebSocket-Protocol padded with ${name}`,
      head(UPGRADE, CONNECTION, ACCEPT_LINE, 'Sec-WebSocket-Protocol: ' + pad + 'chat\r\n'),
      'subprotocol',
      ['chat'],
    ],
  );
}

/** Responses padded only with SP and HTAB: valid. */
const ACCEPTED: [string, string, string[]?][] = [
  ['Upgrade padded with SP and HTAB', head('Upgrade: \t websocket \t', CONNECTION, ACCEPT_LINE)],
  ['Upgrade with no space at all', head('Upgrade:websocket', 'Connection:Upgrade', 'Sec-WebSocket-Accept:' + ACCEPT)],
  ['Connection tokens padded with SP and HTAB', head(UPGRADE, 'Connection:\tkeep-alive \t, \tUpgrade\t ', ACCEPT_LINE)],
  ['Sec-WebSocket-Accept padded with SP and HTAB', head(UPGRADE, CONNECTION, 'Sec-WebSocket-Accept: \t  ' + ACCEPT + ' \t')],
  ['Sec-WebSocket-Protocol padded with HTAB', head(UPGRADE, CONNECTION, ACCEPT_LINE, 'Sec-WebSocket-Protocol:\tchat\t\r\n'), ['chat']],
];

describe('handshake response: only SP and HTAB are whitespace around a value', () => {
  for (const [what, text, kind, offered] of REJECTED) {
    it(`fails on ${what} (${kind})`, () => {
      const result = verdict(text, offered);
      expect(result.failure, 'a failure').to.not.equal(null);
      expect(result.failure!.kind).to.equal(kind);
    });
  }

  for (const [what, text, offered] of ACCEPTED) {
    it(`accepts ${what}`, () => {
      const result = verdict(text, offered);
      expect(result.failure).to.equal(null);
      expect(result.protocol).to.equal(offered ? offered[0] : '');
    });
  }

  it('keeps other whitespace in a value as part of it', () => {
    const bytes = new Uint8Array(Buffer.from('HTTP/1.1 101 OK\r\nX-A: \x0b\xa0v\x0c \t\r\nX-B:\t\t\r\n\r\n', 'latin1'));
    const reader = new ResponseReader(1024);
    reader.push(bytes, 0, bytes.length);
    expect(reader.response!.headers['x-a']).to.equal('\x0b\xa0v\x0c');
    expect(reader.response!.headers['x-b']).to.equal('');
  });

  it('refuses a bare CR inside a header line as malformed', () => {
    const bytes = new Uint8Array(Buffer.from(head('Upgrade: \rwebsocket', CONNECTION, ACCEPT_LINE), 'latin1'));
    const reader = new ResponseReader(1024);
    expect(reader.push(bytes, 0, bytes.length)).to.equal(-2);
    expect(reader.failure!.kind).to.equal('malformed');
  });
});

describe('handshake response whitespace through the WebSocket over a real socket', function () {
  this.timeout(15000);
  let server: Server;
  let url: string;
  const sockets = new Set<Socket>();
  /** Builds the response lines (after the status line) for the client's key. */
  let answer: (accept: string) => string;

  before(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      let text = '';
      let answered = false;
      socket.on('data', (chunk) => {
        if (answered) {
          // The client's close frame: answer 1000 and end.
          socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
          return;
        }
        text += chunk.toString('latin1');
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return;
        answered = true;
        const key = /\r\nSec-WebSocket-Key: ([^\r]*)\r\n/i.exec(text.slice(0, end + 2))![1];
        socket.write(Buffer.from('HTTP/1.1 101 Switching Protocols\r\n' + answer(acceptFor(key)) + '\r\n', 'latin1'));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Connects once; resolves with the event types and the first error's code. */
  function connect(): Promise<{ events: string[]; code: unknown }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, { hal: createNodeHal(), pingInterval: 0 });
      const events: string[] = [];
      let code: unknown;
      ws.on('error', (e) => {
        events.push('error');
        if (code === undefined) code = e.code;
      });
      ws.on('open', () => {
        events.push('open');
        ws.close();
      });
      ws.on('close', () => {
        events.push('close');
        resolve({ events, code });
      });
    });
  }

  it('fails the connection on Upgrade: \\x0bwebsocket', async () => {
    answer = (accept) => `Upgrade: \x0bwebsocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n`;
    expect(await connect()).to.deep.equal({ events: ['error', 'close'], code: 'WS_ERR_HANDSHAKE_UPGRADE' });
  });

  it('fails the connection on an NBSP-padded Sec-WebSocket-Accept', async () => {
    answer = (accept) => `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \xa0${accept}\xa0\r\n`;
    expect(await connect()).to.deep.equal({ events: ['error', 'close'], code: 'WS_ERR_HANDSHAKE_ACCEPT' });
  });

  it('opens with SP and HTAB padding everywhere', async () => {
    answer = (accept) => `Upgrade: \twebsocket \r\nConnection:\t keep-alive ,\tUpgrade \r\nSec-WebSocket-Accept:\t ${accept} \t\r\n`;
    expect(await connect()).to.deep.equal({ events: ['open', 'close'], code: undefined });
  });
});
