import { expect } from 'chai';
import { hostIndexAccessErrors, isBoardFile } from '../../tools/check-index-access.ts';

describe('tools/check-index-access', () => {
  it('exempts board code and the tests that run only there, and holds everything else to the rule', () => {
    const board = [
      'protocol/frame-writer.ts',
      'firmware/app/config.ts',
      'hal/espruino/tcp.ts',
      'tools/board-scripts/wifi-save.ts',
      'test/protocol/frame-writer.test.ts',
      'test/firmware/app.test.ts',
      'test/espruino/conformance.test.ts',
      'test/hal/espruino-tcp.test.ts',
    ];
    const host = [
      'tools/flash.ts',
      'tools/check-index-access.ts',
      'hal/node/index.ts',
      'hal/types.ts',
      'hal/sim/network.ts',
      'test/hal/node.test.ts',
      'test/helpers/scripted-ws-server.ts',
      'node/index.ts',
      'protocolx/a.ts',
      'tools/protocol/a.ts',
    ];
    for (const file of board) expect(isBoardFile(file), file).to.equal(true);
    for (const file of host) expect(isBoardFile(file), file).to.equal(false);
  });

  it('finds no unchecked index access in host code (the whole program is type-checked: slow)', function () {
    this.timeout(180000);
    expect(hostIndexAccessErrors()).to.deep.equal([]);
  });
});
