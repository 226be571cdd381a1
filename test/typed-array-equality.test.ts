import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = join(import.meta.dirname, '..');

/**
 * Espruino compares a typed array, DataView or ArrayBuffer by value, not by reference: ===, !==,
 * == and != convert both sides to strings ("1,2,3,…") and compare those. That costs
 * milliseconds for a few KB, allocates, and calls two arrays with equal contents equal. Only
 * a comparison against null or undefined is cheap (the types differ, so it stops at once).
 */
const BINARY_TYPES = new Set([
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'DataView',
  'ArrayBuffer',
  'SharedArrayBuffer',
  'ArrayBufferLike',
]);

const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
]);

function unwrap(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node)) node = node.expression;
  return node;
}

/** `null`, `undefined` or `void <anything>`: the comparisons Espruino settles on the type alone. */
function isNullishLiteral(node: ts.Expression): boolean {
  const e = unwrap(node);
  return e.kind === ts.SyntaxKind.NullKeyword || (ts.isIdentifier(e) && e.text === 'undefined') || ts.isVoidExpression(e);
}

/** Whether a type is, contains (union/intersection), extends or is constrained to a typed array, DataView or ArrayBuffer. */
function isBinaryType(checker: ts.TypeChecker, type: ts.Type, seen = new Set<ts.Type>()): boolean {
  if (seen.has(type)) return false;
  seen.add(type);
  if (type.aliasSymbol && BINARY_TYPES.has(type.aliasSymbol.name)) return true;
  if (type.isUnionOrIntersection()) return type.types.some((t) => isBinaryType(checker, t, seen));
  if (type.flags & ts.TypeFlags.TypeParameter) {
    const constraint = checker.getBaseConstraintOfType(type);
    return constraint !== undefined && isBinaryType(checker, constraint, seen);
  }
  const symbol = type.getSymbol();
  if (symbol && BINARY_TYPES.has(symbol.name)) return true;
  // A class or interface extending one (Node's Buffer extends Uint8Array, say).
  const target = type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference ? (type as ts.TypeReference).target : type;
  if (target.isClassOrInterface()) {
    return (checker.getBaseTypes(target) ?? []).some((t) => isBinaryType(checker, t, seen));
  }
  return false;
}

/**
 * Every ===, !==, == or != in `files` where one side is typed as a typed array, DataView or
 * ArrayBuffer (null and undefined stripped) and the other is not a null/undefined literal, as
 * `file:line:col: expression`, the file as given. `.d.ts` files are in the program but not reported.
 */
function findTypedArrayComparisons(files: string[]): string[] {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const program = ts.createProgram(files, { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const found: string[] = [];
  for (const file of files) {
    if (file.endsWith('.d.ts')) continue;
    const source = program.getSourceFile(file);
    if (!source) throw new Error(`${file} is not in the program`);
    const visit = (node: ts.Node): void => {
      if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) {
        const sides = [node.left, node.right];
        const skip = sides.some((side) => isNullishLiteral(side) || ts.isTypeOfExpression(unwrap(side)));
        if (!skip && sides.some((side) => isBinaryType(checker, checker.getNonNullableType(checker.getTypeAtLocation(side))))) {
          const { line, character } = source.getLineAndCharacterOfPosition(node.getStart(source));
          found.push(`${file}:${line + 1}:${character + 1}: ${node.getText(source)}`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return found;
}

/** The .ts files (declarations too) under the board code: what gets bundled for Espruino. */
function boardFiles(): string[] {
  const files: string[] = [join(root, 'hal/types.ts')];
  for (const dir of ['protocol', 'firmware', 'hal/espruino', 'boards', 'tools/board-scripts']) {
    for (const f of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.ts')) files.push(join(root, dir, f));
    }
  }
  return files;
}

describe('typed-array equality', function () {
  this.timeout(60000);

  it('board code never compares a typed array, DataView or ArrayBuffer except against null/undefined', () => {
    const files = boardFiles();
    expect(files.length).to.be.greaterThan(20);
    const violations = findTypedArrayComparisons(files).map((v) => relative(root, v));
    expect(
      violations,
      'Espruino compares these by converting both sides to strings; ' +
        'compare against null/undefined or track identity another way:\n  ' +
        violations.join('\n  '),
    ).to.deep.equal([]);
  });

  it('the check reports comparisons of binary data and nothing else', () => {
    const dir = mkdtempSync(join(tmpdir(), 'typed-array-equality-'));
    try {
      const file = join(dir, 'fixture.ts');
      writeFileSync(
        file,
        [
          'type Bytes = Uint8Array;',
          'export function f(a: Uint8Array, b: Uint8Array | null, c: ArrayBuffer, d: number[]) {',
          '  return [a === b, a !== null, b === undefined, c == c, d === d, a.buffer === c];',
          '}',
          'export function g(x: Bytes | undefined, y: Bytes, v: DataView, n: number, s: string, u: unknown) {',
          '  return [x != y, (x) === (void 0), undefined !== x, typeof x === s, v === v, n === n, s == s, u === u, x === null];',
          '}',
          'export function h<T extends Int32Array>(t: T, m: Int32Array | number) { return [t === t, m === 0, t === null]; }',
          '',
        ].join('\n'),
      );
      const found = findTypedArrayComparisons([file]).map((v) => v.slice(file.length + 1));
      expect(found).to.deep.equal(['3:11: a === b', '3:49: c == c', '3:66: a.buffer === c', '6:11: x != y', '6:70: v === v', '8:81: t === t', '8:90: m === 0']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
