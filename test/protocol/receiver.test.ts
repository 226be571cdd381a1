import { expect } from 'chai';
import { closePayload, concat, decodeFrames, serverFrame } from '../helpers/server-codec';
import { openHarness, type Harness, type Recorded } from '../helpers/protocol-harness';

const text = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => new Uint8Array(b);

/** Feeds `wire` to a fresh open connection split at `splits`, returns the events. */
function run(wire: Uint8Array, splits: number[] = [], options = {}): Harness {
  const h = openHarness({ options });
  h.feed(wire, splits);
  return h;
}

/** Asserts that `wire` gives `expected` whole, split at every point, and byte by byte. */
function expectEveryChunking(wire: Uint8Array, expected: Recorded[], options = {}): void {
  expect(run(wire, [], options).events).to.deep.equal(expected);
  for (let split = 1; split < wire.length; split++) {
    expect(run(wire, [split], options).events, `split at ${split}`).to.deep.equal(expected);
  }
  const every = Array.from({ length: wire.length - 1 }, (_, i) => i + 1);
  expect(run(wire, every, options).events, 'one byte at a time').to.deep.equal(expected);
}

/** Asserts the connection fails with `closeCode`/`code` and sends that close frame. */
function expectFailure(wire: Uint8Array, closeCode: number, code: string, options = {}): void {
  const h = run(wire, [], options);
  expect(h.events[0], JSON.stringify(h.events)).to.deep.equal(['error', code, closeCode]);
  const frames = decodeFrames(h.drain());
  expect(frames.map((f) => f.opcode)).to.deep.equal([0x8]);
  expect((frames[0].payload[0] << 8) | frames[0].payload[1]).to.equal(closeCode);
  expect(h.protocol.wantsTcpClose).to.equal(true);
  h.protocol.connectionClosed();
  expect(h.events[h.events.length - 1].slice(0, 2)).to.deep.equal(['closed', closeCode]);
  expect(h.events[h.events.length - 1][3]).to.equal(false);
}

describe('receiver', () => {
  describe('RFC 6455 §5.7 examples, in every chunking', () => {
    it('a single-frame unmasked text message', () => {
      expectEveryChunking(bytes(0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f), [['text', 'Hello']]);
    });

    it('a fragmented unmasked text message', () => {
      expectEveryChunking(bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f), [['text', 'Hello']]);
    });

    it('an unmasked ping, answered by a pong with the same payload', () => {
      const wire = bytes(0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f);
      expectEveryChunking(wire, [['ping', Array.from(text('Hello'))]]);
      const frames = decodeFrames(run(wire).drain());
      expect(frames.map((f) => [f.opcode, new TextDecoder().decode(f.payload)])).to.deep.equal([[0xa, 'Hello']]);
    });

    it('256 bytes of binary with a 16-bit length', () => {
      const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
      const wire = concat([bytes(0x82, 0x7e, 0x01, 0x00), payload]);
      expectEveryChunking(wire, [['binary', Array.from(payload)]]);
    });

    it('65536 bytes of binary with a 64-bit length', () => {
      const payload = Uint8Array.from({ length: 65536 }, (_, i) => (i * 7) & 0xff);
      const wire = concat([bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0), payload]);
      const expected: Recorded[] = [['binary', Array.from(payload)]];
      expect(run(wire).events).to.deep.equal(expected);
      for (const split of [1, 2, 5, 9, 10, 11, 4096, 65545]) expect(run(wire, [split]).events, `split ${split}`).to.deep.equal(expected);
      const chunks = Array.from({ length: Math.floor(wire.length / 536) }, (_, i) => (i + 1) * 536);
      expect(run(wire, chunks).events, '536-byte chunks').to.deep.equal(expected);
    });
  });

  it('delivers several messages that arrive in one chunk, in order', () => {
    const wire = concat([serverFrame(1, 'a'), serverFrame(2, bytes(1, 2)), serverFrame(1, ''), serverFrame(2, new Uint8Array(0))]);
    expectEveryChunking(wire, [
      ['text', 'a'],
      ['binary', [1, 2]],
      ['text', ''],
      ['binary', []],
    ]);
  });

  it('assembles a single-frame binary message split over chunks in its own array, leaving the receive buffer as it was', () => {
    const payload = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const wire = concat([serverFrame(2, payload), serverFrame(2, bytes(7))]);
    const received: Uint8Array[] = [];
    const h = openHarness({ options: { rxBufferSize: 16 } });
    const onBinary = h.protocol['handler'].onBinary;
    h.protocol['handler'].onBinary = (data: Uint8Array) => {
      received.push(data);
      onBinary(data);
    };
    h.feed(wire, [3, 100, 200]);
    expect(h.events).to.deep.equal([
      ['binary', Array.from(payload)],
      ['binary', [7]],
    ]);
    expect(received[0].byteOffset).to.equal(0);
    expect(received[0].buffer.byteLength).to.equal(300);
    // Not even made: only fragmented messages and split text need it.
    expect(h.protocol['buffer'].length).to.equal(0);
  });

  it('handles control frames between the fragments of a message', () => {
    const wire = concat([
      serverFrame(1, 'Hel', { fin: false }),
      serverFrame(9, 'p'),
      serverFrame(0, 'l', { fin: false }),
      serverFrame(0xa, 'q'),
      serverFrame(0, 'o'),
    ]);
    expectEveryChunking(wire, [
      ['ping', [0x70]],
      ['pong', [0x71]],
      ['text', 'Hello'],
    ]);
  });

  it('reassembles multi-byte UTF-8 split across fragments', () => {
    const euro = text('€'); // e2 82 ac
    const wire = concat([
      serverFrame(1, euro.subarray(0, 1), { fin: false }),
      serverFrame(0, euro.subarray(1, 2), { fin: false }),
      serverFrame(0, euro.subarray(2)),
    ]);
    expectEveryChunking(wire, [['text', '€']]);
  });

  describe('failing the connection (RFC 6455 §7.1.7)', () => {
    const cases: [string, Uint8Array, number, string][] = [
      ['RSV1 set', serverFrame(1, 'x', { rsv: 4 }), 1002, 'WS_ERR_RESERVED_BITS'],
      ['RSV3 set', serverFrame(2, 'x', { rsv: 1 }), 1002, 'WS_ERR_RESERVED_BITS'],
      ['opcode 3', serverFrame(3, 'x'), 1002, 'WS_ERR_UNKNOWN_OPCODE'],
      ['opcode 7', serverFrame(7, 'x'), 1002, 'WS_ERR_UNKNOWN_OPCODE'],
      ['opcode 0xB', serverFrame(0xb, 'x'), 1002, 'WS_ERR_UNKNOWN_OPCODE'],
      ['opcode 0xF', serverFrame(0xf, 'x'), 1002, 'WS_ERR_UNKNOWN_OPCODE'],
      ['a fragmented ping', serverFrame(9, 'x', { fin: false }), 1002, 'WS_ERR_FRAGMENTED_CONTROL'],
      ['a 126-byte ping', serverFrame(9, new Uint8Array(126)), 1002, 'WS_ERR_CONTROL_TOO_LONG'],
      ['a masked frame', serverFrame(1, 'x', { mask: [1, 2, 3, 4] }), 1002, 'WS_ERR_MASKED_FRAME'],
      ['a 64-bit length with the top bit set', bytes(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1), 1002, 'WS_ERR_LENGTH_TOP_BIT'],
      ['a 16-bit length under 126', bytes(0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5), 1002, 'WS_ERR_NON_MINIMAL_LENGTH'],
      ['a 64-bit length under 65536', bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5), 1002, 'WS_ERR_NON_MINIMAL_LENGTH'],
      ['a continuation with no message', serverFrame(0, 'x'), 1002, 'WS_ERR_UNEXPECTED_CONTINUATION'],
      ['a new message inside a fragmented one', concat([serverFrame(1, 'a', { fin: false }), serverFrame(2, 'b')]), 1002, 'WS_ERR_EXPECTED_CONTINUATION'],
      ['invalid UTF-8 text', serverFrame(1, bytes(0xc0, 0x80)), 1007, 'WS_ERR_INVALID_UTF8'],
      ['text ending in a truncated sequence', serverFrame(1, bytes(0x61, 0xe2, 0x82)), 1007, 'WS_ERR_INVALID_UTF8'],
      ['a 1-byte close payload', serverFrame(8, bytes(3)), 1002, 'WS_ERR_INVALID_CLOSE'],
      ['close code 1005 on the wire', serverFrame(8, closePayload(1005)), 1002, 'WS_ERR_INVALID_CLOSE'],
      ['a close reason that is not UTF-8', serverFrame(8, concat([closePayload(1000), bytes(0xff)])), 1007, 'WS_ERR_INVALID_UTF8'],
    ];
    for (const [name, wire, closeCode, code] of cases) {
      it(`fails with ${closeCode} on ${name}`, () => expectFailure(wire, closeCode, code));
    }

    it('fails with 1009 on a frame over maxFrameSize, from the header alone', () => {
      const h = openHarness({ options: { maxMessageSize: 100, maxFrameSize: 10 } });
      h.feed(bytes(0x82, 11));
      expect(h.events).to.deep.equal([['error', 'WS_ERR_FRAME_TOO_BIG', 1009]]);
    });

    it('fails with 1009 when fragments add up to more than maxMessageSize, before buffering the payload', () => {
      const h = openHarness({ options: { maxMessageSize: 10 } });
      h.feed(concat([serverFrame(2, new Uint8Array(6), { fin: false }), bytes(0x00, 5)]));
      expect(h.events).to.deep.equal([['error', 'WS_ERR_MESSAGE_TOO_BIG', 1009]]);
    });

    it('accepts a message of exactly maxMessageSize in fragments', () => {
      const wire = concat([serverFrame(2, new Uint8Array(6), { fin: false }), serverFrame(0, new Uint8Array(4))]);
      expectEveryChunking(wire, [['binary', new Array(10).fill(0)]], { maxMessageSize: 10, rxBufferSize: 16 });
    });

    it('fails a text message as soon as a sequence is provably invalid, before it ends', () => {
      const h = openHarness();
      h.feed(concat([serverFrame(1, bytes(0x61, 0xf4), { fin: false }), bytes(0x00, 0x05, 0x90)]));
      expect(h.events).to.deep.equal([['error', 'WS_ERR_INVALID_UTF8', 1007]]);
    });

    it('ignores every byte after the failure', () => {
      const h = run(concat([serverFrame(3, ''), serverFrame(1, 'late')]));
      expect(h.events).to.deep.equal([['error', 'WS_ERR_UNKNOWN_OPCODE', 1002]]);
      h.feed(serverFrame(1, 'later'));
      expect(h.events).to.have.length(1);
    });
  });

  describe('received close codes (RFC 6455 §7.4)', () => {
    const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
    const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];
    for (const code of valid) {
      it(`accepts ${code} and echoes it`, () => {
        const h = run(serverFrame(8, closePayload(code, 'bye')));
        expect(h.events).to.deep.equal([['closing', code, 'bye']]);
        const frames = decodeFrames(h.drain());
        expect(frames.map((f) => Array.from(f.payload))).to.deep.equal([[code >> 8, code & 0xff]]);
      });
    }
    for (const code of invalid) {
      it(`rejects ${code} with 1002`, () => expectFailure(serverFrame(8, closePayload(code)), 1002, 'WS_ERR_INVALID_CLOSE'));
    }
  });
});
