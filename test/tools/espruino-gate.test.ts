import { expect } from 'chai';
import { checkEspruinoSubset, formatViolations, type GateAllowance } from '../../tools/espruino-gate.ts';

/** Constructs the gate reports for a hand-written script, in order. */
function constructs(code: string, allow?: readonly GateAllowance[]): string[] {
  return checkEspruinoSubset(code, null, 'inline.js', allow).map((v) => v.construct);
}

describe('tools/espruino-gate', () => {
  describe('syntax Espruino lacks (hand-written JS)', () => {
    const cases: Array<[code: string, construct: string]> = [
      ['var f = function () { return () => this.x; };', 'this in an arrow function'],
      ['var C = class D { m() { return D; } };', 'named class expression'],
      ['var x = a?.b;', 'optional chaining'],
      ['var x = a?.[0];', 'optional chaining'],
      ['var x = f?.();', 'optional chaining'],
      ['var x = 2 ** 8;', '**'],
      ['x **= 2;', '**'],
      ['x ??= 1;', 'logical assignment'],
      ['x ||= 1;', 'logical assignment'],
      ['x &&= 1;', 'logical assignment'],
      ['var a = [1, 2]; a.length = 1;', 'length assignment'],
      ['var o = { ...p };', 'spread'],
      ['var a = [...p];', 'spread'],
      ['f(...p);', 'spread'],
      ['function f(...r) {}', 'rest'],
      ['var { a } = o;', 'destructuring'],
      ['var [a] = o;', 'destructuring'],
      ['function f(a = 1) {}', 'default parameter'],
      ['function* g() {}', 'generator'],
      ['async function f() {}', 'async function'],
      ['var f = async () => 1;', 'async function'],
      ['async function f() { for await (var x of y) {} }', 'for await'],
      ['var o = { [k]: 1 };', 'computed key'],
      ['class A { [k]() {} }', 'computed key'],
      ['class A { x = 1; }', 'class field'],
      ['class A { static { } }', 'static block'],
      ['class A { #x; }', '#private'],
      ['class A { m() { return #x in this; } #x; }', '#private'],
      ['class E extends Error {}', 'extends Error'],
      ['var E = class extends TypeError {};', 'extends Error'],
      ['a: for (;;) break a;', 'label'],
      ['var s = tag`x`;', 'tagged template'],
      ['var n = 10n;', 'BigInt literal'],
      ['var r = /(?<=a)b/;', 'regex lookbehind'],
      ['var r = /(?<!a)b/;', 'regex lookbehind'],
      ['var r = /(?<year>\\d+)/;', 'regex named group'],
      ['var r = /a.b/s;', 'regex flag'],
      ['var r = /a/u;', 'regex flag'],
      ['var r = /a/y;', 'regex flag'],
      ['var r = /a/d;', 'regex flag'],
      ['var r = new RegExp("(?<=a)b");', 'regex lookbehind'],
      ['var r = /^[0-9]{3}$/;', 'regex counted repetition'],
      ['var r = /a{2,}/;', 'regex counted repetition'],
      ['var r = /^(?:key|version)$/;', 'regex non-capturing group'],
      ['function F() { return new.target; }', 'new.target'],
      ['import("x");', 'dynamic import()'],
      ['p.then(f).finally(g);', 'Promise.prototype.finally'],
      ['var x = ;', 'syntax error'],
      ['var x = import.meta;', 'import.meta'], // reported from acorn's parse error
    ];
    for (const [code, construct] of cases) {
      it(`${construct}: ${code}`, () => {
        expect(constructs(code)).to.include(construct);
      });
    }
  });

  describe('globals and members Espruino lacks', () => {
    const globals = [
      'Map',
      'Set',
      'WeakMap',
      'WeakSet',
      'WeakRef',
      'Symbol',
      'Proxy',
      'Reflect',
      'BigInt',
      'TextEncoder',
      'TextDecoder',
      'Buffer',
      'process',
      'queueMicrotask',
    ];
    it('flags new X, X.y, X() and bare uses of each global', () => {
      for (const name of globals) {
        for (const code of [`new ${name}();`, `${name}.y;`, `${name}();`, `x instanceof ${name};`]) {
          expect(constructs(code), code).to.deep.equal([name]);
        }
      }
    });

    it('flags each missing static member, dotted or quoted', () => {
      const members = [
        'Array.from',
        'Array.of',
        'Number.isNaN',
        'Number.isInteger',
        'Number.isFinite',
        'Number.isSafeInteger',
        'Math.trunc',
        'Math.imul',
        'Math.clz32',
        'Math.log2',
        'Math.hypot',
        'Math.cbrt',
        'Math.fround',
        'Object.freeze',
        'Object.seal',
        'String.raw',
      ];
      for (const member of members) {
        const [object, property] = member.split('.');
        expect(constructs(`${member}(x);`), member).to.deep.equal([member]);
        expect(constructs(`${object}["${property}"](x);`), member).to.deep.equal([member]);
      }
    });

    it('ignores local bindings, properties and typeof probes that share the names', () => {
      const clean = [
        'function f(Map) { return new Map(); }',
        'var Set = function () {}; new Set();',
        '{ let Symbol = 1; Symbol++; }',
        'try {} catch (Buffer) { Buffer.x; }',
        'for (const process of list) process.x;',
        'var o = { Map: 1, map: 2 }; o.Map; o.map; list.map(f);',
        'class Proxy {} new Proxy();',
        'var x = typeof Symbol !== "undefined";',
        'Math.floor(x); Array.isArray(x); Number.parseInt(x); Object.keys(x);',
        'class A extends B {} function E() {} class C extends E {}',
        'function g() { function Error() {} class X extends Error {} }',
        'var o = { get x() { return 1; } }; class A { get y() { return 2; } static m() {} }',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the gate's input is source text holding a template literal
        'var s = `a${b}c`; var f = (a) => a ?? 1; for (const x of [1]) {}',
        'var r = /a[(?<=]b/gim;',
      ];
      for (const code of clean) expect(constructs(code), code).to.deep.equal([]);
    });
  });

  describe('esbuild helper allowlist', () => {
    // esbuild's __require shim, as emitted unminified and minified.
    const shim = 'var __require = ((x) => typeof require !== "undefined" ? require : typeof Proxy !== "undefined" ? new Proxy(x, {}) : x)(f);';
    const minified = 'var n=(r=>typeof require!="undefined"?require:typeof Proxy<"u"?new Proxy(r,{}):r)(f);';

    it("allows the typeof-guarded Proxy in esbuild's __require", () => {
      expect(constructs(shim)).to.deep.equal([]);
      expect(constructs(minified)).to.deep.equal([]);
    });

    it('still flags an unguarded Proxy, and the guarded one without the allowlist', () => {
      expect(constructs(`${shim} new Proxy({}, {});`)).to.deep.equal(['Proxy']);
      expect(constructs(shim, [])).to.deep.equal(['Proxy']);
    });
  });

  describe('positions and messages', () => {
    it('reports 1-based bundle positions and, without a map, no source', () => {
      const [v] = checkEspruinoSubset('var a = 1;\n  var m = new Map();', null, 'out/app.js');
      expect(v).to.deep.include({ construct: 'Map', line: 2, column: 15, source: null, sourceLine: null, sourceColumn: null });
      expect(v!.message).to.equal('Map (not available on Espruino; use a plain object) at out/app.js:2:15');
    });

    it('maps through the source map, resolving sources against the bundle directory', () => {
      // One mapping from bundle 1:0 to ../src/foo.ts line 12, column 4 (0-based); Map is at 1:5.
      const map = JSON.stringify({ version: 3, sources: ['../src/foo.ts'], names: [], mappings: 'AAWI' });
      const [v] = checkEspruinoSubset('new Map();', map, 'dist/app.js');
      expect(v).to.deep.include({ source: 'src/foo.ts', sourceLine: 12, sourceColumn: 5 });
      expect(v!.message).to.equal('Map (not available on Espruino; use a plain object) at src/foo.ts:12:5 (bundle dist/app.js:1:5)');
    });

    it('lists every violation in bundle order', () => {
      const v = checkEspruinoSubset('var s = new Set();\nvar m = new Map();', null, 'x.js');
      expect(v.map((x) => [x.construct, x.line])).to.deep.equal([
        ['Set', 1],
        ['Map', 2],
      ]);
      const text = formatViolations(v);
      expect(text.split('\n')).to.have.length(3);
      expect(text).to.match(/^2 constructs Espruino cannot run:\n {2}- Set .*x\.js:1:13\n {2}- Map .*x\.js:2:13$/);
      expect(formatViolations([])).to.equal('no Espruino incompatibilities found');
    });
  });
});

describe('tools/espruino-gate: this and class names', () => {
  it('allows this in ordinary functions and methods, and arrows that do not use it', () => {
    expect(constructs('class A { m() { var self = this; return () => self.x; } }\nvar f = function () { return this; };')).to.deep.equal([]);
  });
  it('allows an anonymous class expression and a class declaration', () => {
    expect(constructs('var C = class { m() { return 1; } };\nclass D { m() { return D; } }')).to.deep.equal([]);
  });
});
