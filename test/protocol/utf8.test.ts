import { expect } from 'chai';
import fc from 'fast-check';
import { isValidUtf8, utf16TextCodec, utf8Scan, UTF8_INVALID } from '../../protocol/utf8';
import { firstInvalidUtf8 } from '../helpers/utf8-oracle';

/** utf8Scan's state threaded through calls, with the questions the tests ask of it. */
class Utf8Validator {
  private state = 0;
  reset(): void {
    this.state = 0;
  }
  update(bytes: Uint8Array, start: number, end: number): boolean {
    this.state = utf8Scan(this.state, bytes, start, end);
    return this.state !== UTF8_INVALID;
  }
  pending(): number {
    return this.state < 0 ? 0 : this.state & 3;
  }
  isComplete(): boolean {
    return this.state === 0;
  }
}

type Vector = {
  name: string;
  bytes: number[];
  /** Index of the first byte that proves the input invalid, or -1. */
  failAt: number;
  /** Valid so far but ends inside a sequence. */
  truncated?: boolean;
};

const valid = (name: string, bytes: number[]): Vector => ({ name, bytes, failAt: -1 });
const invalid = (name: string, bytes: number[], failAt: number): Vector => ({ name, bytes, failAt });
const truncated = (name: string, bytes: number[]): Vector => ({ name, bytes, failAt: -1, truncated: true });

const vectors: Vector[] = [
  valid('empty', []),
  valid('ASCII', [0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x7f]),
  valid(
    'long ASCII run (fast path)',
    Array.from({ length: 37 }, (_, i) => 0x20 + i),
  ),
  valid('2-byte U+0080', [0xc2, 0x80]),
  valid('2-byte U+07FF', [0xdf, 0xbf]),
  valid('3-byte U+0800', [0xe0, 0xa0, 0x80]),
  valid('3-byte U+20AC €', [0xe2, 0x82, 0xac]),
  valid('3-byte U+D7FF (below surrogates)', [0xed, 0x9f, 0xbf]),
  valid('3-byte U+E000 (above surrogates)', [0xee, 0x80, 0x80]),
  valid('3-byte U+FFFF', [0xef, 0xbf, 0xbf]),
  valid('4-byte U+10000', [0xf0, 0x90, 0x80, 0x80]),
  valid('4-byte U+1F600', [0xf0, 0x9f, 0x98, 0x80]),
  valid('4-byte U+10FFFF', [0xf4, 0x8f, 0xbf, 0xbf]),
  valid('mixed', [0x61, 0xc3, 0xa9, 0x62, 0xe2, 0x82, 0xac, 0x63, 0x64, 0x65, 0x66, 0xf0, 0x9f, 0x98, 0x80, 0x67]),
  invalid('lone continuation 0x80', [0x80], 0),
  invalid('lone continuation 0xBF after ASCII', [0x61, 0x62, 0x63, 0x64, 0x65, 0xbf], 5),
  invalid('overlong 2-byte C0 80', [0xc0, 0x80], 0),
  invalid('overlong 2-byte C1 BF', [0xc1, 0xbf], 0),
  invalid('overlong 3-byte E0 80 80', [0xe0, 0x80, 0x80], 1),
  invalid('overlong 3-byte E0 9F BF', [0xe0, 0x9f, 0xbf], 1),
  invalid('overlong 4-byte F0 80 80 80', [0xf0, 0x80, 0x80, 0x80], 1),
  invalid('overlong 4-byte F0 8F BF BF', [0xf0, 0x8f, 0xbf, 0xbf], 1),
  invalid('surrogate ED A0 80 (U+D800)', [0xed, 0xa0, 0x80], 1),
  invalid('surrogate ED BF BF (U+DFFF)', [0xed, 0xbf, 0xbf], 1),
  invalid('F4 90 80 80 (U+110000)', [0xf4, 0x90, 0x80, 0x80], 1),
  invalid('F5', [0xf5, 0x80, 0x80, 0x80], 0),
  invalid('F8', [0xf8], 0),
  invalid('FE', [0x61, 0xfe], 1),
  invalid('FF', [0xff], 0),
  invalid('ASCII where a continuation is due', [0xe2, 0x82, 0x41], 2),
  invalid('new lead where a continuation is due', [0xc3, 0xc3, 0xa9], 1),
  invalid('continuation too many', [0xc3, 0xa9, 0xa9], 2),
  invalid('valid text then F4 90', [0xe2, 0x82, 0xac, 0xf4, 0x90, 0x80, 0x80], 4),
  truncated('truncated 2-byte', [0x61, 0xc3]),
  truncated('truncated 3-byte after 1', [0xe2]),
  truncated('truncated 3-byte after 2', [0xe2, 0x82]),
  truncated('truncated 4-byte after 3', [0xf0, 0x9f, 0x98]),
  truncated('truncated U+10FFFF', [0xf4, 0x8f, 0xbf]),
];

/** Feeds the chunks; returns the index of the chunk whose update returned false (or -1) and isComplete(). */
function feed(validator: Utf8Validator, bytes: Uint8Array, cuts: number[]): { failedChunk: number; complete: boolean } {
  let failedChunk = -1;
  let start = 0;
  const bounds = cuts.concat([bytes.length]);
  for (let c = 0; c < bounds.length; c++) {
    const ok = validator.update(bytes, start, bounds[c]);
    if (!ok && failedChunk < 0) failedChunk = c;
    // Fail-fast means: never true again once false.
    if (failedChunk >= 0) expect(ok, `chunk ${c} after failure`).to.equal(false);
    start = bounds[c];
  }
  return { failedChunk, complete: validator.isComplete() };
}

/** Index of the chunk (delimited by `cuts`) that contains byte `index`. */
function chunkOf(index: number, cuts: number[]): number {
  let c = 0;
  while (c < cuts.length && cuts[c] <= index) c++;
  return c;
}

function checkVector(v: Vector, bytes: Uint8Array, cuts: number[], validator: Utf8Validator): void {
  const result = feed(validator, bytes, cuts);
  const label = `${v.name} cut at [${cuts.join(',')}]`;
  expect(result.failedChunk, label).to.equal(v.failAt < 0 ? -1 : chunkOf(v.failAt, cuts));
  expect(result.complete, label).to.equal(v.failAt < 0 && !v.truncated);
}

describe('utf8Scan', () => {
  for (const v of vectors) {
    describe(v.name, () => {
      // Embedded at an offset inside a larger buffer, to exercise start/end.
      const backing = new Uint8Array(v.bytes.length + 6).fill(0xff);
      backing.set(v.bytes, 3);
      const bytes = backing.subarray(3, 3 + v.bytes.length);
      const expected = v.failAt < 0 && !v.truncated;

      it('whole', () => {
        const validator = new Utf8Validator();
        expect(validator.update(backing, 3, 3 + v.bytes.length)).to.equal(v.failAt < 0);
        expect(validator.isComplete()).to.equal(expected);
        expect(isValidUtf8(backing, 3, 3 + v.bytes.length)).to.equal(expected);
      });

      it('split in two at every position', () => {
        for (let cut = 0; cut <= bytes.length; cut++) checkVector(v, bytes, [cut], new Utf8Validator());
      });

      it('one byte at a time (fails at the earliest provable byte)', () => {
        checkVector(
          v,
          bytes,
          Array.from({ length: bytes.length }, (_, i) => i),
          new Utf8Validator(),
        );
      });
    });
  }

  it('stays invalid until reset(), then validates afresh', () => {
    const validator = new Utf8Validator();
    expect(validator.update(new Uint8Array([0xc0]), 0, 1)).to.equal(false);
    expect(validator.update(new Uint8Array([0x41]), 0, 1)).to.equal(false);
    expect(validator.isComplete()).to.equal(false);
    validator.reset();
    expect(validator.isComplete()).to.equal(true);
    expect(validator.update(new Uint8Array([0x41]), 0, 1)).to.equal(true);
    expect(validator.isComplete()).to.equal(true);
  });

  it('reset() also forgets a pending sequence', () => {
    const validator = new Utf8Validator();
    expect(validator.update(new Uint8Array([0xe0]), 0, 1)).to.equal(true);
    expect(validator.isComplete()).to.equal(false);
    validator.reset();
    // 0x80 would have been overlong after E0; after reset it is a lone continuation.
    expect(validator.update(new Uint8Array([0x41, 0x80]), 0, 1)).to.equal(true);
    expect(validator.isComplete()).to.equal(true);
  });

  it('pending() counts the continuation bytes the open character still needs', () => {
    const validator = new Utf8Validator();
    const bytes = new Uint8Array([0x41, 0xf0, 0x9f, 0x98, 0x80, 0xc3]);
    const pending = [0, 3, 2, 1, 0, 1];
    for (let i = 0; i < bytes.length; i++) {
      expect(validator.update(bytes, i, i + 1)).to.equal(true);
      expect(validator.pending(), `after byte ${i}`).to.equal(pending[i]);
    }
    validator.reset();
    expect(validator.pending()).to.equal(0);
  });

  it('an empty update changes nothing', () => {
    const validator = new Utf8Validator();
    expect(validator.update(new Uint8Array([0xe2, 0x82]), 0, 2)).to.equal(true);
    expect(validator.update(new Uint8Array(0), 0, 0)).to.equal(true);
    expect(validator.update(new Uint8Array([0xac]), 0, 1)).to.equal(true);
    expect(validator.isComplete()).to.equal(true);
  });

  it('reads only bytes[start, end)', () => {
    const bytes = new Uint8Array([0xff, 0x41, 0xc3, 0xa9, 0xff]);
    const validator = new Utf8Validator();
    expect(validator.update(bytes, 1, 4)).to.equal(true);
    expect(validator.isComplete()).to.equal(true);
    expect(isValidUtf8(bytes, 1, 4)).to.equal(true);
    expect(isValidUtf8(bytes, 0, 4)).to.equal(false);
    expect(isValidUtf8(bytes, 1, 3)).to.equal(false);
  });
});

// Random inputs that are mostly near-valid, so failures land anywhere, not just at byte 0.
const interestingByte = fc.constantFrom(0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff);
const utf8Text = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8')));
const mutated = fc.tuple(utf8Text, fc.nat(), interestingByte).map(([b, at, x]) => {
  const copy = new Uint8Array(b);
  if (copy.length) copy[at % copy.length] = x;
  return copy;
});
const truncatedText = fc.tuple(utf8Text, fc.nat()).map(([b, cut]) => b.subarray(0, b.length ? cut % (b.length + 1) : 0));
const soup = fc.array(interestingByte, { maxLength: 12 }).map((a) => new Uint8Array(a));
const anyBytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), utf8Text, mutated, truncatedText, soup);
const cutsFor = (n: number) => fc.uniqueArray(fc.integer({ min: 0, max: n }), { maxLength: 6 }).map((a) => a.sort((x, y) => x - y));

describe('Utf8Validator against TextDecoder (fatal)', () => {
  it('agrees on validity and on the earliest failing byte, in random chunkings', () => {
    fc.assert(
      fc.property(
        anyBytes.chain((bytes) => fc.tuple(fc.constant(bytes), cutsFor(bytes.length))),
        ([bytes, cuts]) => {
          const expected = firstInvalidUtf8(bytes);
          const chunked = feed(new Utf8Validator(), bytes, cuts);
          // Cuts at 1..n-1: chunk i is exactly byte i.
          const single = feed(
            new Utf8Validator(),
            bytes,
            Array.from({ length: Math.max(0, bytes.length - 1) }, (_, i) => i + 1),
          );
          if (typeof expected === 'number' && expected >= 0) {
            expect(single.failedChunk).to.equal(expected);
            expect(chunked.failedChunk).to.equal(chunkOf(expected, cuts));
          } else {
            expect(single.failedChunk).to.equal(-1);
            expect(chunked.failedChunk).to.equal(-1);
          }
          expect(chunked.complete).to.equal(expected === -1);
          expect(single.complete).to.equal(expected === -1);
          expect(isValidUtf8(bytes, 0, bytes.length)).to.equal(expected === -1);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('utf16TextCodec', () => {
  const codec = utf16TextCodec;
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

  it('encodes known characters', () => {
    expect(hex(codec.encode(''))).to.equal('');
    expect(hex(codec.encode('A\u00e9\u20ac\u{1F600}\u{10FFFF}\uffff'))).to.equal('41c3a9e282acf09f9880f48fbfbfefbfbf');
  });

  it('encodes lone surrogates as U+FFFD (EF BF BD)', () => {
    expect(hex(codec.encode('\ud800'))).to.equal('efbfbd');
    expect(hex(codec.encode('a\udc00b'))).to.equal('61efbfbd62');
    expect(hex(codec.encode('\udc00\ud800'))).to.equal('efbfbdefbfbd'); // reversed pair
    expect(hex(codec.encode('\ud83d\ud83d\ude00'))).to.equal('efbfbdf09f9880');
    expect(hex(codec.encode('x\ud83d'))).to.equal('78efbfbd'); // high surrogate at the end
  });

  it('decodes bytes[start, end) including surrogate pairs', () => {
    const bytes = new Uint8Array(Buffer.from('..A\u00e9\u20ac\u{1F600}\u{10FFFF}..', 'utf8'));
    expect(codec.decode(bytes, 2, bytes.length - 2)).to.equal('A\u00e9\u20ac\u{1F600}\u{10FFFF}');
    expect(codec.decode(bytes, 3, 3)).to.equal('');
  });

  it('decodes long text across chunk boundaries', () => {
    const text = 'ab\u00e9\u20ac\u{1F600}'.repeat(5000);
    const bytes = codec.encode(text);
    expect(codec.decode(bytes, 0, bytes.length)).to.equal(text);
  });

  it('round-trips random full-Unicode strings, agreeing with Buffer and TextEncoder', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })), (text) => {
        const bytes = codec.encode(text);
        expect(hex(bytes)).to.equal(Buffer.from(text, 'utf8').toString('hex'));
        expect(hex(bytes)).to.equal(hex(new TextEncoder().encode(text)));
        expect(codec.decode(bytes, 0, bytes.length)).to.equal(text);
      }),
      { numRuns: 500 },
    );
  });

  it('handles random UTF-16 including lone surrogates like Buffer does', () => {
    const unit = fc
      .oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0x7f }))
      .map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 30 }), (text) => {
        const bytes = codec.encode(text);
        expect(hex(bytes)).to.equal(Buffer.from(text, 'utf8').toString('hex'));
        expect(codec.decode(bytes, 0, bytes.length)).to.equal(Buffer.from(text, 'utf8').toString('utf8'));
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes invalid bytes with U+FFFD like a non-fatal TextDecoder', () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        expect(codec.decode(bytes, 0, bytes.length)).to.equal(new TextDecoder('utf-8').decode(bytes));
      }),
      { numRuns: 1000 },
    );
  });
});
