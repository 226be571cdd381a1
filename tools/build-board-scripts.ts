/**
 * Builds the board scripts (tools/board-scripts/) for the host tools that send them (flash, bench):
 * bundled and minified by tools/espruino-bundle.ts and passed through the Espruino subset gate
 * like the firmware.
 *
 * A board script is a flat program (format `module` of an entry without exports: no wrapper
 * function). Its settings are globals it declares and the tool defines in front of it, or
 * parameters of the function the tool wraps it in (see wrapInFunction), JSON either way.
 *
 * A build takes seconds (the bundler's private-name analysis starts the TypeScript checker),
 * so each script is built once: kept per process, and in dist/board-scripts/ under a hash of
 * everything that went into it (its sources, the define values, esbuild's version, the
 * bundler and the gate), where later runs find it.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { buildChecked, ESPRUINO_BUILTIN_MODULES } from './espruino-bundle.ts';

/** The board scripts, by name: `tools/board-scripts/<name>.ts`. */
export const BOARD_SCRIPTS = ['bench-harness', 'bench-probe', 'bench-resident', 'bench-storage-check', 'bench-storage-write', 'wifi-save'] as const;
export type BoardScriptName = (typeof BOARD_SCRIPTS)[number];

const TOOLS = import.meta.dirname;
/** Where built scripts are kept (git-ignored, as all of dist/). */
export const BOARD_SCRIPTS_DIST = path.resolve(TOOLS, '..', 'dist', 'board-scripts');
/** What else decides a script's code: the bundler, the gate, this file. */
const TOOLCHAIN = ['espruino-bundle.ts', 'espruino-gate.ts', 'private-names.ts', 'build-board-scripts.ts'].map((f) => path.join(TOOLS, f));

/** The entry file of a board script. */
export function boardScriptEntry(name: BoardScriptName): string {
  return path.join(TOOLS, 'board-scripts', `${name}.ts`);
}

const built = new Map<string, Promise<string>>();

/**
 * The minified, gated code of a board script, without a final newline.
 * @param define compile-time constants (esbuild define: values are JavaScript source text)
 * @throws Error naming every construct Espruino cannot run, at its place in the source
 */
export function boardScript(name: BoardScriptName, define?: Record<string, string>): Promise<string> {
  return buildBoardScript(boardScriptEntry(name), define);
}

/**
 * As boardScript, for any entry file (the gate's tests use scratch ones).
 * @param cacheDir where built code is kept across processes; default BOARD_SCRIPTS_DIST
 */
export function buildBoardScript(entry: string, define?: Record<string, string>, cacheDir = BOARD_SCRIPTS_DIST): Promise<string> {
  const key = JSON.stringify([path.resolve(entry), define ?? {}, cacheDir]);
  let code = built.get(key);
  if (code === undefined) {
    code = cachedBuild(path.resolve(entry), define, cacheDir);
    built.set(key, code);
    // A failed build is not kept: the next call reports the error again.
    code.catch(() => built.delete(key));
  }
  return code;
}

async function cachedBuild(entry: string, define: Record<string, string> | undefined, cacheDir: string): Promise<string> {
  const defined = Object.entries(define ?? {}).map(([k, v]) => `${k.replace(/^_+|_+$/g, '').toLowerCase()}=${v.replace(/\W/g, '')}`);
  const stem = [path.basename(entry, '.ts'), ...defined].join('.');
  const file = path.join(cacheDir, `${stem}.${await sourceHash(entry, define)}.js`);
  try {
    return await readFile(file, 'utf8');
  } catch {
    // not built yet
  }
  await mkdir(cacheDir, { recursive: true });
  // Built beside its final place, then renamed: a concurrent run never reads half a file.
  const scratch = await mkdtemp(path.join(cacheDir, '.build-'));
  try {
    const out = path.join(scratch, path.basename(file));
    const bundle = await buildChecked({ entry, outfile: out, format: 'module', minify: true, ...(define ? { define } : {}) });
    if (/\bexports\.|^\s*(?:export|import)\b/m.test(bundle.code)) {
      throw new Error(`${path.relative(process.cwd(), entry)}: a board script must not export anything: it runs as a flat program`);
    }
    const code = bundle.code.replace(/\n$/, '');
    // Older builds of the same script and variant go.
    for (const old of await readdir(cacheDir))
      if (old.startsWith(`${stem}.`) && /^[0-9a-f]{16}\.js(\.map)?$/.test(old.slice(stem.length + 1))) await rm(path.join(cacheDir, old), { force: true });
    // Kept exactly as returned (the map stays valid: only the final newline is gone).
    await writeFile(out, code);
    await rename(`${out}.map`, `${file}.map`);
    await rename(out, file);
    return code;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A hash of every input of a script's build: its source files (as esbuild resolves them), define, the toolchain. */
async function sourceHash(entry: string, define: Record<string, string> | undefined): Promise<string> {
  const probe = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    logLevel: 'silent',
    external: [...ESPRUINO_BUILTIN_MODULES],
  });
  const inputs = Object.keys(probe.metafile.inputs)
    .map((f) => path.resolve(f))
    .sort();
  const hash = createHash('sha256').update(JSON.stringify([esbuild.version, define ?? {}, inputs.map((f) => path.relative(TOOLS, f))]));
  for (const f of [...inputs, ...TOOLCHAIN]) hash.update(await readFile(f));
  return hash.digest('hex').slice(0, 16);
}

/**
 * `code` as one call of a function whose parameters are `names`, given `values` (JavaScript
 * source text, e.g. JSON): its variables stay local, so nothing remains on the board after it
 * runs, and no setting becomes a global.
 */
export function wrapInFunction(code: string, names: string[], values: string[]): string {
  return `(function(${names.join(',')}){${code}})(${values.join(',')});`;
}
