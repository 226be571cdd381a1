import { expect } from 'chai';
import fc from 'fast-check';
import { ReadyState } from '../../protocol/client-protocol';
import { concat, decodeFrames, serverFrame } from '../helpers/server-codec';
import { openHarness, type Recorded } from '../helpers/protocol-harness';

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
    fc.assert(fc.property(
      fc.array(fc.record({ m: message, cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }) }), { maxLength: 6 }),
      fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
      (items, fractions) => {
        const wire = concat(items.map((it) => framesOf(it.m, it.cuts)));
        const h = openHarness({ options: { rxBufferSize: 16 } });
        h.feed(wire, chunkPoints(wire.length, fractions));
        expect(h.events).to.deep.equal(items.map((it) => expectedEvent(it.m)));
      }), { numRuns: 300 });
  });

  it('any messages sent through any output buffer size come out intact at the server', () => {
    fc.assert(fc.property(fc.array(message, { maxLength: 6 }), fc.integer({ min: 144, max: 1200 }), (messages, txBufferSize) => {
      const h = openHarness({ options: { txBufferSize } });
      for (const m of messages) {
        if (m.kind === 'text') h.protocol.sendText(m.text);
        else h.protocol.sendBinary(m.data);
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
    }), { numRuns: 200 });
  });

  it('random byte streams never throw and leave the connection in a defined state', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { maxLength: 8 }), (chunks) => {
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
    }), { numRuns: 1000 });
  });
});
