import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSink, type Sink } from '../../tools/sink/index';
import { FakeDevice } from './fake-device';
import { at } from '../helpers/at';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps trying to reach Google services.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = join(import.meta.dirname, '..', '..', 'test-artifacts', 'dashboard.png');

/** The bit of a canvas element the pixel check needs (the project compiles without the DOM lib). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** Polls `check` every 50 ms for up to 5 s. */
async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A simulated board streaming wavy readings every `every` ms until stopped. */
function stream(device: FakeDevice, every: number, skipAt = -1): { stop(): void; seq(): number } {
  let seq = 0;
  const timer = setInterval(() => {
    if (device.closed) return;
    seq += seq + 1 === skipAt ? 4 : 1; // one gap, so "missing" shows up
    const t = seq / 8;
    const waves = [Math.sin(t) * 0.4 + 0.5, 127 + Math.cos(t / 2) * 1.5, 45 + Math.sin(t / 3) * 5];
    const values = device.sensors.map((_, i) => at(waves, i % waves.length, 'waves'));
    device.reading(seq, values, seq * every);
  }, every);
  return { stop: () => clearInterval(timer), seq: () => seq };
}

/** Drives the dashboard in headless Chromium while `ws` clients act as devices. */
describe('sink dashboard (browser)', function () {
  this.timeout(30000);
  let sink: Sink | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let kitchen: FakeDevice;
  let garage: FakeDevice;
  const streams: Array<{ stop(): void }> = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: ${CHROMIUM} not found (install it with tools/install-browser.sh)`);
      this.skip();
    }
    sink = await startSink({ port: 0 });
    kitchen = await FakeDevice.connect(sink.wsUrl, { device: 'esp32-kitchen', boot: 0x5eed0001, sensors: ['analog', 'temperature'], interval: 60 });
    garage = await FakeDevice.connect(sink.wsUrl, {
      device: 'esp8266-garage',
      board: 'esp8266',
      boot: 0x0badf00d,
      encoding: 'binary',
      sensors: ['analog', 'temperature', 'humidity'],
      interval: 80,
    });
    kitchen.metrics({ rssi: -58, freeVars: 2100, reconnects: 0, dropped: 0, rtt: 38, uptime: 120000, buffered: 0 });
    garage.metrics({ rssi: -77, freeVars: 640, reconnects: 3, dropped: 5, rtt: 112, uptime: 3600000, buffered: 4 });
    streams.push(stream(kitchen, 60), stream(garage, 80, 20));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    await page.goto(sink.url + '/');
  });

  after(async () => {
    for (const s of streams) s.stop();
    await browser?.close();
    await sink?.close();
  });

  const card = (id: string): string => `section.card[data-device="${id}"]`;

  it('shows one card per device, side by side, connected, with a chart per sensor', async () => {
    await page.waitForSelector(`${card('esp32-kitchen')} [data-state="connected"]`, { timeout: 5000 });
    await page.waitForSelector(`${card('esp8266-garage')} [data-state="connected"]`, { timeout: 5000 });
    expect(await page.locator('section.card').count()).to.equal(2);
    expect(await page.locator(`${card('esp32-kitchen')} .chart`).count()).to.equal(2);
    expect(await page.locator(`${card('esp8266-garage')} .chart`).count()).to.equal(3);
    // Several devices fit: at 1280 px the two cards share a row.
    const a = (await page.locator(card('esp32-kitchen')).boundingBox())!;
    const b = (await page.locator(card('esp8266-garage')).boundingBox())!;
    expect(b.y).to.equal(a.y);
    expect(b.x).to.be.above(a.x + a.width);
  });

  it('charts have a time axis and value axes with units, and real lines drawn', async () => {
    const ticks = async (id: string, sensor: string) =>
      page.evaluate(`window.sinkDashboard.ticks(${JSON.stringify(id)}, ${JSON.stringify(sensor)})`) as Promise<{ x: string[]; y: string[] }>;
    await waitFor(async () => (await ticks('esp32-kitchen', 'temperature'))?.x.length > 1, 'axis ticks');
    const temperature = await ticks('esp32-kitchen', 'temperature');
    expect(
      temperature.x.every((t) => /^\d\d:\d\d:\d\d$/.test(t)),
      temperature.x.join(' '),
    ).to.equal(true);
    expect(new Set(temperature.x).size, `labels repeat: ${temperature.x.join(' ')}`).to.equal(temperature.x.length);
    expect(temperature.y.length).to.be.at.least(2);
    expect(
      temperature.y.every((t) => / °F$/.test(t)),
      temperature.y.join(' '),
    ).to.equal(true);
    const analog = await ticks('esp32-kitchen', 'analog');
    const analogValues = analog.y.map(Number);
    expect(Math.min(...analogValues)).to.equal(0);
    expect(Math.max(...analogValues)).to.equal(1);
    const humidity = await ticks('esp8266-garage', 'humidity');
    expect(
      humidity.y.every((t) => / %$/.test(t)),
      humidity.y.join(' '),
    ).to.equal(true);

    // Coloured line pixels, not just the grey grid: the readings are really drawn.
    const canvas = page.locator(`${card('esp32-kitchen')} .chart[data-sensor="temperature"] canvas`);
    const drawn = await canvas.evaluate((el) => {
      const c = el as unknown as CanvasLike;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        // Runs in the page, so no test helpers (nor named inner functions, which the test
        // transform wraps in a helper the page lacks): RGBA data has 4 bytes a pixel.
        const [r, g, b, alpha] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
        if (r === undefined || g === undefined || b === undefined || alpha === undefined) {
          throw new Error(`image data: the pixel at byte ${i} is cut short (${data.length} bytes)`);
        }
        if (alpha > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 80) coloured++;
      }
      return coloured;
    });
    expect(drawn).to.be.above(200);
  });

  it('updates live by push: more points and a later time axis, with no polling requests', async () => {
    const requests: string[] = [];
    const onRequest = (request: { url(): string }) => requests.push(new URL(request.url()).pathname);
    page.on('request', onRequest);
    const points = () => page.evaluate("window.sinkDashboard.points('esp32-kitchen')") as Promise<number>;
    const xMax = async () => ((await page.evaluate("window.sinkDashboard.xRange('esp32-kitchen', 'temperature')")) as [number, number])[1];
    const first = await points();
    const firstMax = await xMax();
    await waitFor(async () => (await points()) > first + 5, 'more points on the chart');
    await waitFor(async () => (await xMax()) > firstMax, 'the time axis moving on');
    page.off('request', onRequest);
    expect(requests, requests.join(' ')).to.deep.equal([]);
  });

  it('shows the figures of each device: rtt, reconnects, dropped, missing, last seq', async () => {
    const garageCard = page.locator(card('esp8266-garage'));
    await waitFor(async () => /gap/.test((await garageCard.locator('[data-field="missing"]').textContent()) ?? ''), 'the gap on the garage card');
    expect(await garageCard.locator('[data-field="rtt"]').textContent()).to.equal('112 ms');
    expect(await garageCard.locator('[data-field="reconnects"]').textContent()).to.equal('3');
    expect(await garageCard.locator('[data-field="dropped"]').textContent()).to.equal('5');
    expect(await garageCard.locator('[data-field="missing"]').textContent()).to.equal('3 in 1 gap');
    expect(Number(await garageCard.locator('[data-field="lastSeq"]').textContent())).to.be.above(20);
  });

  it('the interval form sends set-interval to the device and shows its ack', async () => {
    const form = page.locator(`${card('esp32-kitchen')} form`);
    await form.locator('input[name="interval"]').fill('250');
    const before = kitchen.count('command');
    await form.locator('button[type="submit"]').click();
    const command = await kitchen.next('command', before, 5000);
    expect(command).to.include({ command: 'set-interval', interval: 250 });
    kitchen.json({ type: 'ack', id: command.id });
    await page.waitForSelector(`${card('esp32-kitchen')} output[data-result="acked"]`, { timeout: 5000 });
    expect(await form.locator('output').textContent()).to.include('interval 250 ms');
  });

  it('turns a card to disconnected when its device closes, and saves a screenshot', async () => {
    await garage.close();
    await page.waitForSelector(`${card('esp8266-garage')} [data-state="disconnected"]`, { timeout: 5000 });
    expect(await page.locator(`${card('esp8266-garage')} .state`).textContent()).to.equal('disconnected');
    expect(await page.locator(`${card('esp32-kitchen')} .state`).getAttribute('data-state')).to.equal('connected');
    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).to.equal(true);
  });
});

/** A sink with tokens: the browser logs in once with /?token=, then the page and its event stream work on the cookie. */
describe('sink dashboard with an admin token (browser)', function () {
  this.timeout(20000);
  let sink: Sink | undefined;
  let browser: Browser | undefined;
  let device: FakeDevice | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`    skipped: ${CHROMIUM} not found (install it with tools/install-browser.sh)`);
      this.skip();
    }
  });
  after(async () => {
    await browser?.close();
    await device?.close();
    await sink?.close();
  });

  it('refuses the page without the token, and shows live readings after /?token=<admin>', async () => {
    const tokens = { admin: 'admin-token-browser-test-01', devices: { 'esp32-locked': 'device-token-browser-test-01' } };
    sink = await startSink({ port: 0, tokens });
    device = await FakeDevice.connect(sink.wsUrl, { device: 'esp32-locked', token: tokens.devices['esp32-locked'] });
    await device.send(1);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage();
    expect((await page.goto(sink.url + '/'))!.status()).to.equal(401);
    await page.goto(`${sink.url}/?token=${tokens.admin}`);
    expect(new URL(page.url()).search).to.equal(''); // the token left the address bar
    await page.waitForSelector('section.card[data-device="esp32-locked"] [data-state="connected"]', { timeout: 5000 });
    await device.send(2);
    await waitFor(async () => (await page.evaluate("window.sinkDashboard.points('esp32-locked')")) === 2, 'the pushed reading');
  });
});
