import { createRequire } from 'node:module';
import { expect } from 'chai';
import {
  createSubjects,
  formatSummary,
  formatWorkloadTable,
  hostCodecSection,
  runHostCodecBench,
  WORKLOADS,
  wsPaths,
  type HostCodecOptions,
} from '../../tools/bench/host-codec';
import { runBench, SECTIONS } from '../../tools/bench/index';
import { formatSize } from '../../tools/bench/report';

// A smoke test of the bench's plumbing: tiny rounds, no timing assertions.
const TINY: HostCodecOptions = { sizes: [16, 1024], warmupMs: 1, roundMs: 2, rounds: 1, allocWindows: 1, chunkSize: 16384 };

describe('bench: host codec', () => {
  it('ours and ws do the same work per message for every workload', () => {
    for (const workload of WORKLOADS) {
      for (const size of [16, 125, 70000 - 16]) {
        const { ours, ws } = createSubjects(workload, size);
        const oursDone = ours.run(40);
        const wsDone = ws.run(40);
        const perMessage = (output: number, done: number): number => output / done;
        expect(perMessage(ours.output(), oursDone), `${workload} ${size}`).to.equal(perMessage(ws.output(), wsDone));
        expect(ours.output(), `${workload} ${size}`).to.be.greaterThan(0);
      }
    }
  });

  it('measures every workload and size with finite figures', async function () {
    this.timeout(60000);
    const results = await runHostCodecBench(TINY);
    expect(results.map((m) => `${m.workload} ${m.size}`)).to.deep.equal(WORKLOADS.flatMap((workload) => TINY.sizes.map((size) => `${workload} ${size}`)));
    for (const m of results) {
      for (const value of [m.ratio, m.ours.messagesPerSecond, m.ws.messagesPerSecond, m.ours.megabytesPerSecond, m.ws.megabytesPerSecond]) {
        expect(value, `${m.workload} ${m.size}`).to.be.finite.and.greaterThan(0);
      }
      expect(m.ours.bytesPerMessage, `${m.workload} ${m.size} ours B/msg`).to.be.finite.and.at.least(0);
      expect(m.ws.bytesPerMessage, `${m.workload} ${m.size} ws B/msg`).to.be.finite.and.at.least(0);
    }
    const lines = [
      ...WORKLOADS.flatMap((w) =>
        formatWorkloadTable(
          w,
          results.filter((m) => m.workload === w),
        ),
      ),
      ...formatSummary(results),
    ];
    for (const m of results) {
      const summary = new RegExp(`^${m.workload} ${formatSize(m.size)}: ours [\\d.]+ MB/s, ws [\\d.]+ MB/s, ratio \\d+\\.\\d\\d$`);
      expect(
        lines.some((line) => summary.test(line)),
        `summary line for ${m.workload} ${m.size}`,
      ).to.equal(true);
    }
    for (const workload of WORKLOADS) expect(lines).to.include(`${workload}:`);
  });

  it('reports what ws really runs: its pure-JS path, even though other tests loaded ws with its add-ons first', () => {
    // The interop tests and helpers import ws at load time, before any bench runs.
    expect(Object.keys(createRequire(import.meta.url).cache).some((key) => /[\\/]node_modules[\\/]ws[\\/]index\.js$/.test(key))).to.equal(true);
    const paths = wsPaths();
    expect(paths.masking).to.equal('JavaScript');
    expect(paths.validation).to.not.equal('native (utf-8-validate)');
  });

  it('is the `host` section of npm run bench, which refuses unknown sections', async () => {
    expect(SECTIONS).to.include(hostCodecSection);
    expect(hostCodecSection.name).to.equal('host');
    let error: Error | null = null;
    await runBench(['--quick', 'no-such-section'], () => {}).catch((e: Error) => {
      error = e;
    });
    expect(String(error)).to.match(/unknown section no-such-section; known: host/);
  });
});
