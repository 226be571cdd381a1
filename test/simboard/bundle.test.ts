import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { bundleForEspruino } from '../../tools/espruino-bundle.ts';
import { createSimBoard, type SimBoard } from '../../tools/simboard/index.ts';

const ENTRY = 'test/simboard/fixtures/sensor-app.ts';

describe('simboard: an esbuild bundle runs on the board', () => {
  let out: string;
  let board: SimBoard | undefined;
  before(async () => {
    out = await mkdtemp(path.join(os.tmpdir(), 'simboard-bundle-'));
  });
  after(async () => {
    await rm(out, { recursive: true, force: true });
  });
  afterEach(async () => {
    await board?.shutdown();
    board = undefined;
  });

  it('runs the minified iife: reads the ADC and sends a binary frame to a loopback server', async () => {
    const bundle = await bundleForEspruino({ entry: ENTRY, outfile: path.join(out, 'app.js'), format: 'iife', globalName: 'app', minify: true });
    const chunks: Buffer[] = [];
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const server = net.createServer((socket) => {
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.on('end', () => ended());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      board = createSimBoard({ board: 'esp32' });
      board.run(bundle.code, 'app.js');
      board.run(`app.start(${(server.address() as net.AddressInfo).port})`);
      await done;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const frame = Buffer.concat(chunks);
    expect(frame).to.have.length(3);
    expect(frame[0]).to.equal(0xa5);
    expect(((frame[1]! << 8) | frame[2]!) / 4096).to.be.within(0, 1);
    expect(board.output).to.deep.equal(['started ✓ 2,4,6']);
    expect(board.uncaught).to.deep.equal([]);
  });

  it('loads the module format through Modules.addCached, as the CLI uploads modules', async () => {
    const bundle = await bundleForEspruino({ entry: ENTRY, outfile: path.join(out, 'sensor.js'), format: 'module', minify: true });
    board = createSimBoard({ board: 'esp8266' });
    board.addModule('sensor', bundle.code);
    expect(board.evaluate('require("sensor").frame(0.5).slice()')).to.deep.equal([0xa5, 8, 0]);
  });
});
