import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { start, type Running, type StartOptions } from '../../tools/start';
import { startSink, type Sink } from '../../tools/sink/index';
import { at, entry } from '../helpers/at';

/** The main job end to end: built firmware on simulated boards, streaming to the real sink. */
describe('main job: simulated boards streaming to the sink', function () {
  this.timeout(60000);
  let dir: string;
  let running: Running | null = null;
  const extra: Sink[] = [];
  const logs: string[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'main-job-'));
    logs.length = 0;
  });
  afterEach(async () => {
    if (running) await running.stop();
    running = null;
    for (const s of extra.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function until(check: () => boolean, what: string, ms = 20000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; log tail:\n${logs.slice(-15).join('\n')}`);
      await sleep(50);
    }
  }
  function options(overrides: Partial<StartOptions>): StartOptions {
    return { board: 'esp32', devices: 1, host: '127.0.0.1', port: 0, interval: 100, encoding: 'json', log: (l) => logs.push(l), ...overrides };
  }
  /** Accepted readings per device from the journal: each (boot, seq) once, in arrival order. */
  function journal(file: string): Map<string, number[]> {
    const seen = new Set<string>();
    const out = new Map<string, number[]>();
    for (const line of readFileSync(file, 'utf8').trim().split('\n')) {
      const m = JSON.parse(line).message;
      if (!m || m.type !== 'reading') continue;
      const key = `${m.device}/${m.boot}/${m.seq}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!out.has(m.device)) out.set(m.device, []);
      out.get(m.device)!.push(m.seq);
    }
    return out;
  }
  const contiguous = (seqs: number[]) => seqs.every((s, i) => s === i + 1);

  it('delivers every reading of two boards exactly once and in order, across a sink restart', async () => {
    const file = join(dir, 'readings.jsonl');
    running = await start(options({ devices: 2, file, app: { reconnectMinDelay: 300, reconnectMaxDelay: 2000 } }));
    const sink = running.sink;
    await until(() => Object.values(sink.stats().devices).filter((d) => d.received >= 20).length === 2, '20 readings per board');
    const port = sink.port;
    await sink.close();
    await sleep(2500); // the boards keep sampling into their buffers
    const sink2 = await startSink({ host: '127.0.0.1', port, file });
    extra.push(sink2);
    await until(() => {
      const devices = Object.values(sink2.stats().devices);
      return devices.length === 2 && devices.every((d) => d.connected && d.received >= 30);
    }, 'both boards back with their backlog');
    for (const board of running.boards) await board.shutdown();
    const stats = sink2.stats().devices;
    for (const id of ['sim-esp32-1', 'sim-esp32-2']) {
      expect(entry(stats, id, 'stats').missing, `${id} missing`).to.equal(0);
      expect(entry(stats, id, 'stats').dropped ?? 0, `${id} dropped`).to.equal(0);
    }
    const accepted = journal(file);
    expect([...accepted.keys()].sort()).to.deep.equal(['sim-esp32-1', 'sim-esp32-2']);
    for (const [id, seqs] of accepted) {
      expect(seqs.length, `${id} readings`).to.be.at.least(50);
      expect(contiguous(seqs), `${id} in order, none missing: ${seqs.join(',')}`).to.equal(true);
    }
    expect(logs.some((l) => /reconnecting/.test(l))).to.equal(true);
  });

  // Pending until the core fits the ESP8266: the simulated ESP8266 counts JsVars now, and today's
  // firmware runs out of memory while booting there (as on the real interpreter), so no reading arrives.
  it.skip("counts drops only when the board's buffer really overflowed (ESP8266, 64 readings)", async () => {
    const file = join(dir, 'readings.jsonl');
    running = await start(options({ board: 'esp8266', interval: 50, file, app: { reconnectMinDelay: 200, reconnectMaxDelay: 500, metricsInterval: 500 } }));
    const sink = running.sink;
    await until(() => (sink.stats().devices['sim-esp8266-1']?.received ?? 0) >= 10, 'first readings');
    const port = sink.port;
    await sink.close();
    await sleep(6000); // about 120 readings against a 64-reading buffer
    // The restarted sink reads the file, so it knows the last reading it had: the rest is missing or new.
    const sink2 = await startSink({ host: '127.0.0.1', port, file });
    extra.push(sink2);
    const stats = () => entry(sink2.stats().devices, 'sim-esp8266-1', 'devices');
    await until(() => {
      const device = sink2.stats().devices['sim-esp8266-1'];
      return device !== undefined && device.dropped > 0 && device.received > 60;
    }, 'the backlog and a metrics report');
    const dropped = stats().dropped;
    expect(dropped).to.be.within(30, 100);
    // Every reading the sink lacks was dropped by the board. The board may also count the few
    // the old sink received but could not acknowledge before it went down (more on a loaded
    // machine, where more are in flight).
    expect(stats().missing).to.be.within(dropped - 3, dropped);
    expect(stats().gaps).to.equal(1);
  });

  it('detects a half-open connection with the heartbeat after a WiFi drop, and catches up', async () => {
    running = await start(options({ app: { pingInterval: 500, pongTimeout: 500, reconnectMinDelay: 200, reconnectMaxDelay: 500 } }));
    const sink = running.sink;
    await until(() => (sink.stats().devices['sim-esp32-1']?.received ?? 0) >= 10, 'first readings');
    at(running.boards, 0, 'running.boards').wifi.drop();
    await until(() => logs.some((l) => /connection error: heartbeat/.test(l)), 'the heartbeat to notice', 5000);
    at(running.boards, 0, 'running.boards').wifi.restore();
    const seqNow = entry(sink.stats().devices, 'sim-esp32-1', 'devices').lastSeq;
    await until(() => entry(sink.stats().devices, 'sim-esp32-1', 'devices').lastSeq > seqNow + 20, 'readings after the reconnect');
    expect(entry(sink.stats().devices, 'sim-esp32-1', 'devices').missing).to.equal(0);
  });

  it('carries a set-interval command from the API to the board, which obeys it', async () => {
    running = await start(options({ interval: 1000 }));
    const sink = running.sink;
    await until(() => sink.stats().devices['sim-esp32-1']?.connected === true, 'the board');
    const response = await fetch(`${sink.url}/api/devices/sim-esp32-1/command`, {
      method: 'POST',
      body: JSON.stringify({ command: 'set-interval', interval: 100 }),
    });
    expect(response.status).to.equal(200);
    await until(() => logs.some((l) => /sample interval set to 100 ms/.test(l)), 'the board to take the new interval', 5000);
    const from = entry(sink.stats().devices, 'sim-esp32-1', 'devices').received;
    await sleep(2000);
    expect(entry(sink.stats().devices, 'sim-esp32-1', 'devices').received - from).to.be.within(12, 25);
  });

  it('shows a simulated board on the dashboard in a browser, and its disconnection', async function () {
    if (!existsSync('/usr/bin/chromium')) {
      console.log('    skipped: /usr/bin/chromium not found (install it with tools/install-browser.sh)');
      this.skip();
    }
    running = await start(options({ interval: 100 }));
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
      await page.goto(running.sink.url + '/');
      const card = 'section.card[data-device="sim-esp32-1"]';
      await page.waitForSelector(`${card} [data-state="connected"]`, { timeout: 10000 });
      const points = () => page.locator(card).getAttribute('data-points').then(Number);
      const first = await points();
      await sleep(1500);
      expect(await points()).to.be.greaterThan(first);
      const out = join(import.meta.dirname, '..', '..', 'test-artifacts');
      mkdirSync(out, { recursive: true });
      await page.screenshot({ path: join(out, 'main-job.png') });
      await at(running.boards, 0, 'running.boards').shutdown();
      await page.waitForSelector(`${card} [data-state="disconnected"]`, { timeout: 10000 });
    } finally {
      await browser.close();
    }
  });
});
