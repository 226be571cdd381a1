/**
 * Pins the public API (test/package/public-api.ts): the names each entry point exports, at run
 * time and with its types, and the public members of the WebSocket class. An accidental API
 * change (a renamed export, a member made private, a type no longer exported) fails here.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import ts from 'typescript';
import { BOARD_ENTRIES, NPM_ENTRIES, WEBSOCKET_MEMBERS } from './public-api.ts';

const root = path.join(import.meta.dirname, '..', '..');

/** A program over every entry point, with the project's compiler options. */
function program(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('cannot read tsconfig.json');
  // The project's ambient declarations (the board's globals) come along; the entries are the roots.
  const ambient = config.fileNames.filter((f) => f.endsWith('.d.ts'));
  const entries = [...NPM_ENTRIES, ...BOARD_ENTRIES].map((e) => path.join(root, e.source));
  return ts.createProgram([...entries, ...ambient], { ...config.options, noEmit: true });
}

/** The public (not private or protected) member names of a class, sorted. */
function publicNames(symbols: ts.Symbol[]): string[] {
  return symbols
    .filter((s) => s.name !== 'prototype')
    .filter((s) => !(s.declarations ?? []).some((d) => ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)))
    .map((s) => s.name)
    .sort();
}

describe('public API: the exports of each entry point', function () {
  this.timeout(60_000);
  let checker: ts.TypeChecker;
  let files: ts.Program;

  before(() => {
    files = program();
    checker = files.getTypeChecker();
  });

  function exportsOf(source: string): ts.Symbol[] {
    const file = files.getSourceFile(path.join(root, source));
    if (!file) throw new Error(`${source} is not in the program`);
    const symbol = checker.getSymbolAtLocation(file);
    return symbol ? checker.getExportsOfModule(symbol) : [];
  }

  for (const entry of [...NPM_ENTRIES, ...BOARD_ENTRIES]) {
    it(`${entry.name} (${entry.source}) exports exactly the pinned names, types included`, () => {
      expect(
        exportsOf(entry.source)
          .map((s) => s.name)
          .sort(),
      ).to.deep.equal(entry.all);
    });
  }

  for (const entry of NPM_ENTRIES) {
    it(`${entry.name} has exactly the pinned names at run time`, async () => {
      const module = (await import(pathToFileURL(path.join(root, entry.source)).href)) as Record<string, unknown>;
      expect(Object.keys(module).sort()).to.deep.equal(entry.values);
    });
  }

  it('the WebSocket class has exactly the pinned public members (instance and static)', () => {
    const symbol = exportsOf('node/index.ts').find((s) => s.name === 'WebSocket');
    if (!symbol) throw new Error('node/index.ts exports no WebSocket');
    const cls = checker.getAliasedSymbol(symbol);
    const instance = checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(cls));
    const statics = checker.getPropertiesOfType(checker.getTypeOfSymbol(cls));
    expect({ instance: publicNames(instance), static: publicNames(statics) }).to.deep.equal(WEBSOCKET_MEMBERS);
  });

  it('the Node entry gives WebSocket a default HAL, so new WebSocket(url) needs no options', async () => {
    const { WebSocket } = (await import(pathToFileURL(path.join(root, 'node/index.ts')).href)) as typeof import('../../node/index.ts');
    expect(WebSocket.defaultHal).to.be.an('object');
    expect(WebSocket.defaultHal!.tcp.supportsTls).to.equal(true);
  });
});
