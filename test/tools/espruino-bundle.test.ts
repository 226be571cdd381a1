import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { buildChecked, bundleForEspruino, type EspruinoBundleOptions } from '../../tools/espruino-bundle.ts';
import { checkEspruinoSubset } from '../../tools/espruino-gate.ts';

const FIXTURES = 'test/fixtures/gate';

/** The 1-based line of a fixture marked `// VIOLATION`. */
function markedLine(file: string): number {
  const index = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes('// VIOLATION'));
  if (index < 0) throw new Error(`${file} has no // VIOLATION marker`);
  return index + 1;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('tools/espruino-bundle', () => {
  let out: string;
  const options = (fixture: string, extra: Partial<EspruinoBundleOptions> = {}): EspruinoBundleOptions => ({
    entry: `${FIXTURES}/${fixture}`,
    outfile: path.join(out, fixture.replace(/\.ts$/, '.js')),
    format: 'iife',
    minify: true,
    ...extra,
  });

  before(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'espruino-bundle-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  describe('the allowed subset', () => {
    for (const minify of [true, false]) {
      it(`bundles good.ts with no violation (minify: ${minify})`, async () => {
        const result = await buildChecked(options('good.ts', { minify })); // throws on any violation
        expect(result.warnings).to.deep.equal([]);
        expect(result.bytes).to.equal(Buffer.byteLength(result.code));
        expect(result.code).to.include('✓'); // --charset=utf8: no \u escape
        expect(result.code).to.not.include('sourceMappingURL');
      });
    }

    it('writes the code to outfile and the map next to it', async () => {
      const opts = options('good.ts');
      const result = await bundleForEspruino(opts);
      expect(await readFile(opts.outfile, 'utf8')).to.equal(result.code);
      const map = JSON.parse(await readFile(`${opts.outfile}.map`, 'utf8')) as { sources: string[] };
      expect(map.sources.some((s) => s.endsWith('test/fixtures/gate/good.ts'))).to.equal(true);
    });

    it('runs good.ts as a program', async () => {
      const result = await bundleForEspruino(options('good.ts', { globalName: 'app' }));
      const app = new Function(`${result.code}; return app;`)() as { greet(n?: string): string; sum(v: number[]): number };
      expect(app.greet()).to.equal('anonymous went up ✓');
      expect(app.sum([1, 2, 3])).to.equal(6);
    });

    it('does not flag ?. once esbuild has lowered it', async () => {
      const result = await buildChecked(options('lowered-optional-chain.ts'));
      expect(result.code).to.not.include('?.');
    });

    it("keeps built-in modules as require() and allows esbuild's __require shim", async () => {
      const result = await buildChecked(options('uses-net.ts'));
      expect(result.code).to.match(/\("net"\)/);
      expect(result.code).to.include('Proxy'); // the typeof-guarded branch of __require
    });
  });

  describe('module format', () => {
    for (const minify of [true, false]) {
      it(`evaluates with exports and module in scope (minify: ${minify})`, async () => {
        const result = await buildChecked(options('module-lib.ts', { format: 'module', minify }));
        expect(result.code).to.not.match(/__esModule|module\.exports|__commonJS|__toESM|__export\b/);
        const module = { exports: {} as Record<string, unknown> };
        new Function('exports', 'module', result.code)(module.exports, module);
        const lib = module.exports as {
          add(a: number, b: number): number;
          default(x: number): number;
          Greeter: new (name: string) => { greet(): string };
          VERSION: string;
        };
        expect(lib.add(2, 3)).to.equal(5);
        expect(lib.default(4)).to.equal(8);
        expect(new lib.Greeter('board').greet()).to.equal('hello board');
        expect(lib.VERSION).to.equal('1.0');
        expect(Object.keys(lib).sort()).to.deep.equal(['Greeter', 'VERSION', 'add', 'default']);
      });
    }

    it('calls require() directly for built-in modules', async () => {
      const result = await buildChecked(options('uses-net.ts', { format: 'module' }));
      expect(result.code).to.include('require("net")');
      const connect = (o: { host: string; port: number }) => `connected ${o.host}:${o.port}`;
      const module = { exports: {} as Record<string, unknown> };
      const require = (name: string) => (name === 'net' ? { connect } : undefined);
      new Function('exports', 'module', 'require', result.code)(module.exports, module, require);
      expect((module.exports.open as (h: string) => string)('example.org')).to.equal('connected example.org:80');
    });
  });

  describe('the gate on real bundles', () => {
    const cases: Array<[fixture: string, construct: string]> = [
      ['bad-map.ts', 'Map'],
      ['bad-symbol.ts', 'Symbol'],
      ['bad-label.ts', 'label'],
      ['bad-tagged-template.ts', 'tagged template'],
      ['bad-private.ts', 'WeakMap'], // what esbuild lowers #private to
      ['bad-extends-error.ts', 'extends Error'],
      ['bad-array-from.ts', 'Array.from'],
      ['bad-number-isinteger.ts', 'Number.isInteger'],
      ['bad-math-trunc.ts', 'Math.trunc'],
      ['bad-finally.ts', 'Promise.prototype.finally'],
      ['bad-textencoder.ts', 'TextEncoder'],
      ['bad-buffer.ts', 'Buffer'],
      ['bad-process.ts', 'process'],
      ['bad-computed-key.ts', 'computed key'],
      ['bad-regex.ts', 'regex lookbehind'],
    ];
    for (const [fixture, construct] of cases) {
      it(`${fixture}: ${construct} at its original line`, async () => {
        const file = `${FIXTURES}/${fixture}`;
        const line = markedLine(file);
        for (const minify of [true, false]) {
          const opts = options(fixture, { minify });
          const { code, map } = await bundleForEspruino(opts);
          const hit = checkEspruinoSubset(code, map, opts.outfile).find((v) => v.construct === construct);
          expect(hit, `${construct} (minify: ${minify})`).to.include({ source: file, sourceLine: line });
          const error = await rejection(buildChecked(opts));
          expect(error.message).to.include(`${construct} (`).and.include(`${file}:${line}:`);
        }
      });
    }

    it('does not write the outfile when the gate fails', async () => {
      const opts = options('bad-map.ts', { outfile: path.join(out, 'never', 'bad-map.js') });
      await rejection(buildChecked(opts));
      expect(await rejection(readFile(opts.outfile))).to.have.property('code', 'ENOENT');
    });
  });

  describe('esbuild refusals', () => {
    const cases: Array<[fixture: string, construct: string]> = [
      ['refuse-default.ts', 'default parameter'],
      ['refuse-destructuring.ts', 'destructuring'],
      ['refuse-rest.ts', 'rest parameter'],
      ['refuse-array-spread.ts', 'array spread'],
      ['refuse-async.ts', 'async function'],
      ['refuse-generator.ts', 'generator'],
    ];
    for (const [fixture, construct] of cases) {
      it(`${fixture}: names ${construct} and file:line`, async () => {
        const file = `${FIXTURES}/${fixture}`;
        for (const format of ['iife', 'module'] as const) {
          const error = await rejection(bundleForEspruino(options(fixture, { format })));
          expect(error.message).to.include(`${construct}`).and.include('not supported by Espruino');
          expect(error.message).to.include(`${file}:${markedLine(file)}:`);
        }
      });
    }
  });
});
