/**
 * The Espruino entropy start-up test (hal/espruino/entropy.ts): what it refuses (stuck,
 * counting, striding, alternating, cycling, narrow, biased registers and power-of-two LCGs),
 * that it lets a real random source through with a measured false-failure rate, and that it
 * runs at the first fill(), not when the HAL is made. Against the fakes of Espruino's globals.
 */
import { createCipheriv, getRandomValues } from 'node:crypto';
import { expect } from 'chai';
import { createEspruinoEntropy, createEspruinoHal, registerLooksRandom } from '../../hal/espruino/index';
import { esp32 } from '../../boards/esp32';
import { esp8266 } from '../../boards/esp8266';
import { type EspruinoFakes, installEspruinoFakes } from './espruino-fakes';

/** Register reads and byte cut-off of the start-up test (entropy.ts' HEALTH_READS, BYTE_CUTOFF). */
const READS = 32;
const BYTE_CUTOFF = 10;

/** A register backed by the operating system's CSPRNG: what a working hardware RNG looks like. */
function osRandomRegister(): () => number {
  const word = new Uint32Array(1);
  return () => getRandomValues(word)[0];
}

/** A reader counting its reads. */
function counted(read: () => number): { read: () => number; reads: () => number } {
  let n = 0;
  return {
    read: () => {
      n++;
      return read();
    },
    reads: () => n,
  };
}

function sequence(next: (x: number) => number, seed: number): () => number {
  let x = seed;
  return () => (x = next(x));
}

/**
 * Seeded random words (AES-128-CTR keystream under a fixed key) for the random parts of the
 * patterns below, so that every run of these tests sees the same words.
 */
const patternStream = createCipheriv('aes-128-ctr', Buffer.alloc(16, 0x3c), Buffer.alloc(16, 0));
const random32 = (): number => patternStream.update(Buffer.alloc(4)).readUInt32LE(0);

/** Patterns a broken or non-random register can show, each as a fresh reader. */
const NOT_RANDOM: [string, () => () => number][] = [
  [
    'stuck',
    () => {
      const v = random32();
      return () => v;
    },
  ],
  ['stuck at zero (unmapped)', () => () => 0],
  ['stuck at all ones', () => () => 0xffffffff],
  ['a counter from 0', () => sequence((x) => (x + 1) >>> 0, -1)],
  ['a counter from a random start', () => sequence((x) => (x + 1) >>> 0, random32())],
  ['a counting down register', () => sequence((x) => (x - 1) >>> 0, random32())],
  ['a stride of 0x10000', () => sequence((x) => (x + 0x10000) >>> 0, random32())],
  ['a Weyl sequence (stride 0x9E3779B9: bytes look uniform)', () => sequence((x) => (x + 0x9e3779b9) >>> 0, random32())],
  ['a cycle counter read at irregular times', () => sequence((x) => (x + 900 + (random32() & 0xff)) >>> 0, random32())],
  // As written in JavaScript: x * 1103515245 is a double beyond 2^53, so the low bits are lost.
  ['the LCG x = (x*1103515245+12345)>>>0 in doubles', () => sequence((x) => (x * 1103515245 + 12345) >>> 0, random32())],
  // The same LCG exactly mod 2^32: bit k has period 2^(k+1), so bit 0 flips on every read.
  ['the LCG x = x*1103515245+12345 mod 2^32', () => sequence((x) => (Math.imul(x, 1103515245) + 12345) >>> 0, random32())],
  ['the mod 2^32 LCG of Numerical Recipes (1664525, 1013904223)', () => sequence((x) => (Math.imul(x, 1664525) + 1013904223) >>> 0, random32())],
  // An LCG whose reads give only part of the state, as rand() does: the rest of the word never changes.
  [
    'C rand(): LCG bits 16..30 per read',
    () => {
      let x = random32();
      return () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return (x >>> 16) & 0x7fff;
      };
    },
  ],
  [
    'one LCG byte per read (the high byte)',
    () => {
      let x = random32();
      return () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x >>> 24;
      };
    },
  ],
  [
    'one LCG byte per read (the low byte)',
    () => {
      let x = random32();
      return () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return x & 0xff;
      };
    },
  ],
  ['a 31-bit source (Espruino Linux E.hwRand is rand(): bit 31 never set)', () => () => random32() >>> 1],
  ['a 16-bit register', () => () => random32() & 0xffff],
  ['one bit stuck at 1', () => () => (random32() | 0x100) >>> 0],
  [
    'two values alternating',
    () => {
      const v = [random32(), random32()];
      let i = 0;
      return () => v[i++ & 1];
    },
  ],
  [
    'a cycle of 3 values',
    () => {
      const v = [random32(), random32(), random32()];
      let i = 0;
      return () => v[i++ % 3];
    },
  ],
  [
    'a cycle of 16 values',
    () => {
      const v = Array.from({ length: 16 }, random32);
      let i = 0;
      return () => v[i++ % 16];
    },
  ],
  // Random words whose bytes are 0 a quarter of the time: only the byte count shows it.
  [
    'a biased register (a byte is 0 with probability 1/4)',
    () => () => {
      let w = random32();
      for (let s = 0; s < 32; s += 8) if ((random32() & 3) === 0) w &= ~(0xff << s);
      return w >>> 0;
    },
  ],
  [
    'an unreadable register (the read throws)',
    () => () => {
      throw new Error('bus error');
    },
  ],
];

describe('Espruino entropy start-up test', () => {
  let fakes: EspruinoFakes;
  beforeEach(() => {
    fakes = installEspruinoFakes();
  });
  afterEach(() => fakes.restore());

  for (const [what, make] of NOT_RANDOM) {
    it(`refuses ${what}: every fill() throws WS_ERR_WEAK_ENTROPY`, () => {
      // Many times over, so that no lucky draw of the random parts lets a pattern through.
      for (let run = 0; run < 200; run++) {
        const register = counted(make());
        const entropy = createEspruinoEntropy({ readRegister: register.read });
        for (let attempt = 0; attempt < 3; attempt++) {
          expect(() => entropy.fill(new Uint8Array(16)), what)
            .to.throw()
            .with.property('code', 'WS_ERR_WEAK_ENTROPY');
        }
        // Tested once, at the first fill(); the verdict stands.
        expect(register.reads()).to.be.within(1, READS);
      }
    });
  }

  it('refuses a register that passes the start-up test and later alternates between two values', () => {
    let alternate = false;
    const good = osRandomRegister();
    const pair = [random32(), random32()];
    let i = 0;
    const entropy = createEspruinoEntropy({ readRegister: () => (alternate ? pair[i++ & 1] : good()) });
    entropy.fill(new Uint8Array(64));
    alternate = true;
    expect(() => entropy.fill(new Uint8Array(64)))
      .to.throw()
      .with.property('code', 'WS_ERR_WEAK_ENTROPY');
  });

  // Unseeded: with the rate measured below, a spurious failure of this test is about 2e-5.
  it('passes the operating system CSPRNG (crypto.getRandomValues) 100 times out of 100', () => {
    let failures = 0;
    for (let run = 0; run < 100; run++) {
      try {
        createEspruinoEntropy({ readRegister: osRandomRegister() }).fill(new Uint8Array(16));
      } catch (_e) {
        failures++;
      }
    }
    expect(failures).to.equal(0);
  });

  describe('false failures of a random register, over 100,000 seeded runs', function () {
    this.timeout(60000);
    const RUNS = 100_000;
    // A reproducible random stream: AES-128-CTR keystream under a fixed key.
    const stream = new Uint32Array(
      createCipheriv('aes-128-ctr', Buffer.alloc(16, 0x5a), Buffer.alloc(16, 0))
        .update(Buffer.alloc(RUNS * 40 * 4))
        .buffer.slice(0),
    );
    // console.log is faked in these tests.
    const report = (line: string) => process.stdout.write(`      ${line}\n`);
    const runs = (each: (read: () => number) => boolean): number => {
      let failed = 0;
      for (let run = 0; run < RUNS; run++) {
        let at = run * 40;
        if (!each(() => stream[at++])) failed++;
      }
      return failed;
    };

    /** P(some byte value is seen ≥ k times among n uniform bytes), bounded by 256 · P(Bin(n, 1/256) ≥ k). */
    function byteTail(n: number, k: number): number {
      let term = Math.pow(255 / 256, n); // P(Bin = 0)
      let below = 0;
      for (let j = 0; j < k; j++) {
        below += term;
        term *= ((n - j) / (j + 1)) * (1 / 255);
      }
      return 256 * (1 - below);
    }
    // The other checks' rates for 32 random words: a repeated word (birthday bound), two
    // equal successive differences, a bit flipping on all or none of the 31 steps.
    const OTHER = (READS * (READS - 1)) / 2 / 2 ** 32 + (READS - 2) / 2 ** 32 + 64 / 2 ** 31;

    it('at the chosen cut-offs: none (computed rate below 2e-7)', () => {
      const rate = byteTail(4 * READS, BYTE_CUTOFF) + OTHER;
      expect(rate).to.be.below(2e-7);
      const failed = runs((read) => {
        try {
          createEspruinoEntropy({ readRegister: read }).fill(new Uint8Array(16));
          return true;
        } catch (_e) {
          return false;
        }
      });
      report(`false failures: ${failed} of ${RUNS} runs; computed rate ${rate.toExponential(2)}`);
      expect(failed).to.equal(0);
    });

    // The computed rate rests on the byte-count model; with looser cut-offs, failures are common
    // enough to count, and must match it (within 5 standard deviations of a Poisson count).
    for (const cutoff of [6, 7]) {
      it(`with a byte cut-off of ${cutoff}: as many as the model predicts`, () => {
        const expected = RUNS * (byteTail(4 * READS, cutoff) + OTHER);
        const failed = runs((read) => registerLooksRandom(read, READS, cutoff));
        report(`byte cut-off ${cutoff}: ${failed} failures, ${expected.toFixed(1)} predicted (upper bound)`);
        expect(failed).to.be.within(expected - 5 * Math.sqrt(expected), expected + 5 * Math.sqrt(expected));
      });
    }
  });

  describe('runs at the first fill(), not when the HAL is made', () => {
    it('createEspruinoEntropy reads nothing; the first fill() runs the test, later ones only draw', () => {
      const register = counted(osRandomRegister());
      const entropy = createEspruinoEntropy({ readRegister: register.read });
      expect(register.reads()).to.equal(0);
      entropy.fill(new Uint8Array(16));
      // The test's reads, one to start the mixing state, one per word drawn.
      expect(register.reads()).to.equal(READS + 1 + 4);
      entropy.fill(new Uint8Array(16));
      expect(register.reads()).to.equal(READS + 1 + 8);
    });

    for (const board of [esp32, esp8266]) {
      it(`createEspruinoHal(${board.name}) does not peek at the RNG register until the first fill()`, () => {
        const register = counted(osRandomRegister());
        fakes.registers[board.rngRegister] = register.read;
        const hal = createEspruinoHal(board);
        expect(register.reads()).to.equal(0);
        hal.entropy.fill(new Uint8Array(4));
        expect(register.reads()).to.equal(READS + 1 + 1);
      });
    }

    it('a HAL made while the register is not yet random passes once it is (e.g. WiFi came up)', () => {
      let radioOn = false;
      const good = osRandomRegister();
      fakes.registers[esp32.rngRegister] = () => (radioOn ? good() : 0x42);
      const hal = createEspruinoHal(esp32);
      radioOn = true;
      hal.entropy.fill(new Uint8Array(16));
    });

    it('with allowWeakEntropy and a failing register: fills from E.hwRand, warns once, at the first fill()', () => {
      // The warning goes to console.log, which the fakes record.
      const warnings = fakes.logs;
      const entropy = createEspruinoEntropy({ readRegister: () => 7, allowWeakEntropy: true });
      expect(warnings).to.deep.equal([]);
      entropy.fill(new Uint8Array(16));
      entropy.fill(new Uint8Array(16));
      expect(warnings).to.have.length(1);
    });
  });
});
