/**
 * Run as a child process by sink.test.ts: uses every part of a sink, closes it, and must then
 * exit by itself. A handle left open (socket, server, timer, file) keeps it alive and fails the test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSink } from '../../tools/sink/index';
import { FakeDevice } from './fake-device';

const dir = mkdtempSync(join(tmpdir(), 'sink-exit-'));
const sink = await startSink({ port: 0, heartbeat: 1000, file: join(dir, 'log.jsonl') });
const device = await FakeDevice.connect(sink.wsUrl, { device: 'esp-exit' });
await device.send(1);
const stats = await fetch(`${sink.url}/api/stats`);
await stats.json();
await fetch(`${sink.url}/`).then((res) => res.text());
// A dashboard's event stream stays open: close() must end it.
const events = await fetch(`${sink.url}/api/events`);
await events.body!.getReader().read();
await sink.close();
rmSync(dir, { recursive: true, force: true });
console.log(`closed ${Date.now()}`);
