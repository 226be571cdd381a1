/**
 * Bundles TypeScript for Espruino with esbuild, and gates the result (espruino-gate.ts).
 *
 * No esbuild `--target` yields code Espruino can run, so the build pins es2015 and switches
 * off the features Espruino lacks but esbuild can only refuse, not rewrite (default/rest
 * parameters, destructuring, array spread, generators, async). A refusal is a build error,
 * which this module rewrites to name the construct and its file:line:column. What esbuild
 * emits silently (Map, labels, regex flags, `#private` lowered to WeakMap…) is the gate's job.
 *
 * Output: the code goes to `outfile`; the source map goes to `<outfile>.map` for the gate and
 * for reading board stack traces. The code carries no `sourceMappingURL` comment, so upload
 * only `outfile`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { checkEspruinoSubset, formatViolations } from './espruino-gate.ts';
import { manglePropsPattern } from './private-names.ts';

/** Espruino's built-in modules: they must stay `require('x')` calls, never be bundled. */
export const ESPRUINO_BUILTIN_MODULES: readonly string[] = [
  'net',
  'tls',
  'Wifi',
  'crypto',
  'Storage',
  'http',
  'dgram',
  'Flash',
  'TelnetServer',
  'ESP8266',
  'ESP32',
];

/**
 * esbuild's `supported` overrides on top of target es2015. `false` makes esbuild refuse the
 * construct (it cannot lower these); `true` keeps syntax Espruino runs natively.
 */
export const ESPRUINO_SUPPORTED: Readonly<Record<string, boolean>> = {
  'default-argument': false,
  'rest-argument': false,
  destructuring: false,
  'array-spread': false,
  generator: false,
  'async-await': false,
  'const-and-let': true,
  'for-of': true,
  'object-extensions': true,
  class: true,
};

/** What to bundle, and how. */
export interface EspruinoBundleOptions {
  /** The entry .ts file. */
  entry: string;
  /** Where the code is written; the map goes to `<outfile>.map`. */
  outfile: string;
  /**
   * `iife`: a program for `.bootcde` or the REPL. `module`: a body for Espruino's module
   * loader (`Modules.addCached(name, …)` then `require(name)`), which assigns every export of
   * `entry` to `exports.X` once, at load (exports are copies, not live bindings).
   */
  format: 'iife' | 'module';
  /** iife only: expose the entry's exports as this global variable. */
  globalName?: string;
  /** Compile-time constants, as for esbuild (values are JS source text). */
  define?: Record<string, string>;
  /** Modules left as `require()`; default {@link ESPRUINO_BUILTIN_MODULES}. */
  external?: string[];
  minify: boolean;
}

/** A finished bundle, as returned (and written) by bundleForEspruino and buildChecked. */
export interface EspruinoBundle {
  code: string;
  /** Source map JSON; `sources` are relative to the outfile's directory. */
  map: string;
  /** UTF-8 size of `code`, i.e. what the upload costs. */
  bytes: number;
  /** esbuild's warnings and this module's own, one readable string each. */
  warnings: string[];
}

/**
 * Bundles `entry` for Espruino and writes `outfile` and `<outfile>.map`.
 * @throws Error naming each construct esbuild refused, with its file:line:column.
 */
export async function bundleForEspruino(options: EspruinoBundleOptions): Promise<EspruinoBundle> {
  const bundle = await compile(options);
  await emit(options.outfile, bundle);
  return bundle;
}

/**
 * Bundles, then runs the gate over the exact code to upload; writes the files only if clean.
 * @throws Error listing every gate violation (see formatViolations), or esbuild's refusals.
 */
export async function buildChecked(options: EspruinoBundleOptions): Promise<EspruinoBundle> {
  const bundle = await compile(options);
  const violations = checkEspruinoSubset(bundle.code, bundle.map, options.outfile);
  if (violations.length > 0) {
    throw new Error(`Espruino gate failed for ${options.entry} (bundle ${options.outfile}):\n${formatViolations(violations)}`);
  }
  await emit(options.outfile, bundle);
  return bundle;
}

async function emit(outfile: string, bundle: EspruinoBundle): Promise<void> {
  await mkdir(path.dirname(outfile), { recursive: true });
  await writeFile(outfile, bundle.code);
  await writeFile(`${outfile}.map`, bundle.map);
}

/** Runs esbuild in memory and returns code, map and warnings. */
async function compile(options: EspruinoBundleOptions): Promise<EspruinoBundle> {
  const mangleProps = options.minify ? manglePropsPattern(options.entry) : undefined;
  const common: esbuild.BuildOptions = {
    bundle: true,
    write: false,
    outfile: options.outfile,
    target: 'es2015',
    supported: { ...ESPRUINO_SUPPORTED },
    minify: options.minify,
    charset: 'utf8', // keep UTF-8 literals as bytes: \u escapes break on ESP builds
    sourcemap: 'external', // no sourceMappingURL comment in the uploaded code
    ...(options.define ? { define: options.define } : {}),
    // Espruino finds a property by walking the object's names and comparing strings, so long
    // names sharing prefixes (closeCode, closeSent…) slow every access: minified bundles give
    // private members short names (tools/private-names.ts says which names are safe).
    ...(mangleProps ? { mangleProps: mangleProps } : {}),
    external: options.external ?? [...ESPRUINO_BUILTIN_MODULES],
    logLevel: 'silent',
  };
  const result =
    options.format === 'module'
      ? await run({ ...common, format: 'cjs', stdin: await exportShim(options.entry, common) })
      : await run({ ...common, format: 'iife', entryPoints: [options.entry], ...(options.globalName ? { globalName: options.globalName } : {}) });

  const files = result.outputFiles ?? [];
  const code = files.find((f) => !f.path.endsWith('.map'))?.text ?? '';
  const map = files.find((f) => f.path.endsWith('.map'))?.text ?? '';
  const warnings = await esbuild.formatMessages(result.warnings, { kind: 'warning', color: false });
  return {
    code,
    map,
    bytes: Buffer.byteLength(code, 'utf8'),
    warnings: [...warnings.map((w) => w.trim()), ...interopWarnings(code)],
  };
}

/**
 * The stdin entry for `module` format. esbuild's own cjs output for an entry with exports
 * goes through `module.exports = __toCommonJS(ns)` (getter-based namespace helpers), and its
 * iife goes through __commonJS wrappers once the entry uses `exports`. An entry that imports
 * the real exports and assigns `exports.X = …` makes cjs output plain statements instead.
 * Export names come from a first, esm-format pass (metafile).
 */
async function exportShim(entry: string, common: esbuild.BuildOptions): Promise<esbuild.StdinOptions> {
  const probe = await run({ ...common, format: 'esm', entryPoints: [entry], sourcemap: false, minify: false, metafile: true });
  const names = Object.values(probe.metafile?.outputs ?? {}).flatMap((o) => o.exports);
  const absolute = path.resolve(entry);
  const imports = names.map((n, i) => `${/^[A-Za-z_$][\w$]*$/.test(n) ? n : JSON.stringify(n)} as e${i}`);
  const lines = [`import { ${imports.join(', ')} } from ${JSON.stringify(absolute)};`, ...names.map((n, i) => `exports[${JSON.stringify(n)}] = e${i};`)];
  return {
    contents: names.length ? lines.join('\n') : `import ${JSON.stringify(absolute)};`,
    resolveDir: path.dirname(absolute),
    sourcefile: '<espruino-module-exports>',
    loader: 'ts',
  };
}

/** Flags esbuild interop helpers that lean on getters and prototype copying of native objects. */
function interopWarnings(code: string): string[] {
  const warnings: string[] = [];
  if (/\.__esModule\b/.test(code)) {
    warnings.push(
      "bundle contains esbuild's __toESM interop (a namespace or default import of an external or CommonJS " +
        "module); it copies the module's properties through getters. Prefer named imports: import { connect } from 'net'",
    );
  }
  if (/\{\s*exports\s*:\s*\{\s*\}\s*\}/.test(code)) {
    warnings.push("bundle contains esbuild's __commonJS wrapper: a CommonJS file was bundled; convert it to ESM");
  }
  return warnings;
}

/** What each esbuild refusal is called here, and what to write instead. */
const REFUSALS: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/^Transforming default arguments/, 'default parameter', 'test `if (x === undefined) x = …` in the body'],
  [/^Transforming rest arguments/, 'rest parameter / argument spread', 'use `arguments`, or f.apply(null, xs) for f(...xs)'],
  [/^Transforming destructuring/, 'destructuring', 'read the properties one by one'],
  [/^Transforming array spread/, 'array spread', 'use concat() or slice()'],
  [/^Transforming async generator functions/, 'async generator', 'use callbacks or Promise chains'],
  [/^Transforming async functions/, 'async function', 'use Promise chains'],
  [/^Transforming generator functions/, 'generator', 'write the iterator by hand'],
  [/^Transforming for-await loops/, 'for await', 'use Promise chains'],
];

/** Runs esbuild, rewriting a build failure into one Error that names every refused construct. */
async function run(options: esbuild.BuildOptions): Promise<esbuild.BuildResult> {
  try {
    return await esbuild.build(options);
  } catch (error) {
    const errors = (error as { errors?: esbuild.Message[] }).errors;
    if (!Array.isArray(errors)) throw error;
    const entry = options.entryPoints ? String(options.entryPoints) : (options.stdin?.sourcefile ?? '<stdin>');
    const lines = errors.map(describeError);
    throw new Error(`esbuild refused ${entry} for Espruino (${errors.length} error${errors.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
  }
}

function describeError(message: esbuild.Message): string {
  const refusal = REFUSALS.find(([pattern]) => pattern.test(message.text));
  const what = refusal ? `${refusal[1]} is not supported by Espruino (${refusal[2]})` : message.text;
  const loc = message.location;
  if (!loc) return `  - ${what}`;
  // esbuild columns are 0-based UTF-8 byte offsets; editors want 1-based characters.
  const column = Buffer.from(loc.lineText, 'utf8').subarray(0, loc.column).toString('utf8').length + 1;
  return `  - ${what} at ${loc.file}:${loc.line}:${column}\n      | ${loc.lineText.trim()}`;
}
