import { expect } from 'chai';
import fc from 'fast-check';
import { espruinoTextCodec } from '../../hal/espruino/text';
import { nodeTextCodec } from '../../hal/node/text';
import { ReadyState } from '../../protocol/client-protocol';
import { utf16TextCodec, type TextCodec } from '../../protocol/utf8';
import { installEspruinoFakes, type EspruinoFakes } from '../hal/espruino-fakes';
import { concat, decodeFrames, serverFrame } from '../helpers/server-codec';
import { openHarness, type Recorded } from '../helpers/protocol-harness';
import { firstInvalidUtf8 } from '../helpers/utf8-oracle';

type Message = { kind: 'text'; text: string } | { kind: 'binary'; data: Uint8Array };

const message: fc.Arbitrary<Message> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }).map((text) => ({ kind: 'text' as const, text })),
  fc.uint8Array({ maxLength: 700 }).map((data) => ({ kind: 'binary' as const, data })),
);

function expectedEvent(m: Message): Recorded {
  return m.kind === 'text' ? ['text', m.text] : ['binary', Array.from(m.data)];
}

/** Server frames for `m`, fragmented at `cuts` (fractions of the payload). */
function framesOf(m: Message, cuts: number[]): Uint8Array {
  const payload = m.kind === 'text' ? new TextEncoder().encode(m.text) : m.data;
  const points = [...new Set(cuts.map((c) => Math.floor(c * payload.length)))].sort((a, b) => a - b).filter((p) => p > 0 && p < payload.length);
  const bounds = [0, ...points, payload.length];
  const frames: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    frames.push(serverFrame(i === 0 ? (m.kind === 'text' ? 1 : 2) : 0, payload.subarray(bounds[i], bounds[i + 1]), { fin: i + 2 === bounds.length }));
  }
  return concat(frames);
}

function chunkPoints(length: number, fractions: number[]): number[] {
  return [...new Set(fractions.map((f) => Math.floor(f * length)))].sort((a, b) => a - b).filter((p) => p > 0 && p < length);
}

describe('protocol properties', () => {
  it('any messages, any fragmentation, any chunking: the same messages arrive', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ m: message, cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }) }), { maxLength: 6 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
        (items, fractions) => {
          const wire = concat(items.map((it) => framesOf(it.m, it.cuts)));
          const h = openHarness({ options: { rxBufferSize: 16 } });
          h.feed(wire, chunkPoints(wire.length, fractions));
          expect(h.events).to.deep.equal(items.map((it) => expectedEvent(it.m)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any messages sent through any output buffer size come out intact at the server', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.integer({ min: 144, max: 1200 }), (messages, txBufferSize) => {
        const h = openHarness({ options: { txBufferSize } });
        for (const m of messages) {
          if (m.kind === 'text') h.sendText(m.text);
          else h.sendBinary(m.data);
        }
        const frames = decodeFrames(h.drain());
        const received: Recorded[] = [];
        let parts: Uint8Array[] = [];
        let opcode = 0;
        for (const f of frames) {
          expect(f.masked).to.equal(true);
          expect(f.payload.length).to.be.at.most(txBufferSize - 16);
          if (f.opcode !== 0) opcode = f.opcode;
          parts.push(f.payload);
          if (f.fin) {
            const whole = concat(parts);
            received.push(opcode === 1 ? ['text', new TextDecoder('utf-8', { fatal: true }).decode(whole)] : ['binary', Array.from(whole)]);
            parts = [];
          }
        }
        expect(received).to.deep.equal(messages.map((m) => expectedEvent(m)));
        expect(h.protocol.bufferedAmount).to.equal(0);
      }),
      { numRuns: 200 },
    );
  });

  it('random byte streams never throw and leave the connection in a defined state', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const h = openHarness({ options: { maxMessageSize: 256 } });
        for (const chunk of chunks) {
          h.protocol.receive(chunk);
          h.drain();
        }
        const state = h.protocol.readyState;
        expect([ReadyState.Open, ReadyState.Closing, ReadyState.Closed]).to.include(state);
        const errors = h.events.filter((e) => e[0] === 'error');
        expect(errors.length).to.be.at.most(1);
        if (errors.length === 1) expect(h.protocol.wantsTcpClose).to.equal(true);
        h.protocol.connectionClosed();
        expect(h.events.filter((e) => e[0] === 'closed')).to.have.length(1);
      }),
      { numRuns: 1000 },
    );
  });
});

// ---- text validation: the codec's native check against the JavaScript validator ------------

/** Codecs that differ only in their validate hook; decoding is the protocol's own. */
const fatalDecoder = new TextDecoder('utf-8', { fatal: true });
const nativeEverywhere: TextCodec = {
  ...utf16TextCodec,
  validate(bytes, start, end) {
    try {
      fatalDecoder.decode(bytes.subarray(start, end));
      return true;
    } catch {
      return false;
    }
  },
};
const CODECS: [string, () => TextCodec][] = [
  ['no validate hook (JavaScript validator only)', () => utf16TextCodec],
  ['the Node HAL codec (isUtf8 from 64 bytes)', () => nodeTextCodec],
  ['a native check of every range, however short', () => nativeEverywhere],
  ['a check that can never tell', () => ({ ...utf16TextCodec, validate: () => undefined })],
  // Its validate runs on the fake E.toString, installed around each run.
  ['the Espruino HAL codec (ASCII fast path)', () => ({ ...utf16TextCodec, validate: espruinoTextCodec.validate })],
];

const INTERESTING = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff];
/** Long ASCII runs (so native checks get ranges worth checking) mixed with any characters. */
const utf8Payload = fc
  .array(fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 90 }), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 6 })
  .map((parts) => new Uint8Array(Buffer.from(parts.join(''), 'utf8')));
/** Valid text, or text with a few bytes replaced, or text cut anywhere. */
const textPayload = fc.oneof(
  utf8Payload,
  fc.tuple(utf8Payload, fc.array(fc.tuple(fc.nat(), fc.constantFrom(...INTERESTING)), { minLength: 1, maxLength: 3 })).map(([bytes, edits]) => {
    for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
    return bytes;
  }),
  fc.tuple(utf8Payload, fc.nat()).map(([bytes, cut]) => bytes.subarray(0, cut % (bytes.length + 1))),
);
type WireMessage = { opcode: 1 | 2; payload: Uint8Array; cuts: number[] };
const wireMessage: fc.Arbitrary<WireMessage> = fc.record({
  opcode: fc.constantFrom<1 | 2>(1, 1, 1, 2),
  payload: textPayload,
  cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 3 }),
});

/**
 * The wire for `messages`, and what must happen at which chunk: each message's event comes with
 * the chunk holding its last byte; invalid text fails (and ends everything) with the chunk
 * holding the first byte a fatal decoder rejects, or the message's last byte when only its end is missing.
 */
function expectedRun(messages: WireMessage[], chunkOf: (offset: number) => number, wire: { bytes: Uint8Array }): [number, Recorded][] {
  const frames: Uint8Array[] = [];
  const expected: [number, Recorded][] = [];
  let offset = 0;
  let failed = false;
  for (const m of messages) {
    const points = [...new Set(m.cuts.map((c) => Math.floor(c * m.payload.length)))].sort((a, b) => a - b).filter((p) => p > 0 && p < m.payload.length);
    const bounds = [0, ...points, m.payload.length];
    // Wire offset of every payload byte.
    const at: number[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const piece = m.payload.subarray(bounds[i], bounds[i + 1]);
      const frame = serverFrame(i === 0 ? m.opcode : 0, piece, { fin: i + 2 === bounds.length });
      const header = frame.length - piece.length;
      for (let j = 0; j < piece.length; j++) at.push(offset + header + j);
      frames.push(frame);
      offset += frame.length;
    }
    if (failed) continue;
    const last = chunkOf(offset - 1);
    const invalid = m.opcode === 1 ? firstInvalidUtf8(m.payload) : -1;
    // A sequence left open at the end fails with the chunk holding the message's last byte.
    const bad = invalid === 'truncated' ? m.payload.length : invalid;
    if (bad < 0) {
      expected.push([last, m.opcode === 1 ? ['text', new TextDecoder('utf-8', { ignoreBOM: true }).decode(m.payload)] : ['binary', Array.from(m.payload)]]);
    } else {
      expected.push([bad < m.payload.length ? chunkOf(at[bad]) : last, ['error', 'WS_ERR_INVALID_UTF8', 1007]]);
      failed = true;
    }
  }
  wire.bytes = concat(frames);
  return expected;
}

describe('protocol properties: text validation through the codec', () => {
  let fakes: EspruinoFakes | null = null;
  afterEach(() => {
    fakes?.restore();
    fakes = null;
  });

  for (const [name, codecOf] of CODECS) {
    it(`${name}: text is accepted or fails with 1007 exactly as a fatal TextDecoder says, at the chunk that proves it`, () => {
      fakes = installEspruinoFakes();
      const codec = codecOf();
      fc.assert(
        fc.property(
          fc.array(wireMessage, { minLength: 1, maxLength: 4 }),
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
          fc.constantFrom(16, 64, 1024),
          (messages, fractions, rxBufferSize) => {
            // The wire length is only known once framed: chunk points are fractions of it.
            const sizing = { bytes: new Uint8Array(0) };
            expectedRun(messages, () => 0, sizing);
            const splits = chunkPoints(sizing.bytes.length, fractions);
            const chunkOf = (offset: number): number => splits.filter((s) => s <= offset).length;
            const wire = { bytes: new Uint8Array(0) };
            const expected = expectedRun(messages, chunkOf, wire);
            const h = openHarness({ options: { rxBufferSize }, text: codec });
            const seen: [number, Recorded][] = [];
            const bounds = [...splits, wire.bytes.length];
            let start = 0;
            for (let c = 0; c < bounds.length; c++) {
              const before = h.events.length;
              h.protocol.receive(wire.bytes.slice(start, bounds[c]));
              start = bounds[c];
              for (const event of h.events.slice(before)) seen.push([c, event]);
            }
            expect(seen).to.deep.equal(expected);
          },
        ),
        { numRuns: 400 },
      );
    });
  }
});
