import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { createSimBoard, type SimBoard, type SimBoardOptions } from '../../tools/simboard/index.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('simboard: require, Modules and the built-in modules', () => {
  const boards: SimBoard[] = [];
  const boot = (options: SimBoardOptions): SimBoard => {
    const board = createSimBoard(options);
    boards.push(board);
    return board;
  };
  afterEach(async () => {
    await Promise.all(boards.splice(0).map((b) => b.shutdown()));
  });

  describe('require and Modules', () => {
    it('an unknown module throws Module "name" not found', () => {
      const board = boot({ board: 'esp32' });
      expect(() => board.run('require("nosuch")')).to.throw('Module "nosuch" not found');
    });

    it('addModule evaluates the module at once; exports, module.exports and this === exports work', () => {
      const board = boot({ board: 'esp32' });
      board.addModule('counter', 'var n = 0; exports.next = function () { return ++n; }; this.viaThis = true;');
      board.addModule('replaced', 'module.exports = function () { return "€"; };');
      expect(board.evaluate('var c = require("counter"); c.next(); c.next() + ":" + c.viaThis + ":" + (require("counter") === c)')).to.equal('2:true:true');
      expect(board.evaluate('require("replaced")().length')).to.equal(3); // UTF-8 bytes, as uploaded
      expect(board.evaluate('Modules.getCached().join()')).to.equal('counter,replaced');
    });

    it('Modules.addCached takes a function, as the Web IDE uploads modules', () => {
      const board = boot({ board: 'esp8266' });
      board.run('Modules.addCached("m", function () { exports.hello = function () { return "hi"; }; });');
      expect(board.evaluate('require("m").hello()')).to.equal('hi');
      board.run('Modules.removeCached("m")');
      expect(() => board.run('require("m")')).to.throw('Module "m" not found');
    });

    it('a module that throws makes addModule throw', () => {
      const board = boot({ board: 'esp32' });
      expect(() => board.addModule('bad', 'throw new Error("bad module")')).to.throw('bad module');
    });

    it('built-in modules are the same object every time', () => {
      const board = boot({ board: 'esp32' });
      expect(board.evaluate('require("net") === require("net") && require("Wifi") === require("Wifi")')).to.equal(true);
    });
  });

  describe('tls and crypto per board', () => {
    it('tls exists on ESP32 only', () => {
      expect(boot({ board: 'esp32' }).evaluate('typeof require("tls").connect')).to.equal('function');
      expect(() => boot({ board: 'esp8266' }).run('require("tls")')).to.throw('Module "tls" not found');
    });

    it('crypto.SHA1 returns a 20-byte ArrayBuffer on both boards; SHA256 only on ESP32', () => {
      const expected = createHash('sha1').update(Buffer.from('abc\xff', 'latin1')).digest('base64');
      for (const name of ['esp32', 'esp8266'] as const) {
        const board = boot({ board: name });
        expect(board.evaluate('var h = require("crypto").SHA1("abc\\xff"); (h instanceof ArrayBuffer) + ":" + h.byteLength')).to.equal('true:20');
        expect(board.evaluate('btoa(require("crypto").SHA1("abc\\xff"))')).to.equal(expected);
        expect(board.evaluate('btoa(require("crypto").SHA1(new Uint8Array([97, 98, 99, 255])))')).to.equal(expected);
      }
      expect(boot({ board: 'esp32' }).evaluate('require("crypto").SHA256("").byteLength')).to.equal(32);
      expect(boot({ board: 'esp8266' }).evaluate('typeof require("crypto").SHA256')).to.equal('undefined');
    });

    it('crypto: false removes the module (512 KB ESP8266 build)', () => {
      const board = boot({ board: 'esp8266', crypto: false });
      expect(() => board.run('require("crypto")')).to.throw('Module "crypto" not found');
    });
  });

  describe('Storage', () => {
    it('writes, reads, lists and erases files in memory', () => {
      const board = boot({ board: 'esp32' });
      board.run('var S = require("Storage"); S.write("a.txt", "hello"); S.writeJSON("cfg.json", {x: 1}); S.write("big", "AB", 2, 6);');
      expect(board.evaluate('S.read("a.txt") + S.readJSON("cfg.json").x + S.list().join()')).to.equal('hello1a.txt,cfg.json,big');
      expect(board.evaluate('S.read("big").split("").map(function (c) { return c.charCodeAt(0); }).join()')).to.equal('255,255,65,66,255,255');
      expect(board.evaluate('S.erase("a.txt"); S.read("a.txt") === undefined && S.list(/json/).join()')).to.equal('cfg.json');
    });

    it('a Storage file can be required as a module', () => {
      const board = boot({ board: 'esp32' });
      board.run('require("Storage").write("lib", "exports.v = 7;")');
      expect(board.evaluate('require("lib").v')).to.equal(7);
    });
  });

  describe('Wifi', () => {
    it('reports the connected state and IP; events fire on transitions only', async () => {
      const board = boot({ board: 'esp32' });
      board.run(
        'var W = require("Wifi"), log = []; W.on("connected", function (d) { log.push("connected " + d.ip); }); W.on("disconnected", function (d) { log.push("disconnected " + d.msg); });',
      );
      expect(board.evaluate('W.getIP().ip + " " + W.getStatus().station')).to.equal('192.168.4.2 connected');
      await sleep(5);
      expect(board.evaluate('log.length')).to.equal(0); // already connected: no 'connected' event
      board.wifi.drop();
      expect(board.wifi.up).to.equal(false);
      expect(board.evaluate('W.getIP().ip + " " + W.getStatus().station')).to.equal('0.0.0.0 off');
      board.wifi.restore();
      await sleep(5);
      expect(board.evaluate('log.join("|")')).to.equal('disconnected beacon_timeout|connected 192.168.4.2');
      expect(board.wifi.up).to.equal(true);
    });

    it('starts disconnected on request, and connect() calls back once associated', async () => {
      const board = boot({ board: 'esp8266', wifi: { connected: false, ssid: 'lab' } });
      expect(board.evaluate('require("Wifi").getDetails().status')).to.equal('off');
      board.run('var result; require("Wifi").connect("lab", {password: "x"}, function (err) { result = err; });');
      await sleep(60);
      expect(board.evaluate('result')).to.equal(null);
      expect(board.evaluate('require("Wifi").getDetails().status')).to.equal('connected');
      expect(board.wifi.up).to.equal(true);
    });
  });
});
