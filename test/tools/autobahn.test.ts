import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { exitCodeFor, incompleteReason, parseAutobahnArgs, runAutobahn } from '../../tools/autobahn';
import { at } from '../helpers/at';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/**
 * A stand-in for the Autobahn fuzzing server that speaks its driver protocol: three cases, each
 * sending a text and a binary message and closing once both are echoed. `refuse` cases fail the
 * handshake (HTTP 400), `hang` cases never close.
 */
async function fuzzingServer(behaviour: { refuse?: string[]; hang?: string[] } = {}): Promise<{
  url: string;
  seen: string[];
  echoes: { [caseNo: string]: unknown[] };
  close(): void;
}> {
  const http: Server = createServer();
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: false,
    verifyClient: (info: { req: { url?: string | undefined } }) =>
      !(behaviour.refuse || []).includes(new URL(info.req.url!, 'http://x').searchParams.get('case') || ''),
  });
  const seen: string[] = [];
  const echoes: { [caseNo: string]: unknown[] } = {};
  wss.on('connection', (socket, req) => {
    const url = new URL(req.url!, 'http://x');
    seen.push(url.pathname + url.search);
    if (url.pathname === '/getCaseCount') {
      socket.send('3');
      socket.close(1000);
    } else if (url.pathname === '/runCase') {
      const n = url.searchParams.get('case')!;
      const received: unknown[] = [];
      echoes[n] = received;
      socket.on('message', (data, binary) => {
        received.push(binary ? Array.from(data as Buffer) : data.toString());
        if (received.length === 2 && !(behaviour.hang || []).includes(n)) socket.close(1000);
      });
      socket.send(`text ${n} €`);
      socket.send(Buffer.from([Number(n), 0, 255]));
    } else {
      socket.close(1000);
    }
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`,
    seen,
    echoes,
    close: () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.close();
    },
  };
}

/** `npm run autobahn` as a process: its exit code and output. */
function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools', 'autobahn.ts'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('autobahn runner', () => {
  it('follows the driver protocol: case count, each case echoed, then the report update', async () => {
    const server = await fuzzingServer();
    const lines: string[] = [];
    try {
      const summary = await runAutobahn({ url: server.url, agent: 'test agent', log: (l) => lines.push(l) });
      expect(summary).to.deep.equal({ cases: 3, incomplete: [], reportsUpdated: true });
      expect(exitCodeFor(summary)).to.equal(0);
    } finally {
      server.close();
    }
    expect(server.seen).to.deep.equal([
      '/getCaseCount',
      '/runCase?case=1&agent=test%20agent',
      '/runCase?case=2&agent=test%20agent',
      '/runCase?case=3&agent=test%20agent',
      '/updateReports?agent=test%20agent',
    ]);
    expect(server.echoes['2']).to.deep.equal(['text 2 €', [2, 0, 255]]);
    expect(lines.filter((l) => l.startsWith('case '))).to.have.length(3);
  });

  it('lists the cases that did not complete: a failed handshake, a case that never closes; and still runs the rest', async () => {
    const server = await fuzzingServer({ refuse: ['1'], hang: ['3'] });
    const lines: string[] = [];
    try {
      const summary = await runAutobahn({ url: server.url, agent: 'a', log: (l) => lines.push(l), caseTimeoutMs: 1000 });
      expect(summary.cases).to.equal(3);
      expect(summary.incomplete.map((c) => c.case)).to.deep.equal([1, 3]);
      expect(at(summary.incomplete, 0, 'summary.incomplete').why).to.match(/^the handshake failed/);
      expect(at(summary.incomplete, 1, 'summary.incomplete').why).to.equal('did not close within 1000 ms');
      expect(summary.reportsUpdated).to.equal(true);
      expect(exitCodeFor(summary)).to.equal(1);
    } finally {
      server.close();
    }
    expect(server.echoes['2']).to.deep.equal(['text 2 €', [2, 0, 255]]);
    expect(lines).to.include('2 of 3 cases did not complete: 1, 3');
  });

  it('decides the exit code: 0 only when every case opened and closed and the reports were updated', () => {
    const closed = { code: 1002, reason: '', wasClean: false };
    // Failing the connection is how many fuzzing cases end: that is complete, the suite judges it.
    expect(incompleteReason({ opened: true, close: closed, error: 'protocol 1002: bad frame' }, 5)).to.equal('');
    expect(incompleteReason({ opened: false, close: { code: 1006, reason: '', wasClean: false }, error: 'handshake 404: Not Found' }, 5)).to.equal(
      'the handshake failed (handshake 404: Not Found)',
    );
    expect(incompleteReason({ opened: true, close: null, error: '' }, 5)).to.equal('did not close within 5 ms');
    expect(exitCodeFor({ cases: 2, incomplete: [], reportsUpdated: true })).to.equal(0);
    expect(exitCodeFor({ cases: 0, incomplete: [], reportsUpdated: true })).to.equal(0);
    expect(exitCodeFor({ cases: 2, incomplete: [{ case: 2, why: 'x' }], reportsUpdated: true })).to.equal(1);
    expect(exitCodeFor({ cases: 2, incomplete: [], reportsUpdated: false })).to.equal(1);
  });

  it('the command exits 1 when a case did not complete, 0 when all did', async () => {
    const bad = await fuzzingServer({ refuse: ['2'] });
    try {
      const run = await runCli(['--url', bad.url, '--agent', 'cli', '--case-timeout', '2000']);
      expect(run.code, run.output).to.equal(1);
      expect(run.output).to.include('case 2/3: NOT COMPLETED: the handshake failed');
    } finally {
      bad.close();
    }
    const good = await fuzzingServer();
    try {
      const run = await runCli(['--url', good.url, '--agent', 'cli']);
      expect(run.output).to.include('reports updated');
      expect(run.code).to.equal(0);
    } finally {
      good.close();
    }
  });
  it('reads its options with --name value, --name=value and --help, and refuses unknown ones', () => {
    expect(parseAutobahnArgs(['--url=ws://127.0.0.1:1', '--agent', 'x', '--case-timeout', '500'], () => {})).to.deep.equal({
      url: 'ws://127.0.0.1:1',
      agent: 'x',
      caseTimeoutMs: 500,
    });
    expect(() => parseAutobahnArgs(['--urll', 'x'], () => {})).to.throw(/Unknown option '--urll' \(see --help\)/);
    expect(() => parseAutobahnArgs(['--case-timeout', 'soon'], () => {})).to.throw('--case-timeout must be a positive number of ms, got "soon"');
    const printed: string[] = [];
    expect(parseAutobahnArgs(['-h'], (text) => printed.push(text))).to.equal(null);
    expect(printed.join('')).to.match(/^usage: npm run autobahn/);
  });
});
