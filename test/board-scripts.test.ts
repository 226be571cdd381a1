/**
 * The scripts the host tools send to Espruino (tools/board-scripts/) pass the same gate as the
 * firmware: built fresh here, every variant, so a construct Espruino cannot run fails the test
 * at its place in the source.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { expect } from 'chai';
import { BOARD_SCRIPTS, boardScriptEntry, buildBoardScript, wrapInFunction } from '../tools/build-board-scripts.ts';

/** The error `promise` rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: Error) => error,
  );
}

describe('board scripts (tools/board-scripts)', function () {
  this.timeout(120000);
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'board-scripts-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  const variants: [string, Record<string, string> | undefined][] = BOARD_SCRIPTS.flatMap((name): [string, Record<string, string> | undefined][] =>
    name === 'bench-harness'
      ? [
          [name, { __BENCH_INSTRUMENT__: 'false' }],
          [name, { __BENCH_INSTRUMENT__: 'true' }],
        ]
      : [[name, undefined]],
  );
  for (const [name, define] of variants) {
    it(`${name}${define ? ` (${JSON.stringify(define)})` : ''} builds into a flat program with no construct Espruino lacks`, async () => {
      // A fresh cache: built and gated here, never read from an earlier build.
      const code = await buildBoardScript(boardScriptEntry(name as (typeof BOARD_SCRIPTS)[number]), define, path.join(scratch, 'cache'));
      expect(code.length).to.be.greaterThan(50);
      expect(() => new vm.Script(code)).to.not.throw();
      expect(code).to.not.match(/\bexports\b|^\s*export\b/m);
    });
  }

  it('refuses a script with constructs Espruino cannot run, naming each at its place in the source', async () => {
    const entry = path.join(scratch, 'bad.ts');
    writeFileSync(
      entry,
      [
        'declare const SETTINGS: { a: number; b: number };',
        'var m = new Map<string, number>();',
        'console.log(m.size + SETTINGS.a, process.memory);',
        'export {};',
      ].join('\n'),
    );
    const error = await rejection(buildBoardScript(entry, undefined, path.join(scratch, 'cache')));
    expect(error.message).to.match(/Espruino gate failed/);
    expect(error.message).to.match(/Map \(not available on Espruino.*\) at .*bad\.ts:2:/);
    expect(error.message).to.match(/process \(Node's process does not exist on Espruino\) at .*bad\.ts:3:/);
    const destructuring = path.join(scratch, 'destructuring.ts');
    writeFileSync(destructuring, 'declare const SETTINGS: { a: number; b: number };\nvar { a, b } = SETTINGS;\nconsole.log(a + b);\nexport {};\n');
    expect((await rejection(buildBoardScript(destructuring, undefined, path.join(scratch, 'cache')))).message).to.match(
      /destructuring is not supported by Espruino .* at .*destructuring\.ts:2:/,
    );
  });

  it('refuses a script that exports: it would not run as a flat program', async () => {
    const entry = path.join(scratch, 'exports.ts');
    writeFileSync(entry, 'export function f(): number { return 1; }\n');
    expect((await rejection(buildBoardScript(entry, undefined, path.join(scratch, 'cache')))).message).to.match(/must not export anything/);
  });

  it('is built once: a second call, in this process or another, gets the kept code', async () => {
    const cache = path.join(scratch, 'kept');
    const entry = boardScriptEntry('wifi-save');
    const first = await buildBoardScript(entry, undefined, cache);
    expect(await buildBoardScript(entry, undefined, cache)).to.equal(first);
    // Kept in the cache directory (dist/board-scripts by default) under the hash of its inputs.
    const files = readdirSync(cache).filter((f) => f.endsWith('.js'));
    expect(files).to.have.length(1);
    const kept = files[0] ?? expect.fail('no .js file in the cache directory');
    expect(kept).to.match(/^wifi-save\.[0-9a-f]{16}\.js$/);
    expect(readFileSync(path.join(cache, kept), 'utf8')).to.equal(first);
    // Another process finds the file: marked here, the mark comes back (the same directory,
    // spelled differently, is not in this process's memory).
    writeFileSync(path.join(cache, kept), `${first}/*kept*/`);
    expect(await buildBoardScript(entry, undefined, `${cache}${path.sep}`)).to.equal(`${first}/*kept*/`);
  });

  it('wraps a script in a function call, so that its settings and variables stay local', () => {
    const statement = wrapInFunction('var x=S.a+1;R.push(x);', ['S'], ['{"a":41}']);
    const R: number[] = [];
    const context = vm.createContext({ R });
    vm.runInContext(statement, context);
    expect(R).to.deep.equal([42]);
    expect(vm.runInContext('typeof S + typeof x', context)).to.equal('undefinedundefined');
  });
});
