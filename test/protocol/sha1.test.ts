import { expect } from 'chai';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { sha1 } from '../../protocol/sha1';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

describe('sha1', () => {
  // FIPS 180-2 appendix A and the RFC 3174 test suite.
  const vectors: Array<[string, string]> = [
    ['', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '84983e441c3bd26ebaae4aa1f95129e5e54670f1'],
    [
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'a49b2446a02c645bf419f995b67091253a04a259',
    ],
    ['The quick brown fox jumps over the lazy dog', '2fd4e1c67a2d28fced849ee1bb76e7391b93eb12'],
  ];
  for (const [input, digest] of vectors) {
    it(`hashes ${JSON.stringify(input.length > 20 ? input.slice(0, 20) + '…' : input)}`, () => {
      const out = sha1(ascii(input));
      expect(out).to.be.instanceOf(Uint8Array);
      expect(out.length).to.equal(20);
      expect(hex(out)).to.equal(digest);
    });
  }

  it('hashes one million "a" (FIPS 180-2 A.3)', () => {
    expect(hex(sha1(new Uint8Array(1000000).fill(0x61)))).to.equal('34aa973cd4c4daa4f61eeb2bdbad27316534016f');
  });

  it('handles every length around the padding boundaries (0..200 bytes)', () => {
    for (let n = 0; n <= 200; n++) {
      const data = new Uint8Array(n).map((_, i) => (i * 7 + n) & 0xff);
      expect(hex(sha1(data)), `length ${n}`).to.equal(createHash('sha1').update(data).digest('hex'));
    }
  });

  it('hashes a subarray view (non-zero byteOffset) by its own bytes', () => {
    const backing = new Uint8Array(100).map((_, i) => i);
    const view = backing.subarray(13, 90);
    expect(hex(sha1(view))).to.equal(createHash('sha1').update(view).digest('hex'));
  });

  it('does not modify its input', () => {
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    sha1(data);
    expect(Array.from(data)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('agrees with node:crypto on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        expect(hex(sha1(data))).to.equal(createHash('sha1').update(data).digest('hex'));
      }),
      { numRuns: 300 },
    );
  });
});
