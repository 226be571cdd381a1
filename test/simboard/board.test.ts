import { expect } from 'chai';
import { createSimBoard, type SimBoard } from '../../tools/simboard/index.ts';

/** Espruino's rand() written out independently of tools/simboard/random.ts (src/jsutils.c). */
function referenceRand(count: number): number[] {
  let w = 0xdeadbeef;
  let z = 0xcafebabe;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    z = Number((36969n * BigInt(z & 0xffff) + BigInt(z >>> 16)) & 0xffffffffn);
    w = Number((18000n * BigInt(w & 0xffff) + BigInt(w >>> 16)) & 0xffffffffn);
    out.push(Number(((BigInt(z) << 16n) + BigInt(w)) & 0xffffffffn & 0x7fffffffn));
  }
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('simboard: the board language and globals', () => {
  let board: SimBoard;
  beforeEach(() => {
    board = createSimBoard({ board: 'esp32' });
  });
  afterEach(async () => {
    await board.shutdown();
  });

  describe('what Espruino lacks is missing', () => {
    for (const name of [
      'Map',
      'Set',
      'WeakMap',
      'WeakSet',
      'Symbol',
      'Proxy',
      'Reflect',
      'BigInt',
      'TextEncoder',
      'TextDecoder',
      'Buffer',
      'queueMicrotask',
      'setImmediate',
      'structuredClone',
    ]) {
      it(`${name} is not defined`, () => {
        expect(board.evaluate(`typeof ${name}`)).to.equal('undefined');
        expect(() => board.run(`${name}`)).to.throw(/is not defined/);
      });
    }

    for (const member of [
      'Array.from',
      'Array.of',
      'Number.isInteger',
      'Number.isNaN',
      'Number.isFinite',
      'Math.trunc',
      'Math.imul',
      'Object.freeze',
      'Promise.prototype.finally',
    ]) {
      it(`${member} is undefined`, () => {
        expect(board.evaluate(`typeof ${member}`)).to.equal('undefined');
      });
    }

    it('for…of, Promises and typed arrays still work without Symbol', () => {
      expect(board.evaluate('var s = 0; for (var x of new Uint8Array([1, 2, 3])) s += x; for (var c of "ab") s += c.length; s')).to.equal(8);
      expect(board.evaluate('typeof Promise.resolve(1).then')).to.equal('function');
    });

    it('has global, globalThis and InternalError', () => {
      expect(board.evaluate('global === globalThis && typeof InternalError')).to.equal('function');
      expect(board.evaluate('String(new InternalError("x"))')).to.equal('InternalError: x');
    });
  });

  describe('what Espruino does differently', () => {
    it('TypedArray.prototype.slice returns a plain Array', () => {
      expect(board.evaluate('var a = new Uint8Array([1, 2, 3]).slice(1); Array.isArray(a) + "," + a.join()')).to.equal('true,2,3');
    });

    it('String.fromCharCode.apply with more than 256 arguments throws, 256 is fine', () => {
      expect(board.evaluate('String.fromCharCode.apply(null, new Uint8Array(256)).length')).to.equal(256);
      expect(() => board.evaluate('String.fromCharCode.apply(null, new Uint8Array(300))')).to.throw(
        'Array passed to Function.apply is too big! Maximum 256 arguments, got 300',
      );
    });

    it('strings are 8-bit: fromCharCode keeps the low byte, uploaded UTF-8 stays bytes', () => {
      expect(board.evaluate('String.fromCharCode(0x20ac).charCodeAt(0)')).to.equal(0xac);
      expect(board.evaluate('"✓".length')).to.equal(3);
      board.run('print("ok ✓")');
      expect(board.output).to.deep.equal(['ok ✓']); // a terminal shows the bytes as UTF-8 again
    });

    it('clearTimeout(undefined) throws; clearTimeout() clears every timer', async () => {
      expect(() => board.run('clearTimeout(undefined)')).to.throw('clearTimeout(undefined) not allowed. Use clearTimeout() instead');
      expect(() => board.run('clearInterval(undefined)')).to.throw('clearInterval(undefined) not allowed. Use clearInterval() instead');
      board.run('var ticks = 0; setInterval(function () { ticks++; }, 1); setTimeout(function () { ticks += 100; }, 5); clearTimeout();');
      await sleep(20);
      expect(board.evaluate('ticks')).to.equal(0);
    });

    it('timers take extra arguments and code strings, and return small integer ids', async () => {
      const id = board.evaluate('var got = []; setTimeout(function (a, b) { got.push(a + b); }, 1, 2, 3)');
      board.run('setTimeout("got.push(\'str\')", 2); var i = setInterval(function () { got.push("i"); clearInterval(i); }, 3);');
      expect(id).to.equal(1);
      await sleep(30);
      expect(board.evaluate('got.join()')).to.equal('5,str,i');
    });
  });

  describe('EventEmitter on every object', () => {
    it('emit is asynchronous and calls listeners with the object as this', async () => {
      board.run('var o = {}, log = []; o.on("x", function (a, b) { log.push(a + b, this === o); }); o.emit("x", 1, 2); log.push("after emit");');
      expect(board.evaluate('log.join()')).to.equal('after emit');
      await sleep(5);
      expect(board.evaluate('log.join()')).to.equal('after emit,3,true');
    });

    it('stores listeners as enumerable "#on" properties, allows at most 4 arguments, and on() returns undefined', () => {
      expect(board.evaluate('var o = {}; o.on("data", function () {}) === undefined && Object.keys(o).join()')).to.equal('#ondata');
      expect(() => board.run('o.emit("data", 1, 2, 3, 4, 5)')).to.throw('Too many arguments (>4)');
    });

    it('removeListener and removeAllListeners', async () => {
      board.run(
        'var o = {}, n = 0; function f() { n++; } o.on("x", f); o.on("x", function () { n += 10; }); o.removeListener("x", f); o.emit("x"); o.on("y", f); o.removeAllListeners(); o.emit("y");',
      );
      await sleep(5);
      expect(board.evaluate('n')).to.equal(10);
    });
  });

  describe('uncaught exceptions', () => {
    it('are recorded and printed, and the board keeps running', async () => {
      board.run('var after = false; setTimeout(function () { throw new Error("boom"); }, 1); setTimeout(function () { after = true; }, 10);');
      await sleep(30);
      expect(board.uncaught).to.have.length(1);
      expect((board.uncaught[0] as Error).message).to.equal('boom');
      expect(board.output).to.include('Uncaught Error: boom');
      expect(board.evaluate('after')).to.equal(true);
    });

    it('come from event listeners and unhandled promise rejections too', async () => {
      board.run('var o = {}; o.on("x", function () { throw "a string"; }); o.emit("x"); Promise.reject(new Error("nope"));');
      await sleep(20);
      expect(board.output).to.include('Uncaught a string');
      expect(board.output).to.include('Uncaught Error: Unhandled promise rejection: Error: nope');
      expect(board.uncaught).to.have.length(2);
    });

    it('a top-level error is thrown to the host by run()', () => {
      expect(() => board.run('nope()')).to.throw(/nope is not defined/);
      expect(() => board.run('var x = {a:1')).to.throw(/Unexpected end of input/);
    });
  });

  describe('randomness', () => {
    it('Math.random and E.hwRand share the fixed-seed rand() and repeat on every boot', async () => {
      const expected = referenceRand(4);
      const draw = 'var r = [E.hwRand(), Math.random(), E.hwRand(), Math.random()]; r';
      const first = board.evaluate(draw) as number[];
      const other = createSimBoard({ board: 'esp8266' });
      try {
        expect([...(other.evaluate(draw) as number[])]).to.deep.equal([...first]);
      } finally {
        await other.shutdown();
      }
      expect([first[0], first[1]! * 2 ** 31, first[2], first[3]! * 2 ** 31]).to.deep.equal(expected);
    });

    it('matches the key the real interpreter makes (Math.random().toString(36) starts "xkl6i0qb")', () => {
      expect(board.evaluate('Math.random().toString(36).substr(2, 8)')).to.equal('xkl6i0qb');
    });

    it('E.srand reseeds it', () => {
      expect(board.evaluate('E.srand(42); var a = E.hwRand(); E.srand(42); a === E.hwRand()')).to.equal(true);
    });

    it('peek32 of the RNG register differs between reads; other addresses read 0', () => {
      const reads = board.evaluate('[peek32(0x3FF75144), peek32(0x3FF75144), peek32(0x3FF75144), peek32(0x1234)]') as number[];
      expect(new Set([reads[0], reads[1], reads[2]]).size).to.be.greaterThan(1);
      expect(reads[3]).to.equal(0);
    });

    it('the ESP8266 register is another address, and rngWorks: false makes it constant', async () => {
      const esp8266 = createSimBoard({ board: 'esp8266', rngWorks: false });
      try {
        const reads = esp8266.evaluate('[peek32(0x3FF20E44), peek32(0x3FF20E44), peek32(0x3FF75144)]') as number[];
        expect(reads[0]).to.equal(reads[1]);
        expect(reads[2]).to.equal(0);
      } finally {
        await esp8266.shutdown();
      }
    });
  });

  describe('E and friends', () => {
    it('E.toString makes 8-bit strings from typed arrays, arrays, numbers and strings', () => {
      expect(board.evaluate('E.toString(new Uint8Array([65, 66]), 67, [68, [69]], "FG", {data: "h", count: 2})')).to.equal('ABCDEFGhh');
      expect(board.evaluate('E.toString(new Uint8Array([0, 255, 128])).split("").map(function (c) { return c.charCodeAt(0); }).join()')).to.equal('0,255,128');
    });

    it('E.toUint8Array and E.toArrayBuffer make board typed arrays', () => {
      expect(board.evaluate('var u = E.toUint8Array("A\\xff", [1]); (u instanceof Uint8Array) + ":" + u.join()')).to.equal('true:65,255,1');
      expect(board.evaluate('var b = E.toArrayBuffer("ab"); (b instanceof ArrayBuffer) + ":" + new Uint8Array(b).join()')).to.equal('true:97,98');
    });

    it('btoa takes strings, typed arrays and ArrayBuffers; atob gives a binary string', () => {
      expect(board.evaluate('[btoa("\\xff\\x00A"), btoa(new Uint8Array([255, 0, 65])), btoa(new Uint8Array([255, 0, 65]).buffer)].join()')).to.equal(
        '/wBB,/wBB,/wBB',
      );
      expect(board.evaluate('atob("/wBB").charCodeAt(0)')).to.equal(255);
    });

    it('getTime is float seconds; getTemperature, getErrorFlags and getSizeOf answer', () => {
      const seconds = board.evaluate('getTime()') as number;
      expect(Math.abs(seconds - Date.now() / 1000)).to.be.lessThan(1);
      expect(board.evaluate('typeof E.getTemperature()')).to.equal('number');
      expect(board.evaluate('Array.isArray(E.getErrorFlags()) && E.getErrorFlags().length')).to.equal(0);
      expect(board.evaluate('E.getSizeOf({a: [1, 2, 3], b: "hello"}) > 5')).to.equal(true);
    });

    it('analogRead gives 0..1 on ADC pins and NaN elsewhere (ESP32: D32..D39; ESP8266: A0)', async () => {
      const value = board.evaluate('analogRead(D32)') as number;
      expect(value).to.be.within(0, 1);
      expect(value * 4096).to.equal(Math.round(value * 4096)); // 12-bit
      expect(board.evaluate('isNaN(analogRead(D2)) && isNaN(analogRead("A0"))')).to.equal(true);
      const esp8266 = createSimBoard({ board: 'esp8266' });
      try {
        expect(esp8266.evaluate('analogRead(A0) >= 0 && analogRead() <= 1 && isNaN(analogRead(D2))')).to.equal(true);
        expect(esp8266.evaluate('isNaN(E.getTemperature())')).to.equal(true);
      } finally {
        await esp8266.shutdown();
      }
    });

    it('digitalRead reads back digitalWrite', () => {
      expect(board.evaluate('var a = digitalRead(D5); digitalWrite(D5, 1); [a, digitalRead(D5), String(D5)].join()')).to.equal('0,1,D5');
    });
  });

  describe('shutdown', () => {
    it('stops timers, and run() refuses afterwards', async () => {
      const lines: string[] = [];
      const quiet = createSimBoard({ board: 'esp8266', console: (line) => lines.push(line) });
      quiet.run('setInterval(function () { print("tick"); }, 1);');
      await sleep(10);
      await quiet.shutdown();
      const count = lines.length;
      expect(count).to.be.greaterThan(0);
      await sleep(15);
      expect(lines.length).to.equal(count);
      expect(() => quiet.run('1')).to.throw(/shut down/);
    });
  });
});
