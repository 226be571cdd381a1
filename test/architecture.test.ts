import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Import specifiers and free identifiers (not property names) of a TypeScript file. */
function scan(file: string, text = readFileSync(join(root, file), 'utf8')): { imports: string[]; globals: string[] } {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const imports: string[] = [];
  const globals: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      imports.push(node.moduleSpecifier.text);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) imports.push('import()');
    if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const isPropertyName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        ((ts.isPropertyAssignment(parent) ||
          ts.isPropertyDeclaration(parent) ||
          ts.isMethodDeclaration(parent) ||
          ts.isPropertySignature(parent) ||
          ts.isMethodSignature(parent) ||
          ts.isGetAccessor(parent)) &&
          parent.name === node);
      if (!isPropertyName) globals.push(node.text);
      if (ts.isPropertyAccessExpression(parent) && parent.name === node && ts.isIdentifier(parent.expression)) {
        globals.push(parent.expression.text + '.' + node.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, globals };
}

const PLATFORM_GLOBALS = [
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'Date',
  'Math.random',
  'require',
  'E',
  'Buffer',
  'process',
  'global',
  'globalThis',
  'TextEncoder',
  'TextDecoder',
  'console',
  'performance',
  'crypto',
];

describe('architecture', () => {
  describe('protocol/ is pure', () => {
    for (const file of sourceFiles('protocol')) {
      it(`${file} imports only from protocol/ and uses no platform globals`, () => {
        const { imports, globals } = scan(file);
        for (const spec of imports) expect(spec, `${file} imports ${spec}`).to.match(/^\.\/[\w-]+$/);
        for (const name of PLATFORM_GLOBALS) expect(globals, `${file} uses ${name}`).not.to.include(name);
      });
    }
  });

  it('the scan itself catches a platform global and an outside import', () => {
    const { imports, globals } = scan(
      'fixture.ts',
      "import { x } from '../hal/types';\nconst o = { setTimeout: 1 };\nsetTimeout(() => o.setTimeout, Math.random());",
    );
    expect(imports).to.deep.equal(['../hal/types']);
    expect(globals.filter((g) => g === 'setTimeout')).to.have.length(1);
    expect(globals).to.include('Math.random');
  });
});
