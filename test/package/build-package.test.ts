/** tools/build-package.ts: the relative imports of lib/ get the file names Node's ES module loader needs. */
import path from 'node:path';
import { expect } from 'chai';
import { withExtensions } from '../../tools/build-package.ts';

const root = path.join(import.meta.dirname, '..', '..');

describe('tools/build-package: relative specifiers in the emitted files', () => {
  const source = path.join(root, 'firmware', 'websocket.ts');

  it('adds .js to a file, /index.js to a folder, in imports, re-exports and import() types', () => {
    const text = [
      "import { ClientProtocol } from '../protocol/index';",
      'export { backoffDelay } from "./backoff";',
      "import type { Hal } from '../hal/types';",
      "export declare const x: import('../hal/node').Hal;",
    ].join('\n');
    expect(withExtensions(text, source).split('\n')).to.deep.equal([
      "import { ClientProtocol } from '../protocol/index.js';",
      'export { backoffDelay } from "./backoff.js";',
      "import type { Hal } from '../hal/types.js';",
      "export declare const x: import('../hal/node/index.js').Hal;",
    ]);
  });

  it('leaves packages, node: built-ins and specifiers that already name a .js file alone', () => {
    const text = "import net from 'node:net';\nimport { x } from 'ws';\nimport { y } from './backoff.js';";
    expect(withExtensions(text, source)).to.equal(text);
  });

  it('fails, naming the file and the specifier, when no source matches', () => {
    expect(() => withExtensions("import { z } from './nosuch';", source)).to.throw(
      'firmware/websocket.ts: import "./nosuch" matches no .ts file nor ./nosuch/index.ts',
    );
  });
});
