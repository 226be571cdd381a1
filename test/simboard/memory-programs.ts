/**
 * The whole programs of the memory calibration (fixtures/memory-calibration.ts MEASURED_PROGRAMS),
 * run the same way on the simulated board and on a real interpreter: the wsclient module
 * required from Storage (alone, then with a connection open) and the firmware booted from
 * Storage (idle with its server refusing, then streaming to the sink).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { WebSocketServer } from 'ws';
import { createSimBoard, type BoardName } from '../../tools/simboard/index.ts';
import { startSink, type Sink } from '../../tools/sink/index.ts';
import { firmwarePrelude, measureFirmware, measureModule, moduleScript, REQUIRE_SCRIPT, runForResult, scratch, USAGE_PROBE } from './interpreter-memory.ts';
import { sleep, until } from './helpers.ts';

export type ProgramCase = 'require' | 'open' | 'idle' | 'streaming' | 'ram';
export const PROGRAM_CASES: ProgramCase[] = ['require', 'open', 'idle', 'streaming', 'ram'];
export type Usage = number | 'OUT OF MEMORY';

/** The bundle that was measured (fixtures/measured/<board>-<bundle>.js.gz). */
export function recordedBundle(board: BoardName, bundle: 'firmware' | 'wsclient'): string {
  return gunzipSync(readFileSync(path.join(import.meta.dirname, 'fixtures', 'measured', `${board}-${bundle}.js.gz`))).toString('utf8');
}

/** The code a case runs: the module for require/open, the firmware for idle/streaming. */
export function caseBundle(board: BoardName, kind: ProgramCase): string {
  return recordedBundle(board, kind === 'require' || kind === 'open' ? 'wsclient' : 'firmware');
}

/** The firmware uploaded to RAM (run as a file, as the Web IDE sends it), read after 8 s. */
function ramScript(url: string, code: string): string {
  return `${firmwarePrelude(url, DEVICE)}${code}\nsetTimeout(function(){${USAGE_PROBE};},8000);\n`;
}

/** A loopback port nobody listens on: the firmware keeps retrying, as with its server down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What a case talks to: its URL, whether it is ready to be read, and how to stop it. */
interface Peer {
  url: string | undefined;
  ready: (output: string) => boolean;
  close: () => Promise<void>;
}

const DEVICE = 'memory';

async function peerFor(kind: ProgramCase): Promise<Peer> {
  if (kind === 'require') return { url: undefined, ready: () => true, close: async () => {} };
  if (kind === 'open') {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.on('listening', resolve));
    const { port } = server.address() as net.AddressInfo;
    return { url: `ws://127.0.0.1:${port}/`, ready: () => true, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }
  if (kind === 'idle' || kind === 'ram') {
    const url = `ws://127.0.0.1:${await closedPort()}/ws`;
    return { url, ready: (output) => /reconnecting/.test(output), close: async () => {} };
  }
  const sink: Sink = await startSink({ host: '127.0.0.1', port: 0, log: () => {} });
  return { url: sink.wsUrl, ready: () => (sink.stats().devices[DEVICE]?.received ?? 0) >= 3, close: () => sink.close() };
}

/** The case on the simulated board (its memory limit on): vars in use when ready, or 'OUT OF MEMORY'. */
export async function simulate(board: BoardName, kind: ProgramCase, code = caseBundle(board, kind)): Promise<Usage> {
  const peer = await peerFor(kind);
  const sim = createSimBoard({ board });
  try {
    const oom = (): boolean => sim.memory().outOfMemory > 0;
    if (kind === 'require' || kind === 'open') {
      sim.evaluate(`require("Storage").write("wsclient", ${JSON.stringify(code)})`);
      sim.run(peer.url === undefined ? REQUIRE_SCRIPT : moduleScript(peer.url));
      await until('the RESULT line or running out of memory', () => oom() || sim.output.some((l) => l.startsWith('RESULT ')), 20_000, sim);
      if (oom()) return 'OUT OF MEMORY';
      return Number(sim.output.find((l) => l.startsWith('RESULT '))!.slice(7));
    }
    if (kind === 'ram') {
      sim.run(ramScript(peer.url!, code));
      if (oom()) return 'OUT OF MEMORY';
      await until('the RESULT line or running out of memory', () => oom() || sim.output.some((l) => l.startsWith('RESULT ')), 20_000, sim);
      return oom() ? 'OUT OF MEMORY' : Number(sim.output.find((l) => l.startsWith('RESULT '))!.slice(7));
    }
    sim.boot(firmwarePrelude(peer.url!, DEVICE) + code);
    if (oom()) return 'OUT OF MEMORY';
    await until(`the firmware ${kind}`, () => oom() || peer.ready(sim.output.join('\n')), 30_000, sim);
    await sleep(1000); // as the interpreter is read one console poll after it is ready
    return oom() ? 'OUT OF MEMORY' : sim.memory().usage;
  } finally {
    await sim.shutdown();
    await peer.close();
  }
}

/** The case on the real interpreter `bin`. */
export async function measure(bin: string, board: BoardName, kind: ProgramCase, code = caseBundle(board, kind)): Promise<Usage> {
  const peer = await peerFor(kind);
  try {
    if (kind === 'require' || kind === 'open') return await measureModule(bin, code, peer.url);
    if (kind === 'ram') {
      const { dir, remove } = scratch();
      try {
        return Number(await runForResult(bin, dir, ramScript(peer.url!, code)));
      } catch (error) {
        if (/OUT OF MEMORY/.test((error as Error).message)) return 'OUT OF MEMORY';
        throw error;
      } finally {
        remove();
      }
    }
    return await measureFirmware(bin, firmwarePrelude(peer.url!, DEVICE) + code, peer.ready);
  } finally {
    await peer.close();
  }
}

/** Whether `modelled` agrees with `measured` within `tolerance` (both out of memory, or numbers close enough). */
export function agrees(modelled: Usage, measured: Usage, tolerance: number): boolean {
  if (measured === 'OUT OF MEMORY' || modelled === 'OUT OF MEMORY') return modelled === measured;
  return Math.abs(modelled - measured) / measured <= tolerance;
}
