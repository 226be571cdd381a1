import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { expect } from 'chai';
import { manglablePrivateNames, manglePropsPattern } from '../../tools/private-names.ts';
import { at } from '../helpers/at';

/** Names declared `private` (fields, methods, accessors, parameter properties) in a source text. */
function declaredPrivate(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(/\bprivate\s+(?:readonly\s+)?(?:(?:get|set)\s+)?([A-Za-z_$][\w$]*)/g)) names.add(at(m, 1, 'private name'));
  return names;
}

/** Every .ts file under `dir`, recursively. */
async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await tsFiles(full)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

/** Runs a cjs bundle and returns its exports. */
function runCjs(code: string): Record<string, unknown> {
  const module = { exports: {} as Record<string, unknown> };
  vm.runInNewContext(code, { module, exports: module.exports });
  return module.exports;
}

describe('tools/private-names', () => {
  describe('firmware/wsclient-module.ts', () => {
    const ENTRY = 'firmware/wsclient-module.ts';
    let names: string[];

    before(function () {
      this.timeout(120000);
      names = manglablePrivateNames(ENTRY);
    });

    it('finds names to mangle, sorted and unique', () => {
      expect(names).to.not.be.empty;
      expect(names).to.deep.equal([...new Set(names)].sort());
    });

    it('includes private fields of the protocol core, e.g. closeReason', async () => {
      const declared = declaredPrivate(await readFile('protocol/client-protocol.ts', 'utf8'));
      expect(declared.has('closeReason')).to.equal(true);
      expect(names).to.include('closeReason');
      expect(names.filter((n) => declared.has(n)).length).to.be.greaterThan(5);
    });

    it('lists only names some source file of the bundle declares private', async () => {
      const declared = new Set<string>();
      for (const dir of ['protocol', 'hal', 'firmware', 'boards']) {
        for (const file of await tsFiles(dir)) for (const n of declaredPrivate(await readFile(file, 'utf8'))) declared.add(n);
      }
      expect(names.filter((n) => !declared.has(n))).to.deep.equal([]);
    });

    it('excludes the public API and the names of built-ins', () => {
      for (const name of ['readyState', 'bufferedAmount', 'protocol', 'send', 'close', 'url', 'onmessage', 'onopen', 'onclose', 'onerror', 'binaryType']) {
        expect(names, name).to.not.include(name);
      }
      for (const name of ['buffer', 'length', 'set', 'write', 'end', 'on', 'emit', 'subarray', 'byteLength', 'constructor', 'prototype', 'toString', 'name']) {
        expect(names, name).to.not.include(name);
      }
    });

    it('builds an anchored pattern of exactly those names, and caches the answer', () => {
      const pattern = manglePropsPattern(ENTRY)!;
      expect(pattern).to.be.instanceOf(RegExp);
      for (const n of names) expect(pattern.test(n), n).to.equal(true);
      expect(pattern.test(`${names[0]}X`)).to.equal(false);
      expect(pattern.test(`x${names[0]}`)).to.equal(false);
      expect(pattern.test('readyState')).to.equal(false);
      const again = manglablePrivateNames(path.resolve(ENTRY));
      expect(again).to.deep.equal(names);
      again.push('mutated');
      expect(manglablePrivateNames(ENTRY)).to.deep.equal(names);
    });
  });

  describe('a fixture', () => {
    let dir: string;
    let entry: string;

    before(async function () {
      this.timeout(120000);
      // count and label are also member names in lib/@types (console.count, tls label…), so
      // tally and badge are the ones excluded only by the string lookup and the object key.
      dir = await mkdtemp(path.join(os.tmpdir(), 'private-names-'));
      await writeFile(
        path.join(dir, 'counter.ts'),
        [
          'export class Counter {',
          '  private count = 0;',
          '  private buffer: Uint8Array = new Uint8Array(4);',
          "  private label = 'c';",
          '  private tally = 0;',
          "  private badge = 'b';",
          '  private helper(n: number): number {',
          '    return n * 2 + this.count + this.buffer.length + this.label.length + this.tally + this.badge.length;',
          '  }',
          '  run(n: number): number {',
          '    this.count++;',
          '    this.tally += 10;',
          '    return this.helper(n);',
          '  }',
          '}',
          '',
        ].join('\n'),
      );
      await writeFile(
        path.join(dir, 'peek.ts'),
        [
          "import { Counter } from './counter.ts';",
          "export const meta = { label: 'fixture', badge: 'x' };",
          'export function peek(c: Counter): number {',
          '  const fields = c as unknown as { [k: string]: number };',
          "  return fields['count'] + fields['tally'];",
          '}',
          '',
        ].join('\n'),
      );
      entry = path.join(dir, 'main.ts');
      await writeFile(
        entry,
        [
          "import { Counter } from './counter.ts';",
          "import { meta, peek } from './peek.ts';",
          'export function result(): string {',
          '  const c = new Counter();',
          '  const a = c.run(5);',
          '  const b = c.run(7);',
          "  return [a, b, peek(c), meta.label, meta.badge].join(',');",
          '}',
          '',
        ].join('\n'),
      );
    });

    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('mangles only the private member no other use or built-in shares', () => {
      expect(manglablePrivateNames(entry)).to.deep.equal(['helper']);
    });

    it('gives a pattern matching exactly that name', () => {
      const pattern = manglePropsPattern(entry);
      expect(pattern).to.be.instanceOf(RegExp);
      expect(pattern!.test('helper')).to.equal(true);
      expect(pattern!.test('helperX')).to.equal(false);
      for (const name of ['count', 'buffer', 'label', 'tally', 'badge']) expect(pattern!.test(name), name).to.equal(false);
    });

    it('yields a bundle that still runs the same', () => {
      const build = (mangleProps?: RegExp): string =>
        esbuild.buildSync({ entryPoints: [entry], bundle: true, format: 'cjs', write: false, ...(mangleProps ? { mangleProps } : {}), logLevel: 'silent' })
          .outputFiles![0]!.text;
      const plain = build();
      const mangled = build(manglePropsPattern(entry));
      expect(plain).to.include('helper');
      expect(mangled).to.not.include('helper');
      const expected = (runCjs(plain).result as () => string)();
      expect(expected).to.equal('27,42,22,fixture,x');
      expect((runCjs(mangled).result as () => string)()).to.equal(expected);
    });
  });
});
