/**
 * The Espruino gate: a static check of a finished bundle for constructs Espruino cannot run.
 *
 * Espruino interprets source text directly, so anything its parser or runtime lacks fails on
 * the board, often as a parse error of the whole program at load time. esbuild refuses some
 * of these (see espruino-bundle.ts), but it silently emits others (globals such as Map, regex
 * flags, labels) or lowers a construct into one of them (`#private` becomes WeakMap). The gate
 * parses the bundle exactly as it will be uploaded and reports each offender at its original
 * TypeScript position, read from the source map.
 */
import path from 'node:path';
import { parse, type AnyNode, type Expression, type Literal, type Pattern, type SourceLocation } from 'acorn';
import { fullAncestor } from 'acorn-walk';
import { SourceMapConsumer } from 'source-map-js';

/** One construct in the bundle that Espruino cannot run. Lines and columns are all 1-based. */
export interface GateViolation {
  /** Short stable name, e.g. `Map`, `label`, `Array.from`, `destructuring`. */
  construct: string;
  /** Position in the bundle. */
  line: number;
  column: number;
  /** Original file (relative to the working directory), or null for generated code / no map. */
  source: string | null;
  sourceLine: number | null;
  sourceColumn: number | null;
  /** One readable line: what, why, where (original and bundle positions). */
  message: string;
}

/**
 * A known-safe use of a construct inside esbuild's own runtime helpers. Helper names are
 * mangled under --minify, so entries match the code's shape, never a name.
 */
export interface GateAllowance {
  /** The esbuild helper this entry exists for (documentation only). */
  helper: string;
  /** The violation's `construct` this entry may suppress. */
  construct: string;
  /** Why it cannot fail on Espruino. */
  why: string;
  /** True when the flagged node (last element of `ancestors`) is the helper's safe use. */
  matches(ancestors: readonly AnyNode[]): boolean;
}

/** esbuild helpers known to appear in Espruino bundles and to be safe there. */
export const ESBUILD_HELPER_ALLOWLIST: readonly GateAllowance[] = [
  {
    helper: '__require',
    construct: 'Proxy',
    why:
      'iife output routes require() of external modules through __require, which reaches ' +
      '`new Proxy` only behind `typeof require` and `typeof Proxy` checks. Espruino always ' +
      'defines require, so __require is just require and the Proxy branch never runs.',
    matches: (ancestors) => guardedByTypeof('Proxy', ancestors),
  },
];

/** Globals Espruino lacks. Free references fail with a ReferenceError or misbehave. */
const MISSING_GLOBALS: Record<string, string> = {
  Map: 'not available on Espruino; use a plain object',
  Set: 'not available on Espruino; use a plain object or an array',
  WeakMap: 'not available on Espruino; esbuild also lowers `#private` members to WeakMap',
  WeakSet: 'not available on Espruino; esbuild also lowers `#private` methods to WeakSet',
  WeakRef: 'not available on Espruino',
  FinalizationRegistry: 'not available on Espruino',
  Symbol: 'not available on Espruino',
  Proxy: 'not available on Espruino',
  Reflect: 'not available on Espruino',
  BigInt: 'not available on Espruino',
  TextEncoder: 'not available on Espruino; encode UTF-8 by hand',
  TextDecoder: 'not available on Espruino; decode UTF-8 by hand',
  Buffer: "Node's Buffer does not exist on Espruino; use Uint8Array",
  process: "Node's process does not exist on Espruino",
  queueMicrotask: 'not available on Espruino; use setTimeout(fn, 0)',
};

/** Static members of standard globals that Espruino lacks (the globals themselves exist). */
const MISSING_MEMBERS: Record<string, readonly string[]> = {
  Array: ['from', 'of'],
  Number: ['isNaN', 'isInteger', 'isFinite', 'isSafeInteger'],
  Math: ['trunc', 'imul', 'clz32', 'log2', 'hypot', 'cbrt', 'fround'],
  Object: ['freeze', 'seal'],
  String: ['raw'],
};

/** Why each syntactic construct is flagged; the key is the violation's `construct`. */
const SYNTAX = {
  label: 'labeled statements are not supported by Espruino',
  'tagged template': 'tagged templates are not supported by Espruino',
  '#private': 'not supported by Espruino; use a plain property such as `_name`',
  'extends Error': 'subclassing Error is broken on Espruino; use localError() from protocol/errors.ts',
  'Promise.prototype.finally': '`.finally()` is not available on Espruino; use .then(f, f)',
  '**': 'the exponent operator is not supported by Espruino; use Math.pow',
  'optional chaining': '`?.` is not supported by Espruino',
  'logical assignment': '`??=`, `||=`, `&&=` are not supported by Espruino',
  'length assignment': 'Espruino refuses an assignment to `length` ("Assignment to a constant"); use slice() or a new array',
  rest: '`...` rest elements are not supported by Espruino',
  destructuring: 'destructuring patterns are not supported by Espruino',
  'default parameter': 'default values are not supported by Espruino',
  generator: 'generators are not supported by Espruino',
  'async function': 'async/await is not supported by Espruino; use Promise chains',
  'for await': '`for await` is not supported by Espruino',
  'computed key': 'computed keys `[k]` in object literals and classes are not supported by Espruino',
  'class field': 'class fields are not supported by Espruino; assign in the constructor',
  'static block': 'class static blocks are not supported by Espruino',
  'BigInt literal': 'BigInt is not available on Espruino',
  'regex lookbehind': "Espruino's regex engine has no lookbehind",
  'regex named group': "Espruino's regex engine has no named groups",
  'regex flag': "Espruino's regex engine supports only the g, i and m flags",
  'regex counted repetition': "Espruino's regex engine has no {n,m} quantifier (/^[0-9]{3}$/ never matches '101'): repeat the atom",
  'regex non-capturing group': "Espruino's regex engine mishandles (?:…) (/^(?:key|version)$/ fails on 'key'): use a capturing group",
  'new.target': '`new.target` is not supported by Espruino',
  'import.meta': '`import.meta` is not supported by Espruino',
  'dynamic import()': '`import()` is not supported by Espruino; use require()',
  'syntax error': 'the bundle does not parse',
} as const;
/** The same reasons, looked up by any construct name: flag() also reports constructs without an entry. */
const SYNTAX_REASONS: Readonly<Record<string, string>> = SYNTAX;

/**
 * Checks a bundle against the subset of JavaScript Espruino runs.
 *
 * @param code The bundle exactly as it will be uploaded.
 * @param map Its source map (JSON text), or null for hand-written code.
 * @param label The bundle's path, used in messages; relative `sources` in the map are
 *   resolved against its directory (as the source-map spec does) and shown relative to cwd.
 * @param allow Known-safe helper uses to ignore; defaults to {@link ESBUILD_HELPER_ALLOWLIST}.
 * @returns Every violation, in bundle order; empty when the bundle is clean.
 */
export function checkEspruinoSubset(
  code: string,
  map: string | null,
  label: string,
  allow: readonly GateAllowance[] = ESBUILD_HELPER_ALLOWLIST,
): GateViolation[] {
  const locate = makeLocator(map, label);
  const found = new Map<string, GateViolation>();
  const report = (construct: string, reason: string, loc: SourceLocation | null | undefined) => {
    const line = loc?.start.line ?? 1;
    const column = (loc?.start.column ?? 0) + 1;
    const key = `${construct}@${line}:${column}`;
    if (!found.has(key)) found.set(key, locate(construct, reason, line, column));
  };

  let ast;
  try {
    ast = parse(code, { ecmaVersion: 'latest', sourceType: 'script', locations: true });
  } catch (error) {
    const loc = (error as { loc?: { line: number; column: number } }).loc;
    const at = loc ? { start: loc, end: loc } : null;
    const text = (error as Error).message;
    // A script cannot contain import.meta at all, so acorn rejects it instead of the walk.
    if (/import\.meta/.test(text)) report('import.meta', SYNTAX['import.meta'], at);
    else report('syntax error', `${SYNTAX['syntax error']}: ${text}`, at);
    return [...found.values()];
  }

  fullAncestor(ast, (node, _state, ancestors, walkType) => {
    const flag = (construct: string, at: AnyNode = node, reason = SYNTAX_REASONS[construct]) => {
      if (allow.some((a) => a.construct === construct && a.matches(ancestors))) return;
      report(construct, reason ?? construct, at.loc);
    };
    checkNode(node, walkType, ancestors, flag);
  });
  return [...found.values()].sort((a, b) => a.line - b.line || a.column - b.column);
}

type Flag = (construct: string, at?: AnyNode, reason?: string) => void;

/** The rules. `walkType` is 'VariablePattern' for binding identifiers, else the node type. */
function checkNode(node: AnyNode, walkType: string, ancestors: AnyNode[], flag: Flag): void {
  const parent = ancestors[ancestors.length - 2];
  switch (node.type) {
    case 'Identifier': {
      const reason = MISSING_GLOBALS[node.name];
      // `typeof X` is the safe way to probe for a missing global, so it is not a use.
      const probed = parent?.type === 'UnaryExpression' && parent.operator === 'typeof';
      if (walkType === 'Identifier' && reason && !probed && isFree(node.name, ancestors)) {
        flag(node.name, node, reason);
      }
      break;
    }
    case 'MemberExpression': {
      const member = staticMember(node.object, node.property, node.computed);
      if (member && MISSING_MEMBERS[member.object]?.includes(member.property) && isFree(member.object, ancestors)) {
        flag(`${member.object}.${member.property}`, node, 'not available on Espruino');
      }
      if (node.property.type === 'PrivateIdentifier') flag('#private', node.property);
      break;
    }
    case 'CallExpression':
    case 'NewExpression':
      if (node.callee.type === 'MemberExpression' && propertyName(node.callee.property, node.callee.computed) === 'finally') {
        flag('Promise.prototype.finally', node.callee.property);
      }
      if (node.callee.type === 'Identifier' && node.callee.name === 'RegExp' && isFree('RegExp', ancestors)) {
        const [pattern, flags] = node.arguments.map(stringValue);
        if (pattern !== undefined) checkRegex(pattern, flags ?? '', flag);
      }
      break;
    case 'Literal':
      if (node.regex) checkRegex(node.regex.pattern, node.regex.flags, flag);
      if (node.bigint !== undefined) flag('BigInt literal');
      break;
    case 'LabeledStatement':
      flag('label');
      break;
    case 'TaggedTemplateExpression':
      flag('tagged template');
      break;
    case 'PrivateIdentifier': // `#x in obj`
      flag('#private');
      break;
    case 'ThisExpression':
      if (nearestFunction(ancestors)?.type === 'ArrowFunctionExpression') {
        flag(
          'this in an arrow function',
          node,
          'Espruino mishandles `this` inside an arrow function (an assertion fails when such an arrow sits in a skipped `a&&(…)`): capture `const self = this` instead',
        );
      }
      break;
    case 'ClassDeclaration':
    case 'ClassExpression':
      if (node.type === 'ClassExpression' && node.id) {
        flag('named class expression', node.id, 'inside `class Name {…}` used as an expression, Espruino does not define Name: use a class declaration');
      }
      if (node.superClass?.type === 'Identifier' && /Error$/.test(node.superClass.name) && isFree(node.superClass.name, ancestors)) {
        flag('extends Error', node.superClass);
      }
      break;
    case 'MethodDefinition':
    case 'PropertyDefinition':
      if (node.key.type === 'PrivateIdentifier') flag('#private', node.key);
      else if (node.type === 'PropertyDefinition') flag('class field');
      if (node.computed) flag('computed key', node.key);
      break;
    case 'StaticBlock':
      flag('static block');
      break;
    case 'Property':
      if (node.computed) flag('computed key', node.key);
      break;
    case 'BinaryExpression':
      if (node.operator === '**') flag('**');
      break;
    case 'AssignmentExpression':
      if (node.operator === '**=') flag('**');
      if (node.operator === '??=' || node.operator === '||=' || node.operator === '&&=') flag('logical assignment');
      if (node.left.type === 'MemberExpression' && !node.left.computed && (node.left.property as { name?: string }).name === 'length')
        flag('length assignment');
      break;
    case 'ChainExpression':
      flag('optional chaining');
      break;
    case 'SpreadElement':
      flag('spread', node, `\`...\` spread in ${spreadPlace(parent)} is not supported by Espruino`);
      break;
    case 'RestElement':
      flag('rest');
      break;
    case 'ObjectPattern':
    case 'ArrayPattern':
      if (!insidePattern(ancestors)) flag('destructuring');
      break;
    case 'AssignmentPattern':
      flag('default parameter');
      break;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (node.generator) flag('generator');
      if (node.async) flag('async function');
      break;
    case 'ForOfStatement':
      if (node.await) flag('for await');
      break;
    case 'MetaProperty': // only new.target: import.meta does not parse in a script
      flag('new.target');
      break;
    case 'ImportExpression':
      flag('dynamic import()');
      break;
  }
}

function spreadPlace(parent: AnyNode | undefined): string {
  if (parent?.type === 'ObjectExpression') return 'an object literal';
  return parent?.type === 'ArrayExpression' ? 'an array literal' : 'a call';
}

/** True when `name` is not bound by any enclosing scope, i.e. it means the global. */
function isFree(name: string, ancestors: readonly AnyNode[]): boolean {
  for (let i = ancestors.length - 2; i >= 0; i--) if (declares(ancestors[i]!, name)) return false;
  return true;
}

/** True when the pattern at the end of `ancestors` is nested in another pattern (reported once). */
function insidePattern(ancestors: readonly AnyNode[]): boolean {
  for (const ancestor of ancestors.slice(0, -1).reverse()) {
    const t = ancestor.type;
    if (t === 'ObjectPattern' || t === 'ArrayPattern') return true;
    if (t !== 'Property' && t !== 'AssignmentPattern' && t !== 'RestElement') return false;
  }
  return false;
}

/** `X.y` or `X['y']` with a plain identifier `X`, else null. */
/** The innermost function around the last of `ancestors`, if any. */
function nearestFunction(ancestors: AnyNode[]): AnyNode | undefined {
  for (const ancestor of ancestors.slice(0, -1).reverse()) {
    const t = ancestor.type;
    if (t === 'ArrowFunctionExpression' || t === 'FunctionExpression' || t === 'FunctionDeclaration') return ancestor;
  }
  return undefined;
}

function staticMember(object: Expression | { type: 'Super' }, property: Expression | { type: 'PrivateIdentifier' }, computed: boolean) {
  if (object.type !== 'Identifier') return null;
  const name = propertyName(property as AnyNode, computed);
  return name === null ? null : { object: object.name, property: name };
}

function propertyName(property: AnyNode, computed: boolean): string | null {
  if (!computed && property.type === 'Identifier') return property.name;
  return computed ? (stringValue(property) ?? null) : null;
}

function stringValue(node: AnyNode | undefined): string | undefined {
  return node?.type === 'Literal' && typeof (node as Literal).value === 'string' ? ((node as Literal).value as string) : undefined;
}

/**
 * Flags regex features Espruino's engine lacks. esbuild turns a literal its target cannot
 * parse into `new RegExp("…", "…")`, so this runs on both literals and constant RegExp calls.
 */
function checkRegex(pattern: string, flags: string, flag: Flag): void {
  const bad = [...flags].filter((f) => !'gim'.includes(f));
  if (bad.length) flag('regex flag', undefined, `${SYNTAX['regex flag']}, not ${bad.join(', ')}`);
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      if (!inClass && pattern[i + 1] === 'k' && pattern[i + 2] === '<') flag('regex named group');
      i++;
    } else if (ch === '[') inClass = true;
    else if (ch === ']') inClass = false;
    else if (ch === '(' && !inClass && pattern.startsWith('?<', i + 1)) {
      const next = pattern[i + 3];
      flag(next === '=' || next === '!' ? 'regex lookbehind' : 'regex named group');
    } else if (ch === '(' && !inClass && pattern.startsWith('?:', i + 1)) flag('regex non-capturing group');
    else if (ch === '{' && !inClass && /^\{\d+(,\d*)?\}/.test(pattern.slice(i))) flag('regex counted repetition');
  }
}

/** True when the node at the end of `ancestors` only runs after `typeof name` proved it exists. */
function guardedByTypeof(name: string, ancestors: readonly AnyNode[]): boolean {
  for (let i = ancestors.length - 1; i > 0; i--) {
    const child = ancestors[i]!;
    const parent = ancestors[i - 1]!;
    if ((parent.type === 'ConditionalExpression' || parent.type === 'IfStatement') && parent.consequent === child && provesDefined(parent.test, name))
      return true;
    if (parent.type === 'LogicalExpression' && parent.operator === '&&' && parent.right === child && provesDefined(parent.left, name)) return true;
  }
  return false;
}

/** `typeof X !== "undefined"`, `!=`, and esbuild's minified `typeof X < "u"`. */
function provesDefined(test: AnyNode, name: string): boolean {
  if (test.type !== 'BinaryExpression') return false;
  const isTypeof = (n: AnyNode) => n.type === 'UnaryExpression' && n.operator === 'typeof' && n.argument.type === 'Identifier' && n.argument.name === name;
  const left = test.left as AnyNode;
  const right = stringValue(test.right);
  if (!isTypeof(left)) return false;
  if (test.operator === '!==' || test.operator === '!=') return right === 'undefined';
  return test.operator === '<' && right === 'u';
}

type Locate = (construct: string, reason: string, line: number, column: number) => GateViolation;

/** Builds violations, mapping bundle positions to original ones when a map is given. */
function makeLocator(map: string | null, label: string): Locate {
  const consumer = map ? new SourceMapConsumer(map) : null;
  return (construct, reason, line, column) => {
    const bundleAt = `${label}:${line}:${column}`;
    const original = consumer?.originalPositionFor({ line, column: column - 1 });
    const source = original?.source ? displayPath(original.source, label) : null;
    const sourceLine = source ? original!.line : null;
    const sourceColumn = source ? original!.column + 1 : null;
    const where = source
      ? `${source}:${sourceLine}:${sourceColumn} (bundle ${bundleAt})`
      : consumer
        ? `${bundleAt} (generated code, no original source)`
        : bundleAt;
    return { construct, line, column, source, sourceLine, sourceColumn, message: `${construct} (${reason}) at ${where}` };
  };
}

/** A map's source path, resolved against the bundle's directory and shown relative to cwd. */
function displayPath(source: string, label: string): string {
  if (/^[a-z][\w+.-]*:|^</i.test(source)) return source; // URLs and `<stdin>`-style names
  const absolute = path.resolve(path.dirname(label), source);
  return path.relative(process.cwd(), absolute).split(path.sep).join('/');
}

/** Renders violations for an error message or a log, one per line. */
export function formatViolations(v: GateViolation[]): string {
  if (v.length === 0) return 'no Espruino incompatibilities found';
  const head = `${v.length} construct${v.length === 1 ? '' : 's'} Espruino cannot run:`;
  return [head, ...v.map((x) => `  - ${x.message}`)].join('\n');
}

// --- Scopes: just enough to tell a global `Map` from a local binding that shadows it. ---

const scopeNames = new WeakMap<AnyNode, Set<string>>();

/** True when the scope-creating `node` binds `name` (params, var/let/const, functions, classes, catch). */
function declares(node: AnyNode, name: string): boolean {
  let names = scopeNames.get(node);
  if (!names) {
    names = bindingsOf(node);
    scopeNames.set(node, names);
  }
  return names.has(name);
}

function bindingsOf(node: AnyNode): Set<string> {
  const names = new Set<string>();
  switch (node.type) {
    case 'Program':
      hoistedVars(node.body, names);
      lexical(node.body, names);
      break;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (node.type === 'FunctionExpression' && node.id) names.add(node.id.name);
      for (const p of node.params) patternNames(p, names);
      if (node.body.type === 'BlockStatement') hoistedVars(node.body.body, names);
      break;
    case 'BlockStatement':
    case 'StaticBlock':
      lexical(node.body, names);
      break;
    case 'SwitchStatement':
      for (const c of node.cases) lexical(c.consequent, names);
      break;
    case 'ForStatement':
    case 'ForInStatement':
    case 'ForOfStatement': {
      const head = node.type === 'ForStatement' ? node.init : node.left;
      if (head?.type === 'VariableDeclaration') for (const d of head.declarations) patternNames(d.id, names);
      break;
    }
    case 'CatchClause':
      if (node.param) patternNames(node.param, names);
      break;
    case 'ClassExpression':
      if (node.id) names.add(node.id.name);
      break;
  }
  return names;
}

/** let/const/class/function declared directly in a statement list. */
function lexical(body: readonly AnyNode[], names: Set<string>): void {
  for (const s of body) {
    if (s.type === 'VariableDeclaration') for (const d of s.declarations) patternNames(d.id, names);
    else if ((s.type === 'FunctionDeclaration' || s.type === 'ClassDeclaration') && s.id) names.add(s.id.name);
  }
}

/** `var` names anywhere in a function body, not descending into nested functions. */
function hoistedVars(body: readonly AnyNode[], names: Set<string>): void {
  const visit = (s: AnyNode | null | undefined): void => {
    if (!s) return;
    switch (s.type) {
      case 'VariableDeclaration':
        if (s.kind === 'var') for (const d of s.declarations) patternNames(d.id, names);
        break;
      case 'BlockStatement':
        s.body.forEach(visit);
        break;
      case 'IfStatement':
        visit(s.consequent);
        visit(s.alternate);
        break;
      case 'ForStatement':
        visit(s.init);
        visit(s.body);
        break;
      case 'ForInStatement':
      case 'ForOfStatement':
        visit(s.left);
        visit(s.body);
        break;
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'LabeledStatement':
      case 'WithStatement':
        visit(s.body);
        break;
      case 'TryStatement':
        visit(s.block);
        visit(s.handler?.body);
        visit(s.finalizer);
        break;
      case 'SwitchStatement':
        for (const c of s.cases) c.consequent.forEach(visit);
        break;
    }
  };
  body.forEach(visit);
}

function patternNames(p: Pattern, names: Set<string>): void {
  switch (p.type) {
    case 'Identifier':
      names.add(p.name);
      break;
    case 'ObjectPattern':
      for (const prop of p.properties) patternNames(prop.type === 'RestElement' ? prop : prop.value, names);
      break;
    case 'ArrayPattern':
      for (const e of p.elements) if (e) patternNames(e, names);
      break;
    case 'AssignmentPattern':
      patternNames(p.left, names);
      break;
    case 'RestElement':
      patternNames(p.argument, names);
      break;
  }
}
