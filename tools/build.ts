/**
 * Builds the board bundles: `npm run build -- --board esp32|esp8266|all` (default esp32).
 *
 * For each board, into dist/<board>/:
 * - wsclient.js: the client library alone, as an Espruino module (format 'module'), from
 *   firmware/wsclient-module.ts;
 * - firmware.js: the application (format 'iife'), from firmware/main.ts when it exists;
 * - ws.js: the same library as a drop-in for Espruino's `ws` module, from firmware/ws-compat.ts.
 * Both are minified and pass the Espruino gate (tools/espruino-gate.ts). Source maps go to
 * dist/<board>/maps/, never next to what is uploaded. The board is chosen at build time by
 * esbuild `define`: only that board's runtime profile is inlined, and a board without TLS
 * gets no require('tls'). A bundle over its board's budget fails the build.
 *
 * Each bundle's resident JsVars (what it holds in RAM once loaded from Storage, code in flash)
 * are estimated from its text (tools/memory-estimate.ts) and printed. wsclient.js has a budget
 * for them (budget.residentVars): above its target the build warns, above its limit it fails.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { boardNames, getBoard, runtimeOf, type BoardProfile } from '../boards/index.ts';
import { libraryBoardOf } from '../boards/types.ts';
import { buildChecked, type EspruinoBundleOptions } from './espruino-bundle.ts';
import { estimateResidentVars } from './memory-estimate.ts';
import { parseCommandLine } from './cli.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const LIBRARY_ENTRY = path.join(ROOT, 'firmware', 'wsclient-module.ts');
const APP_ENTRY = path.join(ROOT, 'firmware', 'main.ts');
const WS_COMPAT_ENTRY = path.join(ROOT, 'firmware', 'ws-compat.ts');

/** One bundle written by the build. */
export interface BuiltBundle {
  /** Path of the bundle (the file to upload). */
  file: string;
  /** Its source map, kept apart so it is never uploaded. */
  map: string;
  bytes: number;
  budget: number;
  /** bytes / budget × 100, rounded to one decimal. */
  percent: number;
  /** Estimated JsVars the bundle holds once loaded from Storage (tools/memory-estimate.ts). */
  residentVars: number;
  /** The board's resident budget for this bundle (wsclient.js only), else null. */
  residentBudget: { target: number; limit: number } | null;
}

/** What buildBoard produced for one board. */
export interface BoardBuild {
  board: string;
  /** wsclient.js first (always built), then firmware.js when there is an app, then ws.js. */
  bundles: [BuiltBundle, ...BuiltBundle[]];
  /** Remarks for the report, e.g. a skipped firmware.js. */
  notes: string[];
  /** Loud remarks: a bundle above its resident target (but within its limit). */
  warnings: string[];
}

/**
 * The esbuild `define`s that select `board`: its runtime profile as `__WSCLIENT_BOARD__`
 * (see firmware/main.ts), the library's part of it as `__WSCLIENT_LIBRARY_BOARD__` (see
 * firmware/wsclient-module.ts) and, for boards without TLS, `__WSCLIENT_NO_TLS__`
 * (see hal/espruino/tcp.ts), which drops the TLS code from the bundle; `__ESPRUINO__`, which
 * drops host-only defaults (the UTF-16 text codec: every Espruino HAL brings its own); and
 * `__WSCLIENT_NATIVE_SHA1__`, which drops the JavaScript SHA-1 when the board's firmware has one.
 */
export function boardDefines(board: BoardProfile): Record<string, string> {
  return {
    __WSCLIENT_BOARD__: JSON.stringify(runtimeOf(board)),
    __WSCLIENT_LIBRARY_BOARD__: JSON.stringify(libraryBoardOf(board)),
    __WSCLIENT_NO_TLS__: board.tls ? 'false' : 'true',
    __ESPRUINO__: 'true',
    __WSCLIENT_NATIVE_SHA1__: board.nativeSha1 ? 'true' : 'false',
  };
}

/**
 * Builds dist/<board>/wsclient.js and, when firmware/main.ts exists, dist/<board>/firmware.js.
 * @param boardName a known board (see boards/index.ts).
 * @param outDir the dist folder (default: dist/ at the repository root).
 * @throws Error listing the known boards for an unknown name; the gate's or esbuild's
 *   errors; or, after writing, an error naming every bundle over its budget.
 */
export async function buildBoard(boardName: string, outDir?: string): Promise<BoardBuild> {
  const board = getBoard(boardName);
  const dir = path.join(path.resolve(outDir ?? path.join(ROOT, 'dist')), board.name);
  const define = boardDefines(board);
  const library = await bundle(board, dir, { entry: LIBRARY_ENTRY, format: 'module', define }, 'wsclient', board.budget.wsclient, board.budget.residentVars);
  const result: BoardBuild = { board: board.name, bundles: [library], notes: [], warnings: [] };
  if (existsSync(APP_ENTRY)) {
    result.bundles.push(await bundle(board, dir, { entry: APP_ENTRY, format: 'iife', define }, 'firmware', board.budget.firmware, null));
  } else {
    result.notes.push(`firmware/main.ts does not exist yet: no ${path.join(dir, 'firmware.js')} (only the library was built)`);
  }
  // ws.js: the library behind the API of Espruino's own `ws` module (firmware/ws-compat.ts).
  result.bundles.push(await bundle(board, dir, { entry: WS_COMPAT_ENTRY, format: 'module', define }, 'ws', board.budget.wsclient, board.budget.residentVars));

  const over = result.bundles.filter((b) => b.bytes > b.budget);
  if (over.length > 0) {
    const names = over.map((b) => `${path.basename(b.file)} is ${b.bytes - b.budget} bytes over`);
    throw new Error(`${formatReport(result)}\n${board.name}: over the board's size budget: ${names.join(', ')}`);
  }
  const heavy = result.bundles.filter((b) => b.residentBudget !== null && b.residentVars > b.residentBudget.limit);
  if (heavy.length > 0) {
    const names = heavy.map((b) => `${path.basename(b.file)} holds about ${b.residentVars} JsVars, limit ${b.residentBudget!.limit}`);
    throw new Error(`${formatReport(result)}\n${board.name}: over the board's resident-memory limit: ${names.join(', ')}`);
  }
  for (const b of result.bundles) {
    if (b.residentBudget !== null && b.residentVars > b.residentBudget.target) {
      result.warnings.push(
        `${path.basename(b.file)} holds about ${b.residentVars} JsVars once required, over the target of ` +
          `${b.residentBudget.target} (${board.vars} planned on ${board.name}; the build fails above ${b.residentBudget.limit})`,
      );
    }
  }
  return result;
}

async function bundle(
  board: BoardProfile,
  dir: string,
  what: Pick<EspruinoBundleOptions, 'entry' | 'format' | 'define'>,
  name: string,
  budget: number,
  residentBudget: { target: number; limit: number } | null,
): Promise<BuiltBundle> {
  const file = path.join(dir, `${name}.js`);
  const built = await buildChecked({ ...what, outfile: file, minify: true });
  const map = await moveMap(file, path.join(dir, 'maps', `${name}.js.map`));
  if (built.warnings.length > 0) console.warn(`${board.name}/${name}.js warnings:\n${built.warnings.join('\n')}`);
  const residentVars = estimateResidentVars(await readFile(file, 'latin1'), board.bytesPerVar, file).vars;
  return { file, map, bytes: built.bytes, budget, percent: Math.round((built.bytes / budget) * 1000) / 10, residentVars, residentBudget };
}

/** Moves `<file>.map` to `target`, rebasing its relative `sources` on the new folder. */
async function moveMap(file: string, target: string): Promise<string> {
  const from = `${file}.map`;
  const map = JSON.parse(await readFile(from, 'utf8')) as { sources?: string[] };
  const rebase = path.relative(path.dirname(target), path.dirname(file)).split(path.sep).join('/');
  if (map.sources) {
    map.sources = map.sources.map((s) => (/^[a-z][\w+.-]*:|^[/<]/i.test(s) || rebase === '' ? s : `${rebase}/${s}`));
  }
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, JSON.stringify(map));
  await rm(from);
  return target;
}

/** The size report of one board's build, one line per bundle. */
export function formatReport(build: BoardBuild): string {
  const lines = build.bundles.map((b) => {
    const shown = path.relative(process.cwd(), b.file) || b.file;
    const resident =
      `resident ≈ ${String(b.residentVars).padStart(5)} vars` +
      (b.residentBudget ? ` (target ${b.residentBudget.target}, limit ${b.residentBudget.limit})` : '');
    return `  ${shown.padEnd(28)} ${String(b.bytes).padStart(7)} bytes  budget ${String(b.budget).padStart(7)}  ${b.percent.toFixed(1).padStart(5)}%  ${resident}`;
  });
  return [`${build.board}:`, ...lines, ...build.notes.map((n) => `  note: ${n}`), ...build.warnings.map((w) => `  WARNING: ${w}`)].join('\n');
}

/** Parses `--board NAME` (or `--board=NAME`); 'all' means every board. */
export const BUILD_USAGE = `usage: npm run build -- [--board esp32|esp8266|all]

  --board B    the board to build for (default esp32), or all
  -h, --help   this text`;

/**
 * The boards named on the command line (esp32 when none); null when --help was asked for.
 * @throws Error for an unknown flag or board, listing the known ones.
 */
export function boardsFromArgs(args: string[], print: (text: string) => void = console.log): string[] | null {
  const line = parseCommandLine(args, { board: { type: 'string' } }, BUILD_USAGE, print);
  if (line === null) return null;
  const name = (line.values.board as string | undefined) ?? 'esp32';
  if (name === 'all') return boardNames();
  getBoard(name); // an unknown name fails here, listing the known ones
  return [name];
}

async function main(): Promise<void> {
  try {
    for (const name of boardsFromArgs(process.argv.slice(2)) ?? []) console.log(formatReport(await buildBoard(name)));
  } catch (error) {
    console.error(`build failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) void main();
