/**
 * hal/espruino's text codec, SHA-1, clock, entropy and createEspruinoHal, against fakes of
 * Espruino's globals (test/hal/espruino-fakes.ts).
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { createEspruinoEntropy, createEspruinoHal, espruinoClock, espruinoTextCodec, findNativeSha1, registerLooksRandom } from '../../hal/espruino/index';
import { esp32 } from '../../boards/esp32';
import { esp8266 } from '../../boards/esp8266';
import { changingRegister, type EspruinoFakes, installEspruinoFakes, stringOf, tick } from './espruino-fakes';

describe('hal/espruino platform (fake globals)', () => {
  let fakes: EspruinoFakes;
  beforeEach(() => {
    fakes = installEspruinoFakes();
  });
  afterEach(() => fakes.restore());

  describe('text codec', () => {
    it('maps a byte string to its bytes and back, for all 256 byte values', () => {
      const text = stringOf(Array.from({ length: 256 }, (_, i) => i));
      const bytes = espruinoTextCodec.encode(text);
      expect(Array.from(bytes)).to.deep.equal(Array.from({ length: 256 }, (_, i) => i));
      expect(espruinoTextCodec.decode(bytes, 0, 256)).to.equal(text);
      expect(espruinoTextCodec.decode(bytes, 10, 13)).to.equal('\x0a\x0b\x0c');
    });

    it('keeps UTF-8 as bytes: the string of a UTF-8 text is its encoding', () => {
      const utf8 = Buffer.from('héllo €', 'utf8');
      const text = utf8.toString('latin1'); // what the board's string holds
      expect(Buffer.from(espruinoTextCodec.encode(text)).equals(utf8)).to.equal(true);
    });

    it('validates ASCII with one native scan of the range, and leaves any other byte to the protocol', () => {
      const validate = espruinoTextCodec.validate!;
      const framed = new Uint8Array([0x81, 0x7e, ...Buffer.from('plain ASCII text', 'latin1'), 0xff]);
      expect(validate(framed, 2, framed.length - 1)).to.equal(true);
      // One E.toString call, of a view of exactly the range (no copy made in JavaScript).
      expect(fakes.toStringCalls).to.have.length(1);
      const arg = fakes.toStringCalls[0] as Uint8Array;
      expect(arg.buffer).to.equal(framed.buffer);
      expect([arg.byteOffset, arg.length]).to.deep.equal([2, framed.length - 3]);
      // Not ASCII: the codec cannot tell quickly (undefined), valid or not; never a wrong answer.
      expect(validate(framed, 2, framed.length)).to.equal(undefined);
      expect(validate(framed, 0, 2)).to.equal(undefined);
      expect(validate(new Uint8Array(Buffer.from('abc é € 😀 def', 'utf8')), 0, 19)).to.equal(undefined);
      expect(validate(new Uint8Array(Buffer.from('abc é € 😀 def', 'utf8')), 0, 4)).to.equal(true);
      expect(validate(new Uint8Array(0), 0, 0)).to.equal(true);
      for (let byte = 0; byte < 256; byte++) expect(validate(Uint8Array.of(0x41, byte, 0x42), 0, 3), `byte ${byte}`).to.equal(byte < 0x80 ? true : undefined);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 60 }), fc.nat(), fc.nat(), (all, a, b) => {
          const start = a % (all.length + 1);
          const end = start + (b % (all.length - start + 1));
          const ascii = all.subarray(start, end).every((x) => x < 0x80);
          expect(validate(all, start, end)).to.equal(ascii ? true : undefined);
        }),
        { numRuns: 1000 },
      );
    });

    it('never lets the string share a buffer the caller keeps', () => {
      // Espruino's E.toString returns the storage of a Uint8Array that covers its whole
      // buffer, and copies any other view: so decode may pass a part view, never a whole one.
      const buffer = new Uint8Array([104, 105, 33]);
      expect(espruinoTextCodec.decode(buffer, 0, 3)).to.equal('hi!');
      expect(espruinoTextCodec.decode(buffer, 1, 3)).to.equal('i!');
      expect(espruinoTextCodec.decode(buffer, 0, 2)).to.equal('hi');
      expect(fakes.toStringCalls).to.have.length(3);
      for (const arg of fakes.toStringCalls) {
        expect(arg).to.be.instanceOf(Uint8Array);
        const view = arg as Uint8Array;
        const wholeOfCallers = view.buffer === buffer.buffer && view.byteOffset === 0 && view.byteLength === buffer.buffer.byteLength;
        expect(wholeOfCallers, "a whole view of the caller's buffer reached E.toString").to.equal(false);
      }
    });

    it('shares an array the caller gives up (owned), and copies only a part of it', () => {
      const owned = new Uint8Array([111, 107]);
      expect(espruinoTextCodec.decode(owned, 0, 2, true)).to.equal('ok');
      expect(fakes.toStringCalls[0]).to.equal(owned);
      expect(espruinoTextCodec.decode(owned, 1, 2, true)).to.equal('k');
      expect((fakes.toStringCalls[1] as Uint8Array).byteOffset).to.equal(1);
    });

    it('encodes as a view of the string, without a copy in JavaScript', () => {
      const bytes = espruinoTextCodec.encode('h\u00e9!');
      expect(Array.from(bytes)).to.deep.equal([104, 0xe9, 33]);
    });
  });

  describe('sha1', () => {
    it("wraps crypto.SHA1's ArrayBuffer in a Uint8Array", () => {
      const sha1 = findNativeSha1();
      expect(sha1).to.be.a('function');
      const digest = sha1!(new Uint8Array([97, 98, 99]));
      expect(digest).to.be.instanceOf(Uint8Array);
      expect(Buffer.from(digest).toString('hex')).to.equal(createHash('sha1').update('abc').digest('hex'));
    });

    it('is undefined when the build has no crypto module', () => {
      fakes.crypto = false;
      expect(findNativeSha1()).to.equal(undefined);
    });
  });

  describe('clock', () => {
    it('reports getTime() in milliseconds', () => {
      fakes.time = 12.5;
      expect(espruinoClock.now()).to.equal(12500);
    });

    it('runs timers and ignores clearing a fired, cleared or missing handle', async () => {
      const fired: string[] = [];
      const a = espruinoClock.setTimeout(() => fired.push('a'), 1);
      const b = espruinoClock.setTimeout(() => fired.push('b'), 1);
      espruinoClock.clearTimeout(b);
      espruinoClock.clearTimeout(b);
      await tick(10);
      expect(fired).to.deep.equal(['a']);
      espruinoClock.clearTimeout(a); // fired: must not reach clearTimeout with a stale id
      espruinoClock.clearTimeout(undefined); // Espruino throws on clearTimeout(undefined)
      espruinoClock.clearTimeout(null);
    });

    it('never passes undefined (or a stale id) to the platform clearTimeout', async () => {
      const g = globalThis as { clearTimeout: (id?: unknown) => void };
      const real = g.clearTimeout;
      const seen: unknown[] = [];
      g.clearTimeout = (id?: unknown) => {
        seen.push(id);
        if (id === undefined) throw new Error('clearTimeout(undefined) not allowed. Use clearTimeout() instead');
        real(id);
      };
      try {
        const t = espruinoClock.setTimeout(() => undefined, 1);
        await tick(10);
        espruinoClock.clearTimeout(t);
        espruinoClock.clearTimeout(undefined);
        const u = espruinoClock.setTimeout(() => undefined, 1000);
        espruinoClock.clearTimeout(u);
        espruinoClock.clearTimeout(u);
      } finally {
        g.clearTimeout = real;
      }
      expect(seen).to.have.length(1);
      expect(seen[0]).not.to.equal(undefined);
    });
  });

  describe('entropy', () => {
    it('passes the start-up test with a changing register and fills from it', () => {
      const entropy = createEspruinoEntropy({ readRegister: changingRegister() });
      const a = new Uint8Array(256);
      const b = new Uint8Array(256);
      entropy.fill(a);
      entropy.fill(b);
      expect(a.some((x) => x !== 0)).to.equal(true);
      expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(false);
      // Roughly uniform: every byte value count stays far from degenerate.
      const counts = new Array(256).fill(0);
      const big = new Uint8Array(64 * 1024);
      entropy.fill(big);
      for (const x of big) counts[x]++;
      expect(Math.min(...counts)).to.be.greaterThan(150);
      expect(Math.max(...counts)).to.be.lessThan(380);
    });

    it('fills unaligned views and odd lengths completely', () => {
      const entropy = createEspruinoEntropy({ readRegister: changingRegister(7) });
      const backing = new Uint8Array(40);
      const view = backing.subarray(1, 40); // byteOffset 1, length 39
      for (let round = 0; round < 4; round++) entropy.fill(view);
      expect(backing[0]).to.equal(0);
      expect(view.every((x) => x !== 0) || view.filter((x) => x === 0).length < 4).to.equal(true);
      const two = new Uint8Array(2);
      entropy.fill(two);
      const seen = new Set<number>();
      for (let i = 0; i < 20; i++) {
        entropy.fill(two);
        seen.add((two[0] << 8) | two[1]);
      }
      expect(seen.size).to.be.greaterThan(15);
    });

    it('mixes in time: the same register words give different output at different times', () => {
      fakes.time = 1;
      const a = new Uint8Array(16);
      createEspruinoEntropy({ readRegister: changingRegister(5) }).fill(a);
      fakes.time = 1.25;
      const b = new Uint8Array(16);
      createEspruinoEntropy({ readRegister: changingRegister(5) }).fill(b);
      expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(false);
    });

    for (const [what, read] of [
      ['stuck', () => 0x1234],
      ['all zeros', () => 0],
      ['all ones', () => 0xffffffff],
      [
        'repeating',
        (() => {
          let i = 0;
          return () => [1, 2, 3][i++ % 3];
        })(),
      ],
      [
        'unreadable',
        () => {
          throw new Error('bus error');
        },
      ],
    ] as [string, () => number][]) {
      it(`refuses with WS_ERR_WEAK_ENTROPY when the register is ${what}`, () => {
        expect(registerLooksRandom(read, 32, 10)).to.equal(false);
        const entropy = createEspruinoEntropy({ readRegister: read });
        expect(() => entropy.fill(new Uint8Array(16)))
          .to.throw()
          .with.property('code', 'WS_ERR_WEAK_ENTROPY');
      });
    }

    it('refuses when there is no register at all', () => {
      const entropy = createEspruinoEntropy({ readRegister: null });
      expect(() => entropy.fill(new Uint8Array(4))).to.throw(/allowWeakEntropy/);
    });

    it('with allowWeakEntropy: fills from E.hwRand and time, and warns exactly once', () => {
      // The warning goes to console.log, which the fakes record.
      const warnings = fakes.logs;
      const entropy = createEspruinoEntropy({ readRegister: () => 0, allowWeakEntropy: true });
      const a = new Uint8Array(32);
      entropy.fill(a);
      entropy.fill(new Uint8Array(32));
      expect(a.some((x) => x !== 0)).to.equal(true);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/predictable/);
    });

    it('fails later if a healthy register gets stuck (continuous test)', () => {
      let stuck = false;
      const next = changingRegister(3);
      const entropy = createEspruinoEntropy({ readRegister: () => (stuck ? 42 : next()) });
      entropy.fill(new Uint8Array(64));
      stuck = true;
      expect(() => entropy.fill(new Uint8Array(64)))
        .to.throw()
        .with.property('code', 'WS_ERR_WEAK_ENTROPY');
    });
  });

  describe('createEspruinoHal', () => {
    it("builds the ESP32 HAL: TLS, native SHA-1, byte-string text, the board's RNG register", () => {
      fakes.registers[esp32.rngRegister] = changingRegister(11);
      const hal = createEspruinoHal(esp32);
      expect(hal.tcp.supportsTls).to.equal(true);
      expect(hal.sha1).to.be.a('function');
      expect(hal.text).to.equal(espruinoTextCodec);
      hal.entropy.fill(new Uint8Array(16)); // reads peek32(0x3FF75144): would throw if unmapped
    });

    it('builds the ESP8266 HAL without TLS, and without SHA-1 when crypto is missing', () => {
      fakes.registers[esp8266.rngRegister] = changingRegister(13);
      fakes.crypto = false;
      const hal = createEspruinoHal(esp8266);
      expect(hal.tcp.supportsTls).to.equal(false);
      expect(hal.sha1).to.equal(undefined);
      hal.entropy.fill(new Uint8Array(16));
    });

    it('refuses entropy with a stuck register unless weak entropy is allowed', () => {
      fakes.registers[esp32.rngRegister] = () => 7;
      expect(() => createEspruinoHal(esp32).entropy.fill(new Uint8Array(4))).to.throw(/WebSocket keys and masks/);
      const weak = createEspruinoHal(esp32, { allowWeakEntropy: true });
      weak.entropy.fill(new Uint8Array(4));
      expect(fakes.logs.join('\n')).to.match(/WARNING/);
    });

    it('takes an injected register reader (or null for none), never peeking then', () => {
      const hal = createEspruinoHal(esp32, { readRegister: changingRegister(17) });
      hal.entropy.fill(new Uint8Array(8)); // no register is mapped: peek32 would throw
      const none = createEspruinoHal(esp32, { readRegister: null, allowWeakEntropy: true });
      none.entropy.fill(new Uint8Array(8));
    });
  });
});
