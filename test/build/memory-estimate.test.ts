/**
 * tools/memory-estimate.ts: resident JsVars of a module required from Storage, from its text.
 * The expected figures below are what Espruino 2v29 (Linux builds, 14- and 12-byte JsVars)
 * measured for the same sources (usage after require minus before); the model reproduces them.
 */
import { expect } from 'chai';
import { costsFor, estimateResidentVars, nameVars, stringVars, VAR_COSTS } from '../../tools/memory-estimate';

const vars = (source: string, blocksize = 14): number => estimateResidentVars(source, blocksize).vars;
const repeat = (n: number, f: (i: number) => string, sep = ''): string => Array.from({ length: n }, (_, i) => f(i)).join(sep);

describe('tools/memory-estimate', () => {
  it('a module with one number exported: its cache entry and exports (measured: 9)', () => {
    expect(vars('exports.x=1;')).to.equal(9);
    expect(vars('exports.x=1;', 12)).to.equal(9);
  });

  it('sees the exports of a module that guards `module` (ws.js ends so): it holds what it hands out', () => {
    const body = 'var t={a:1,b:2};function f(x){return t.a+x}class K{m(){return f(1)}}';
    const direct = vars(body + 'module.exports=K;');
    expect(direct).to.be.greaterThan(vars('module.exports=1;') + 10);
    expect(vars(body + '(typeof module=="object"?module:{exports:null}).exports=K;')).to.equal(direct);
  });

  it('names: four characters in the first JsVar, blocksize − 4 in each further one', () => {
    const costs = costsFor(14);
    expect([4, 5, 14, 15].map((n) => nameVars(n, costs))).to.deep.equal([1, 2, 2, 3]);
    expect([4, 5, 12, 13, 14].map((n) => nameVars(n, costsFor(12)))).to.deep.equal([1, 2, 2, 3, 3]);
    // 50 properties with 14-character names (measured: 110 on 14-byte JsVars, 160 on 12-byte ones)
    const source = 'exports.o={' + repeat(50, (i) => `${('n' + i + 'z'.repeat(20)).slice(0, 14)}:1`, ',') + '};';
    expect(vars(source, 14)).to.equal(110);
    expect(vars(source, 12)).to.equal(160);
  });

  it('strings: eight bytes in the first JsVar (measured: 50 of 10 bytes, 160; of 60 bytes, 410 and 460)', () => {
    expect([0, 8, 9, 18, 19].map((n) => stringVars(n, costsFor(14)))).to.deep.equal([1, 1, 2, 2, 3]);
    const strings = (length: number): string => 'exports.a=[' + repeat(50, (i) => JSON.stringify(('s' + i + 'x'.repeat(80)).slice(0, length)), ',') + '];';
    expect(vars(strings(10))).to.equal(160);
    expect(vars(strings(60), 14)).to.equal(410);
    expect(vars(strings(60), 12)).to.equal(460);
  });

  it('values: small integers and undefined live in their name; floats, large integers, booleans, null take one more', () => {
    expect(vars('exports.o={a:1,b:-5,c:void 0};')).to.equal(8 + 1 + 1 + 3);
    expect(vars('exports.o={a:1.5,b:!0,c:null,d:1073172804,e:"x"};')).to.equal(8 + 1 + 1 + 5 * 2);
    // nested tables (measured: 20 properties of {b:1,c:2}: 90)
    expect(vars('exports.o={' + repeat(20, (i) => `a${i}:{b:1,c:2}`, ',') + '};')).to.equal(90);
  });

  it('functions: four JsVars and one per parameter (measured: 50 methods of 0, 1 and 4 parameters: 264, 314, 464)', () => {
    for (const [params, measured] of [
      ['', 264],
      ['a', 314],
      ['a,b,c,d', 464],
    ] as const) {
      expect(vars('exports.o={' + repeat(50, (i) => `m${i}:function(${params}){return 1}`, ',') + '};')).to.equal(measured);
    }
    // arrows cost the same; long parameter names take further JsVars
    expect(vars('exports.f=(a,b)=>a+b;')).to.equal(vars('exports.f=function(a,b){return a+b};'));
    expect(vars('exports.f=function(abcdefghij){};') - vars('exports.f=function(a){};')).to.equal(1);
    // the body is in flash: its length costs nothing
    expect(vars('exports.f=function(){return "a long string in the body"+1};')).to.equal(vars('exports.f=function(){};'));
  });

  it('the module scope stays only when something handed out or run refers to it', () => {
    // 50 functions nobody can reach: gone once the module has run (measured: 8)
    expect(vars(repeat(50, (i) => `function f${i}(){return ${i}}`) + 'exports.x=1;')).to.equal(9);
    // the same with one function exported: every top-level binding stays (measured: 268)
    expect(vars(repeat(50, (i) => `function f${i}(){return ${i}}`) + 'exports.g=function(){return 1};')).to.equal(267);
    // 50 numbers in top-level vars, kept by an exported function (measured: 68) or not (measured: 9)
    expect(vars(repeat(50, (i) => `var v${i}=${i};`) + 'exports.g=function(){return 1};')).to.equal(67);
    expect(vars(repeat(50, (i) => `var v${i}=${i};`) + 'exports.g=1;')).to.equal(9);
    // a table exported through a binding stays even without a scope
    expect(vars('var o={a:1,b:2};exports.o=o;')).to.equal(8 + 1 + 1 + 2);
    // code run at load (a timer, a handler) keeps the scope too
    expect(vars('var v=1;function f(){}setTimeout(f,10);')).to.equal(8 + 4 + 1 + 1 + 4);
  });

  it('classes: function and prototype, methods as functions, accessors, constructors, extends (measured: 272, 372, 135, 195)', () => {
    expect(vars('class K{' + repeat(50, (i) => `m${i}(){return ${i}}`) + '}exports.K=K;')).to.equal(271);
    expect(vars('class K{' + repeat(50, (i) => `get m${i}(){return ${i}}`) + '}exports.K=K;')).to.equal(371);
    expect(vars(repeat(10, (i) => `class K${i}{constructor(a){this.a=a}}`) + 'exports.a=[' + repeat(10, (i) => `K${i}`, ',') + '];')).to.equal(134);
    expect(vars('class B{m(){}}' + repeat(10, (i) => `class K${i} extends B{n(){}}`) + 'exports.a=[' + repeat(10, (i) => `K${i}`, ',') + '];')).to.equal(197);
    // static members are properties of the class
    expect(vars('var k=class{};k.A=0,k.B=1;exports.k=k;')).to.equal(8 + 4 + 1 + 1 + 7 + 2);
  });

  it('walks an iife bundle (an application) inside its function, and adds up its breakdown', () => {
    const inner = 'var v=1;function f(a){}setTimeout(f,10);';
    expect(vars(`"use strict";(()=>{${inner}})();`)).to.equal(vars(inner));
    const estimate = estimateResidentVars('var t={a:"abcdefghijk",b:[1,2.5]};exports.f=function(x){return t};', 12);
    const { breakdown } = estimate;
    expect(
      breakdown.module + breakdown.functions + breakdown.parameters + breakdown.classes + breakdown.names + breakdown.literals + breakdown.tables,
    ).to.equal(estimate.vars);
    expect(estimate.counts).to.deep.include({ functions: 1, parameters: 1, properties: 3, bindings: 1, strings: 1, boxed: 1, containers: 2 });
  });

  it('refuses what it cannot read, naming it', () => {
    expect(() => estimateResidentVars('exports.x=;', 14, 'dist/x.js')).to.throw(/dist\/x\.js does not parse/);
    expect(() => costsFor(3)).to.throw(/blocksize must be/);
    expect(costsFor(12)).to.deep.equal({ ...VAR_COSTS, extensionChars: 8 });
  });
});
