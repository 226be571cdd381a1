/**
 * `npm run typecheck:index`: the type check again with `noUncheckedIndexedAccess`, holding the
 * host code to it and leaving the board code out.
 *
 * Why not in tsconfig.json: the board code (protocol/, firmware/, hal/espruino/ and their
 * tests) works on bytes in typed arrays, where every `bytes[i]` would become `number |
 * undefined` and need a check or an assertion in the hot loops an interpreter pays for
 * statement by statement. A program's compiler options apply to all of its files, and the
 * host code imports the board code, so the flag is checked here, over the whole program,
 * and only the diagnostics in host files count.
 *
 * Exit status 1, listing each diagnostic, when a host file breaks the rule.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Folders (relative to the repository) whose code runs on the board, or tests it only there. */
export const BOARD_PATHS: readonly string[] = [
  'protocol/',
  'firmware/',
  'hal/espruino/',
  'tools/board-scripts/',
  'test/protocol/',
  'test/firmware/',
  'test/espruino/',
  'test/hal/espruino-',
];

/** True for a file (relative path, forward slashes) that the rule does not cover. */
export function isBoardFile(relative: string): boolean {
  return BOARD_PATHS.some((prefix) => relative.startsWith(prefix));
}

/** The diagnostics of the project with noUncheckedIndexedAccess, in host files only, formatted. */
export function hostIndexAccessErrors(): string[] {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, ROOT, { noUncheckedIndexedAccess: true, noEmit: true }, configPath);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const out: string[] = [];
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const file = diagnostic.file;
    const relative = file ? path.relative(ROOT, file.fileName).split(path.sep).join('/') : '';
    if (file && isBoardFile(relative)) continue;
    const where = file && diagnostic.start !== undefined ? file.getLineAndCharacterOfPosition(diagnostic.start) : null;
    out.push(`${relative}${where ? `(${where.line + 1},${where.character + 1})` : ''}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const errors = hostIndexAccessErrors();
  for (const line of errors) console.error(line);
  if (errors.length > 0) {
    console.error(`${errors.length} error(s) with noUncheckedIndexedAccess in host code (board code is exempt: see tools/check-index-access.ts)`);
    process.exit(1);
  }
}
