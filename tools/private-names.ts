/**
 * Which property names esbuild's `mangleProps` may rename in a board bundle.
 *
 * Espruino finds a property by walking the object's list of names and comparing strings, so
 * long names sharing a prefix (closeCode, closeReason, closeSent…) slow every `this.x`.
 * Renaming is only safe for names that, everywhere in the bundle, mean a `private` member of
 * our own classes: esbuild renames a name at every `x.name` and `{ name: … }` in the bundle,
 * whatever object it is on, and never inside strings (`x['name']`, `'name' in x`).
 *
 * A name is manglable when
 * - some class of ours (a non-declaration source file of the entry's program, not under
 *   node_modules) declares a member of that name `private` (property, method, accessor or
 *   constructor parameter property), and
 * - no other use of the name exists: no `x.name` in our files that the checker cannot resolve
 *   or resolves to anything but such a private member; no declaration of it that is not such
 *   a private member (in our files: class/interface/type-literal members, enum members,
 *   object-literal keys, destructuring keys, import/export names; in ANY file of the
 *   program, lib and @types included: property, method and accessor declarations and
 *   signatures, namespace members); no string literal equal to it in our files (dynamic
 *   lookups such as `this['on' + type]` cannot be followed, so every string counts); and it
 *   is not one of the names esbuild or Espruino treat specially (RESERVED).
 *
 * The program's root names are the entry plus the project's own ambient declaration files
 * (tsconfig's .d.ts files outside node_modules, e.g. hal/espruino/espruino-globals.d.ts):
 * those declare the board's globals and are never imported, and declaration files are never
 * "our files", so "our files" stays exactly the entry and what it imports.
 *
 * Not detectable, so the caller's concern: reflection over instances of our classes
 * (Object.keys(this), for…in, JSON.stringify(this)) would see the mangled names.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Names never mangled: esbuild or Espruino give them a meaning of their own. */
export const RESERVED: ReadonlySet<string> = new Set(['constructor', 'prototype', '__proto__', 'toString', 'valueOf', 'length', 'name']);

const TSCONFIG = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'tsconfig.json');

/** Results per absolute entry path. */
const cache = new Map<string, string[]>();

/** The project's compiler options and its ambient declaration files, read once. */
let project: { options: ts.CompilerOptions; declarations: string[] } | undefined;

function loadProject(): { options: ts.CompilerOptions; declarations: string[] } {
  if (project) return project;
  const read = ts.readConfigFile(TSCONFIG, ts.sys.readFile);
  if (read.error) throw new Error(`${TSCONFIG}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, path.dirname(TSCONFIG), undefined, TSCONFIG);
  if (parsed.errors.length > 0) {
    throw new Error(`${TSCONFIG}: ${parsed.errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n')).join('\n')}`);
  }
  const declarations = parsed.fileNames.filter((f) => f.endsWith('.d.ts') && !isUnderNodeModules(f));
  project = { options: { ...parsed.options, noEmit: true }, declarations };
  return project;
}

function isUnderNodeModules(file: string): boolean {
  return file.split(/[\\/]/).includes('node_modules');
}

/** The text of a property name, when it is static (identifier, string or number). */
function staticName(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) return name.text;
  if (ts.isComputedPropertyName(name) && ts.isStringLiteralLike(name.expression)) return name.expression.text;
  return undefined;
}

/** A class member (or constructor parameter property) declared `private`, with a plain identifier name. */
function isPrivateClassMember(node: ts.Node): boolean {
  const isMember =
    ((ts.isPropertyDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) &&
      ts.isClassLike(node.parent)) ||
    (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent) && ts.isParameterPropertyDeclaration(node, node.parent));
  if (!isMember) return false;
  const name = (node as ts.ClassElement | ts.ParameterDeclaration).name;
  if (!name || !ts.isIdentifier(name)) return false;
  return (ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Private) !== 0;
}

/** Declarations that give an object a property of their name (class, interface and type-literal members). */
function isMemberDeclaration(node: ts.Node): node is ts.NamedDeclaration & { name: ts.PropertyName } {
  return (
    ts.isPropertyDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node) ||
    ts.isPropertySignature(node) ||
    ts.isMethodSignature(node) ||
    ts.isEnumMember(node) ||
    ts.isPropertyAssignment(node) ||
    ts.isShorthandPropertyAssignment(node) ||
    (ts.isParameter(node) && ts.isConstructorDeclaration(node.parent) && ts.isParameterPropertyDeclaration(node, node.parent))
  );
}

function compute(entry: string): string[] {
  const { options, declarations } = loadProject();
  const program = ts.createProgram({ rootNames: [entry, ...declarations.filter((d) => path.resolve(d) !== entry)], options });
  const checker = program.getTypeChecker();
  const files = program.getSourceFiles();
  const ours = files.filter((sf) => !sf.isDeclarationFile && !isUnderNodeModules(sf.fileName) && !program.isSourceFileFromExternalLibrary(sf));
  const ourSet = new Set(ours);

  const isOurPrivateMember = (decl: ts.Node): boolean => isPrivateClassMember(decl) && ourSet.has(decl.getSourceFile());

  // 1. Candidates: private members of our classes.
  const candidates = new Set<string>();
  for (const sf of ours) {
    const visit = (node: ts.Node): void => {
      if (isPrivateClassMember(node)) candidates.add(((node as ts.NamedDeclaration).name as ts.Identifier).text);
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  const excluded = new Set<string>(RESERVED);
  const exclude = (name: string | undefined): void => {
    if (name !== undefined && candidates.has(name)) excluded.add(name);
  };

  // 2. Uses in our files that are not a private member of ours.
  for (const sf of ours) {
    const visit = (node: ts.Node): void => {
      if (ts.isStringLiteralLike(node)) {
        exclude(node.text); // also covers x['name'], 'name' in x, literal types
      } else if (ts.isPropertyAccessExpression(node)) {
        const name = node.name;
        if (ts.isIdentifier(name) && candidates.has(name.text)) {
          const symbol = checker.getSymbolAtLocation(name);
          const decls = symbol?.declarations ?? [];
          if (decls.length === 0 || decls.some((d) => !isOurPrivateMember(d))) exclude(name.text);
        }
      } else if (ts.isObjectLiteralExpression(node)) {
        for (const property of node.properties) {
          if (!ts.isSpreadAssignment(property)) exclude(staticName(property.name));
        }
      } else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent)) {
        exclude(staticName(node.propertyName ?? node.name));
      } else if (ts.isImportSpecifier(node) || ts.isExportSpecifier(node)) {
        exclude(node.name.text);
        if (node.propertyName) exclude(node.propertyName.text);
      } else if (isMemberDeclaration(node)) {
        const name = staticName(node.name);
        if (name !== undefined && candidates.has(name)) {
          if (!isOurPrivateMember(node)) {
            exclude(name);
          } else {
            const symbol = checker.getSymbolAtLocation(node.name);
            if (!symbol || (symbol.declarations ?? []).some((d) => !isOurPrivateMember(d))) exclude(name);
          }
        }
      }
      if (
        (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isVariableStatement(node) || ts.isEnumDeclaration(node)) &&
        ts.getCombinedModifierFlags(node as ts.Declaration) & ts.ModifierFlags.Export
      ) {
        // Exported names become properties of the module object.
        if (ts.isVariableStatement(node)) {
          for (const d of node.declarationList.declarations) exclude(staticName(d.name));
        } else {
          exclude(node.name?.text);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }

  // 3. Declarations anywhere in the program (lib, @types, our .d.ts): public names of other objects.
  for (const sf of files) {
    const fromOurs = ourSet.has(sf);
    const visit = (node: ts.Node, inNamespace: boolean): void => {
      if (isMemberDeclaration(node) && !(fromOurs && isPrivateClassMember(node))) {
        exclude(staticName(node.name));
      } else if (inNamespace && !fromOurs) {
        // Members of declared namespaces are reached as properties: `ns.member`.
        if (ts.isFunctionDeclaration(node) || ts.isClassDeclaration(node) || ts.isEnumDeclaration(node) || ts.isModuleDeclaration(node)) {
          exclude(node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name)) ? node.name.text : undefined);
        } else if (ts.isVariableDeclaration(node)) {
          exclude(staticName(node.name));
        }
      }
      const nested = inNamespace || ts.isModuleBlock(node);
      ts.forEachChild(node, (child) => visit(child, nested));
    };
    visit(sf, false);
  }

  return [...candidates].filter((name) => !excluded.has(name)).sort();
}

/** Names that may be mangled in a bundle of `entry` (see the module comment). Cached per absolute entry path. */
export function manglablePrivateNames(entry: string): string[] {
  const key = path.resolve(entry);
  let names = cache.get(key);
  if (!names) {
    names = compute(key);
    cache.set(key, names);
  }
  return names.slice();
}

/** The esbuild `mangleProps` RegExp for those names (`^(?:a|b)$`), or undefined when there are none. */
export function manglePropsPattern(entry: string): RegExp | undefined {
  const names = manglablePrivateNames(entry);
  if (names.length === 0) return undefined;
  return new RegExp(`^(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`);
}
