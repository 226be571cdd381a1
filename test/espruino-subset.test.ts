import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildChecked } from '../tools/espruino-bundle';

/** The code that runs on the board must bundle into what Espruino can run. */
describe('Espruino subset', function () {
  this.timeout(30000);
  const out = mkdtempSync(join(tmpdir(), 'subset-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  for (const entry of ['protocol/index.ts', 'firmware/websocket.ts']) {
    it(`${entry} bundles with no construct Espruino lacks`, async () => {
      const bundle = await buildChecked({ entry, outfile: join(out, entry.replace(/\W/g, '_') + '.js'), format: 'module', minify: true });
      expect(bundle.bytes).to.be.greaterThan(1000);
    });
  }
});
