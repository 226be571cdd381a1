/**
 * Compiles the npm package's JavaScript and type declarations into lib/ (`npm run
 * build:package`; `npm pack` runs it through `prepack`, after the board build).
 *
 * tsc compiles what tsconfig.build.json names (the Node entry, the protocol core, the HAL
 * types) and everything they import. The sources import each other without extensions
 * (`'./utf8'`), as the board bundler and the architecture test want, but Node's ES module
 * loader, and TypeScript reading declarations under `moduleResolution: node16/nodenext`,
 * need the file's real name: every relative specifier is rewritten, as tsc writes each file,
 * to `./utf8.js` or `./dir/index.js`, whichever source exists. A specifier that matches no
 * source fails the build, naming the file and the specifier.
 */
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '..');
const CONFIG = path.join(ROOT, 'tsconfig.build.json');

/** Relative specifiers in import/export-from clauses, `import('…')` types and bare `import '…'`. */
const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"\n]*)\2/g;

/**
 * `text` (a .js or .d.ts file tsc emitted from `source`) with every extensionless relative
 * specifier pointing at the emitted `.js` file.
 * @throws Error naming `source` and the specifier when no `.ts` file or `index.ts` matches it.
 */
export function withExtensions(text: string, source: string): string {
  const dir = path.dirname(source);
  return text.replace(SPECIFIER, (whole, before: string, quote: string, spec: string) => {
    if (/\.(c|m)?js$/.test(spec)) return whole;
    let target: string;
    if (existsSync(path.join(dir, `${spec}.ts`))) target = `${spec}.js`;
    else if (existsSync(path.join(dir, spec, 'index.ts'))) target = `${spec}/index.js`;
    else throw new Error(`${path.relative(ROOT, source)}: import "${spec}" matches no .ts file nor ${spec}/index.ts`);
    return `${before}${quote}${target}${quote}`;
  });
}

/**
 * Empties the output folder, compiles, and returns the files written.
 * @throws Error with tsc's diagnostics when the compilation has errors.
 */
export function buildPackage(configFile = CONFIG): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(configFile, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  const outDir = parsed.options.outDir;
  const rootDir = parsed.options.rootDir;
  if (!outDir || !rootDir) throw new Error(`${configFile}: compilerOptions.outDir and rootDir are required`);
  rmSync(outDir, { recursive: true, force: true });
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    ...(parsed.projectReferences ? { projectReferences: parsed.projectReferences } : {}),
  });
  const written: string[] = [];
  const result = program.emit(undefined, (file, text, bom) => {
    // The source is the emitted file's twin under rootDir: lib/protocol/utf8.d.ts ← protocol/utf8.ts.
    const relative = path.relative(outDir, file).replace(/(\.d)?\.js$|\.d\.ts$/, '.ts');
    ts.sys.writeFile(file, withExtensions(text, path.join(rootDir, relative)), bom);
    written.push(file);
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(result.diagnostics);
  if (diagnostics.length > 0) {
    throw new Error(
      ts.formatDiagnostics(diagnostics, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => ROOT,
        getNewLine: () => '\n',
      }),
    );
  }
  return written;
}

function main(): void {
  try {
    const files = buildPackage();
    console.log(`lib/: ${files.length} files (JavaScript and declarations)`);
  } catch (error) {
    console.error(`build:package failed: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
