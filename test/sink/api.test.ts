import { expect } from 'chai';
import { startSink, type Sink } from '../../tools/sink/index';
import { eventually, FakeDevice } from './fake-device';

/** The HTTP side of the sink: JSON API, commands and the dashboard page. */
describe('sink HTTP API', () => {
  let sink: Sink;
  let device: FakeDevice;

  async function call(path: string, init?: RequestInit): Promise<{ status: number; body: any }> {
    const res = await fetch(sink.url + path, init);
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : text };
  }

  function post(id: string, body: string): Promise<{ status: number; body: any }> {
    return call(`/api/devices/${encodeURIComponent(id)}/command`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  }

  beforeEach(async () => {
    sink = await startSink({ port: 0 });
    device = await FakeDevice.connect(sink.wsUrl, { device: 'esp 1/a', boot: 77, sensors: ['analog', 'temperature'] });
    for (const seq of [1, 2, 3, 6, 6]) await device.send(seq);
    device.metrics({ rssi: -70, freeVars: 800, reconnects: 1, dropped: 2, rtt: 55, uptime: 1000, buffered: 0 });
    await eventually(() => sink.devices().some((d) => d.metrics !== null), 2000, 'metrics');
  });

  afterEach(async () => {
    await sink.close();
    await device.close();
  });

  it('GET /api/stats returns the per-device counters', async () => {
    const { status, body } = await call('/api/stats');
    expect(status).to.equal(200);
    expect(body.devices).to.deep.equal({
      'esp 1/a': { received: 4, gaps: 1, missing: 2, duplicates: 1, lastSeq: 6, connected: true, boot: 77, connects: 1, dropped: 2, rtt: 55, malformed: 0 },
    });
    expect(body).to.deep.equal(sink.stats());
  });

  it('GET /api/devices and /api/devices/<id> return full states', async () => {
    const all = await call('/api/devices');
    expect(all.body).to.have.length(1);
    expect(all.body[0]).to.include({ device: 'esp 1/a', board: 'esp32', interval: 1000, encoding: 'json' });
    expect(all.body[0].metrics).to.include({ rssi: -70, freeVars: 800 });
    const one = await call(`/api/devices/${encodeURIComponent('esp 1/a')}`);
    expect(one.body).to.deep.equal(all.body[0]);
    expect((await call('/api/devices/nobody')).status).to.equal(404);
  });

  it('GET /api/devices/<id>/readings returns readings of the current boot after `since`', async () => {
    const path = `/api/devices/${encodeURIComponent('esp 1/a')}/readings`;
    const all = await call(path);
    expect(all.status).to.equal(200);
    expect(all.body).to.include({ device: 'esp 1/a', boot: 77, lastSeq: 6 });
    expect(all.body.sensors).to.deep.equal(['analog', 'temperature']);
    expect(all.body.readings.map((r: { seq: number }) => r.seq)).to.deep.equal([1, 2, 3, 6]);
    expect(all.body.readings[0]).to.include({ seq: 1, boot: 77, time: 1000 });
    expect(all.body.readings[0].values).to.deep.equal({ analog: 1, temperature: 1.1 });
    expect(all.body.readings[0].at).to.be.a('number');

    const since = await call(`${path}?since=2`);
    expect(since.body.readings.map((r: { seq: number }) => r.seq)).to.deep.equal([3, 6]);
    expect((await call(`${path}?since=6`)).body.readings).to.deep.equal([]);
    expect((await call(`${path}?since=x`)).status).to.equal(400);
    expect((await call('/api/devices/nobody/readings')).status).to.equal(404);
  });

  it('keeps only the last `keep` readings per device', async () => {
    const small = await startSink({ port: 0, keep: 3 });
    const d = await FakeDevice.connect(small.wsUrl, { device: 'k' });
    for (let seq = 1; seq <= 5; seq++) await d.send(seq);
    const res = await fetch(`${small.url}/api/devices/k/readings`);
    const body = (await res.json()) as { readings: Array<{ seq: number }> };
    await small.close();
    expect(body.readings.map((r) => r.seq)).to.deep.equal([3, 4, 5]);
  });

  it('POST /api/devices/<id>/command sends the command with an id to the device', async () => {
    const res = await post('esp 1/a', JSON.stringify({ command: 'set-interval', interval: 500 }));
    expect(res.status).to.equal(200);
    expect(res.body.id).to.be.a('string');
    const command = await device.next('command');
    expect(command).to.deep.equal({ type: 'command', id: res.body.id, command: 'set-interval', interval: 500 });

    const metrics = await post('esp 1/a', '{"command":"report-metrics"}');
    expect(metrics.status).to.equal(200);
    expect(await device.next('command', 1)).to.deep.equal({ type: 'command', id: metrics.body.id, command: 'report-metrics' });
    expect(metrics.body.id).not.to.equal(res.body.id);
  });

  it('answers 404 for an unknown device, 400 for bad JSON or commands, 409 when not connected', async () => {
    expect(await post('nobody', '{"command":"report-metrics"}')).to.deep.equal({ status: 404, body: { error: 'unknown device' } });
    expect(await post('esp 1/a', '{oops')).to.deep.equal({ status: 400, body: { error: 'bad JSON' } });
    const unknown = await post('esp 1/a', '{"command":"reboot"}');
    expect(unknown.status).to.equal(400);
    expect(unknown.body.error).to.match(/unknown command/);
    expect((await post('esp 1/a', '{"command":"set-interval","interval":-5}')).status).to.equal(400);
    expect((await post('esp 1/a', '{"command":"set-interval"}')).status).to.equal(400);
    expect(device.count('command')).to.equal(0);

    await device.close();
    await eventually(() => sink.stats().devices['esp 1/a']?.connected === false, 2000, 'disconnect');
    expect(await post('esp 1/a', '{"command":"report-metrics"}')).to.deep.equal({ status: 409, body: { error: 'device not connected' } });
  });

  it('rejects oversized bodies, wrong methods and unknown paths', async () => {
    expect((await post('esp 1/a', JSON.stringify({ command: 'report-metrics', pad: 'x'.repeat(20000) }))).status).to.equal(413);
    expect((await call(`/api/devices/${encodeURIComponent('esp 1/a')}/command`)).status).to.equal(405);
    expect((await call('/api/stats', { method: 'POST' })).status).to.equal(405);
    expect((await call('/nope')).status).to.equal(404);
    expect((await call('/api/devices/%E0%A4%A/readings')).status).to.equal(400);
  });

  it('GET / serves the self-contained dashboard', async () => {
    const res = await fetch(sink.url + '/');
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('text/html; charset=utf-8');
    const html = await res.text();
    expect(html).to.match(/^<!doctype html>/i);
    expect(html).to.include('<script src="/vendor/uPlot.iife.min.js"></script>');
    expect(html).to.include("new EventSource('/api/events')");
    // No CDN or other outside asset: the sink often runs without internet.
    expect(html).not.to.match(/<(script|link|img)[^>]+(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.to.match(/@import|url\(\s*["']?https?:/i);
  });

  it('serves uPlot from node_modules, the same bytes npm installed', async () => {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const dist = dirname(createRequire(import.meta.url).resolve('uplot'));
    for (const [path, file, type] of [
      ['/vendor/uPlot.iife.min.js', 'uPlot.iife.min.js', 'text/javascript'],
      ['/vendor/uPlot.min.css', 'uPlot.min.css', 'text/css'],
    ] as const) {
      const res = await fetch(sink.url + path);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(new RegExp(`^${type}`));
      expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(join(dist, file)))).to.equal(true);
    }
  });

  it('GET /api/events pushes a snapshot, then each new reading and state change', async () => {
    const controller = new AbortController();
    const res = await fetch(sink.url + '/api/events', { signal: controller.signal });
    expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
    const reader = res.body!.getReader();
    let text = '';
    const events: any[] = [];
    const next = async (): Promise<any> => {
      for (;;) {
        const end = text.indexOf('\n\n');
        if (end >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (data !== undefined && /^event: device$/m.test(block)) return JSON.parse(data);
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        text += Buffer.from(value).toString('utf8');
      }
    };
    const snapshot = await next();
    expect(snapshot).to.deep.include({ snapshot: true });
    expect(snapshot.state).to.include({ device: 'esp 1/a', lastSeq: 6 });
    expect(snapshot.readings.map((r: { seq: number }) => r.seq)).to.deep.equal([1, 2, 3, 6]);

    device.reading(7, [0.5, 21]);
    device.reading(8, [0.25, 22]);
    let readings: any[] = [];
    while (readings.length < 2) {
      const event = await next();
      events.push(event);
      expect(event.snapshot).to.equal(false);
      readings = readings.concat(event.readings);
    }
    expect(readings.map((r) => [r.seq, r.values.temperature])).to.deep.equal([
      [7, 21],
      [8, 22],
    ]);
    expect(events[events.length - 1].state.lastSeq).to.equal(8);

    await device.close();
    let state = (await next()).state;
    while (state.connected) state = (await next()).state;
    expect(state.connected).to.equal(false);
    controller.abort();
  });
});
