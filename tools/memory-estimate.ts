/**
 * Estimates the JsVars an Espruino module holds once it is required from Storage (its code in
 * flash), from the bundle's text alone, so CI can see memory without an interpreter.
 *
 * What stays in RAM after `require` is what the module's top level creates and keeps: the
 * module's scope (its top-level bindings, once any function keeps it alive), each function
 * object created at load time (with its parameters, a reference to its code in flash and a
 * link to its scope), classes and their methods, object and array literals, and the values
 * in them. Function bodies stay in flash and cost nothing until they run, so only the top
 * level (and class bodies) is walked. Values made by calls at load time cannot be known from
 * the text and count as nothing.
 *
 * The per-construct costs (VAR_COSTS) were measured one construct at a time in the real
 * interpreter (Espruino 2v29 Linux builds with ESP32- and ESP8266-like pools: a module of 50
 * or 100 of one construct, required from Storage, resident vars in use after require minus
 * before) and are checked against whole modules by `npm run bench -- interpreter` (estimate
 * vs measured).
 */
import { parse, type Node } from 'acorn';

/** What one construct costs, in JsVars. */
export interface VarCosts {
  /** Characters of a name (a property or binding) held in its first JsVar. */
  nameChars: number;
  /** Characters of a string value held in its first JsVar. */
  stringChars: number;
  /** Characters held in each further JsVar of a name or string. */
  extensionChars: number;
  /** A function created at load time: the function, its code reference in flash, its scope link. */
  function: number;
  /** Each parameter of such a function (plus its name's further JsVars). */
  parameter: number;
  /** A getter or setter beyond the function itself (the accessor pair). */
  accessor: number;
  /** A class: its function and its prototype object. */
  classBase: number;
  /** A class with its own constructor: the constructor's code (its parameters cost as above). */
  constructorCode: number;
  /** A class with `extends`. */
  extendsBase: number;
  /** An object or array literal itself (its members cost as names and values). */
  container: number;
  /** A value that does not fit in its name's JsVar: a non-integer or large number, a boolean, null. */
  boxed: number;
  /** Integers from -2^15 to 2^15-1 are stored in their name's JsVar. */
  inlineIntMax: number;
  /** The module itself: its cache entry and exports object. */
  module: number;
  /** The module's scope object, kept when a function created at load time refers to it. */
  scope: number;
}

/** Measured on Espruino 2v29 (Linux builds, 32-bit, 12- and 14-byte JsVars); see the file comment. */
export const VAR_COSTS: VarCosts = {
  nameChars: 4,
  stringChars: 8,
  extensionChars: 10,
  function: 4,
  parameter: 1,
  accessor: 2,
  classBase: 7,
  constructorCode: 2,
  extendsBase: 3,
  container: 1,
  boxed: 1,
  inlineIntMax: 32767,
  module: 8,
  scope: 4,
};

/** The costs on a pool of `blocksize`-byte JsVars: a further JsVar of a name or string holds blocksize − 4 characters. */
export function costsFor(blocksize: number): VarCosts {
  if (!(Number.isInteger(blocksize) && blocksize >= 8)) throw new Error(`costsFor: blocksize must be a whole number of bytes ≥ 8, got ${blocksize}`);
  return { ...VAR_COSTS, extensionChars: blocksize - 4 };
}

/** The estimate, with how many of each construct it counted and what each kind costs in all. */
export interface MemoryEstimate {
  /** Estimated resident JsVars. */
  vars: number;
  counts: { functions: number; parameters: number; classes: number; properties: number; bindings: number; strings: number; boxed: number; containers: number };
  /** JsVars per kind of construct; they add up to `vars`. */
  breakdown: { module: number; functions: number; parameters: number; classes: number; names: number; literals: number; tables: number };
}

// biome-ignore lint/suspicious/noExplicitAny: acorn nodes are walked generically, by whatever fields each type has
type AnyNode = Node & { [key: string]: any };

/** JsVars of a name of `length` characters. */
export function nameVars(length: number, costs: VarCosts): number {
  return 1 + Math.ceil(Math.max(0, length - costs.nameChars) / costs.extensionChars);
}

/** JsVars of a string value of `length` bytes. */
export function stringVars(length: number, costs: VarCosts): number {
  return 1 + Math.ceil(Math.max(0, length - costs.stringChars) / costs.extensionChars);
}

/**
 * Estimates the resident JsVars of `source`, an Espruino module (script syntax, `exports.x = …`)
 * required from Storage, on a pool of `blocksize`-byte JsVars.
 * @throws Error naming `file` and the position when the source does not parse.
 */
export function estimateResidentVars(source: string, blocksize: number, file = 'module'): MemoryEstimate {
  const costs = costsFor(blocksize);
  let ast: AnyNode;
  try {
    ast = parse(source, { ecmaVersion: 2022, sourceType: 'script', allowReturnOutsideFunction: true }) as AnyNode;
  } catch (error) {
    throw new Error(`estimateResidentVars: ${file} does not parse: ${(error as Error).message}`);
  }
  const counts = { functions: 0, parameters: 0, classes: 0, properties: 0, bindings: 0, strings: 0, boxed: 0, containers: 0 };
  const breakdown = { module: costs.module, functions: 0, parameters: 0, classes: 0, names: 0, literals: 0, tables: 0 };

  const name = (length: number): void => {
    breakdown.names += nameVars(length, costs);
  };
  const keyLength = (key: AnyNode, computed: boolean): number => {
    if (computed) return 4;
    if (key.type === 'Identifier') return key.name.length;
    if (key.type === 'PrivateIdentifier') return key.name.length + 1;
    return String(key.value).length;
  };

  function fn(node: AnyNode): void {
    counts.functions++;
    breakdown.functions += costs.function;
    for (const param of node.params as AnyNode[]) {
      counts.parameters++;
      breakdown.parameters += costs.parameter - 1 + nameVars(param.type === 'Identifier' ? param.name.length : 4, costs);
    }
  }

  function number(value: number): void {
    if (!(Number.isInteger(value) && Math.abs(value) <= costs.inlineIntMax)) {
      counts.boxed++;
      breakdown.literals += costs.boxed;
    }
  }

  function string(length: number): void {
    counts.strings++;
    breakdown.literals += stringVars(length, costs);
  }

  function klass(node: AnyNode): void {
    counts.classes++;
    breakdown.classes += costs.classBase + (node.superClass ? costs.extendsBase : 0);
    for (const member of node.body.body as AnyNode[]) {
      if (member.type === 'MethodDefinition') {
        if (member.kind === 'constructor') {
          breakdown.classes += costs.constructorCode;
          for (const param of member.value.params as AnyNode[]) {
            counts.parameters++;
            breakdown.parameters += costs.parameter - 1 + nameVars(param.type === 'Identifier' ? param.name.length : 4, costs);
          }
          continue;
        }
        counts.properties++;
        name(keyLength(member.key, member.computed));
        fn(member.value);
        if (member.kind === 'get' || member.kind === 'set') breakdown.functions += costs.accessor;
      } else if (member.type === 'PropertyDefinition' && member.static) {
        counts.properties++;
        name(keyLength(member.key, member.computed));
        if (member.value) value(member.value);
      }
    }
  }

  /** The JsVars of a value created at load time (a reference to something else costs nothing more). */
  function value(node: AnyNode | null): void {
    if (!node) return;
    switch (node.type) {
      case 'Literal':
        if (typeof node.value === 'number') number(node.value);
        else if (typeof node.value === 'string') string(Buffer.byteLength(node.value, 'latin1'));
        else if (typeof node.value === 'boolean' || node.value === null) {
          counts.boxed++;
          breakdown.literals += costs.boxed;
        } else if (node.regex) {
          counts.boxed++;
          breakdown.literals += costs.boxed + stringVars(node.regex.pattern.length, costs);
        }
        return;
      case 'TemplateLiteral':
        if (node.expressions.length === 0) string(node.quasis[0].value.cooked.length);
        return;
      case 'UnaryExpression':
        if (node.operator === 'void') return;
        if (node.operator === '!') {
          counts.boxed++;
          breakdown.literals += costs.boxed;
          return;
        }
        if (node.operator === '-' && node.argument.type === 'Literal' && typeof node.argument.value === 'number') {
          number(-node.argument.value);
          return;
        }
        return;
      case 'ObjectExpression':
        counts.containers++;
        breakdown.tables += costs.container;
        for (const prop of node.properties as AnyNode[]) {
          if (prop.type !== 'Property') continue;
          counts.properties++;
          name(keyLength(prop.key, prop.computed));
          if (prop.kind === 'get' || prop.kind === 'set') {
            fn(prop.value);
            breakdown.functions += costs.accessor;
          } else value(prop.value);
        }
        return;
      case 'ArrayExpression':
        counts.containers++;
        breakdown.tables += costs.container;
        for (const element of node.elements as (AnyNode | null)[]) {
          breakdown.tables += 1; // the element's index
          value(element);
        }
        return;
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        fn(node);
        return;
      case 'ClassExpression':
        klass(node);
        return;
      case 'AssignmentExpression':
        assignment(node);
        return;
      case 'SequenceExpression':
        for (const e of node.expressions as AnyNode[]) value(e);
        return;
      default:
        // identifiers and member reads refer to existing values; calls, operators: unknown at build time
        return;
    }
  }

  /** `exports.x`, `module.exports`, `exports`, and `(typeof module == "object" ? module : …).exports` (ws.js). */
  function isExports(node: AnyNode): boolean {
    if (node.type === 'Identifier') return node.name === 'exports';
    if (node.type !== 'MemberExpression') return false;
    const isModule = (n: AnyNode): boolean => n.type === 'Identifier' && n.name === 'module';
    const object = node.object;
    const ofModule = isModule(object) || (object.type === 'ConditionalExpression' && (isModule(object.consequent) || isModule(object.alternate)));
    return isExports(object) || (ofModule && !node.computed && node.property.name === 'exports');
  }

  /** `a.b = v` adds a property; `a = v` replaces a binding counted where it was declared. */
  function assignment(node: AnyNode): void {
    if (node.operator !== '=') return;
    if (node.left.type === 'MemberExpression') {
      counts.properties++;
      name(node.left.computed ? (node.left.property.type === 'Literal' ? String(node.left.property.value).length : 4) : node.left.property.name.length);
    }
    value(node.right);
  }

  // The top level: bindings in the module's scope, and what its statements build. An iife
  // bundle (`(() => { … })();`, esbuild's format for applications) is walked inside its function,
  // whose scope plays the module scope's part.
  let body = (ast.body as AnyNode[]).filter((statement) => !statement.directive);
  const [only] = body;
  if (
    body.length === 1 &&
    only &&
    only.type === 'ExpressionStatement' &&
    only.expression.type === 'CallExpression' &&
    /^(Arrow)?FunctionExpression$/.test(only.expression.callee.type) &&
    only.expression.callee.body.type === 'BlockStatement'
  ) {
    body = only.expression.callee.body.body;
  }
  type Breakdown = typeof breakdown;
  const snapshot = (): Breakdown => ({ ...breakdown });
  const since = (before: Breakdown): Breakdown => {
    const delta = { ...before };
    for (const key of Object.keys(breakdown) as (keyof Breakdown)[]) delta[key] = breakdown[key] - before[key];
    return delta;
  };
  /** Each top-level binding: what its name and value cost, and its value (to follow references). */
  const bindings = new Map<string, { cost: Breakdown; names: number; init: AnyNode | null; isFunction: boolean }>();
  /** What the module hands out or runs: exports' values and the arguments of top-level calls. */
  const roots: AnyNode[] = [];
  let runsCode = false;
  for (const statement of body) {
    const before = snapshot();
    if (statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') {
      counts.bindings++;
      if (statement.type === 'FunctionDeclaration') fn(statement);
      else klass(statement);
      bindings.set(statement.id.name, { cost: since(before), names: nameVars(statement.id.name.length, costs), init: null, isFunction: true });
    } else if (statement.type === 'VariableDeclaration') {
      for (const d of statement.declarations as AnyNode[]) {
        counts.bindings++;
        const start = snapshot();
        value(d.init);
        const id = d.id.type === 'Identifier' ? d.id.name : `?${bindings.size}`;
        bindings.set(id, { cost: since(start), names: nameVars(id.length, costs), init: d.init, isFunction: false });
        if (d.init) collectRoots(d.init);
      }
    } else if (statement.type === 'ExpressionStatement') {
      value(statement.expression);
      collectRoots(statement.expression);
    }
  }

  /** Exports' values and calls' arguments, anywhere in a top-level expression (not inside functions). */
  function collectRoots(node: AnyNode): void {
    if (!node || typeof node.type !== 'string') return;
    if (/Function|Class/.test(node.type)) return;
    if (node.type === 'AssignmentExpression' && isExports(node.left)) roots.push(node.right);
    if (node.type === 'CallExpression' || node.type === 'NewExpression') {
      runsCode = true;
      roots.push(...(node.arguments as AnyNode[]));
    }
    for (const key of Object.keys(node)) {
      const child = node[key];
      if (Array.isArray(child)) {
        for (const c of child) if (c && typeof c === 'object') collectRoots(c);
      } else if (child && typeof child === 'object' && typeof child.type === 'string') collectRoots(child);
    }
  }

  // Which bindings the module hands out, and whether a function it hands out (or code it runs)
  // keeps the scope: then every binding stays; else only those reachable from exports.
  const reachable = new Set<string>();
  let keepsScope = false;
  const follow = (node: AnyNode | null): void => {
    if (!node) return;
    if (/^(FunctionExpression|ArrowFunctionExpression|ClassExpression)$/.test(node.type)) keepsScope = true;
    else if (node.type === 'Identifier') {
      const binding = bindings.get(node.name);
      if (!binding || reachable.has(node.name)) return;
      reachable.add(node.name);
      if (binding.isFunction) keepsScope = true;
      follow(binding.init);
    } else if (node.type === 'ObjectExpression') for (const p of node.properties as AnyNode[]) follow(p.value || p.argument);
    else if (node.type === 'ArrayExpression') for (const e of node.elements as AnyNode[]) follow(e);
    else if (node.type === 'AssignmentExpression' || node.type === 'SequenceExpression') follow(node.right || node.expressions[node.expressions.length - 1]);
  };
  roots.forEach(follow);
  if (runsCode && counts.functions + counts.classes > 0) keepsScope = true;
  if (keepsScope) {
    breakdown.module += costs.scope;
    for (const binding of bindings.values()) breakdown.names += binding.names;
  } else {
    for (const [id, binding] of bindings) {
      if (reachable.has(id)) continue;
      for (const key of Object.keys(breakdown) as (keyof Breakdown)[]) breakdown[key] -= binding.cost[key];
    }
  }
  const vars = breakdown.module + breakdown.functions + breakdown.parameters + breakdown.classes + breakdown.names + breakdown.literals + breakdown.tables;
  return { vars, counts, breakdown };
}
