/**
 * Autobahn|Testsuite echo client: `npm run autobahn -- --url ws://127.0.0.1:9001 --agent NAME [--case-timeout MS]`.
 *
 * Follows the fuzzing server's driver protocol: read the case count from /getCaseCount, run
 * each case at /runCase?case=N&agent=NAME echoing every message unchanged, then ask for the
 * reports with /updateReports?agent=NAME. Runs the client through hal/node.
 *
 * Exits 0 only when every case it ran completed: the connection opened and then closed (cleanly
 * or by failing the connection, as a fuzzing case may require; whether that was right is the
 * suite's verdict, in its report) within the per-case limit, and the reports were updated. A
 * case whose handshake failed, or that never closed, makes the exit code 1, with a list of them.
 */
import { createNodeHal } from '../hal/node/index';
import { WebSocket } from '../firmware/websocket';
import type { WebSocketOptions } from '../firmware/client-options';
import { parseCommandLine } from './cli';

const LIMIT = 16 * 1024 * 1024;

export interface AutobahnOptions {
  url: string;
  agent: string;
  log: (line: string) => void;
  /** How long one case may take before it counts as not completed, ms (default CASE_TIMEOUT_MS). */
  caseTimeoutMs?: number;
}

/** The suite's slowest cases (9.x: up to 16 MiB messages) take tens of seconds. */
export const CASE_TIMEOUT_MS = 120000;

/** How one connection ended. */
export interface SessionEnd {
  /** Whether the handshake succeeded. */
  opened: boolean;
  /** The close event; null when it did not arrive within the limit. */
  close: { code: number; reason: string; wasClean: boolean } | null;
  /** The last error event's text, '' if none. */
  error: string;
}

/** What a run did: cases run, those that did not complete (with why), whether the reports were updated. */
export interface AutobahnSummary {
  cases: number;
  incomplete: { case: number; why: string }[];
  reportsUpdated: boolean;
}

function options(): WebSocketOptions {
  return {
    hal: createNodeHal(),
    maxMessageSize: LIMIT,
    maxBufferedAmount: 4 * LIMIT,
    txBufferSize: 65536,
    pingInterval: 0,
    closeTimeout: 2000,
  };
}

/**
 * Opens `url`, lets `onMessage` handle messages, resolves when the connection closes or, after
 * `timeoutMs`, with `close: null` (the client is then closed and left to finish on its own).
 */
function session(url: string, timeoutMs: number, onMessage: (ws: WebSocket, data: string | Uint8Array) => void): Promise<SessionEnd> {
  return new Promise((resolve) => {
    const end: SessionEnd = { opened: false, close: null, error: '' };
    const ws = new WebSocket(url, undefined, options());
    const timer = setTimeout(() => {
      ws.onclose = null;
      ws.close();
      resolve(end);
    }, timeoutMs);
    ws.onopen = () => {
      end.opened = true;
    };
    ws.onmessage = (event) => onMessage(ws, event.data as string | Uint8Array);
    ws.onerror = (event) => {
      end.error = `${event.kind} ${event.code}: ${event.message}`;
    };
    ws.onclose = (event) => {
      clearTimeout(timer);
      end.close = { code: event.code, reason: event.reason, wasClean: event.wasClean };
      resolve(end);
    };
  });
}

/** Why a case did not complete, or '' when it did: it must have opened, and closed within the limit. */
export function incompleteReason(end: SessionEnd, timeoutMs: number): string {
  if (!end.opened) return `the handshake failed${end.error ? ` (${end.error})` : ''}`;
  if (end.close === null) return `did not close within ${timeoutMs} ms`;
  return '';
}

/** The process's exit code for a run: 0 only when every case completed and the reports were updated. */
export function exitCodeFor(summary: AutobahnSummary): number {
  return summary.incomplete.length === 0 && summary.reportsUpdated ? 0 : 1;
}

/** Runs every case; resolves with what happened (see exitCodeFor). */
export async function runAutobahn(opts: AutobahnOptions): Promise<AutobahnSummary> {
  const base = opts.url.replace(/\/+$/, '');
  const agent = encodeURIComponent(opts.agent);
  const timeoutMs = opts.caseTimeoutMs ?? CASE_TIMEOUT_MS;
  let count = -1;
  await session(`${base}/getCaseCount`, timeoutMs, (_ws, data) => {
    count = Number(data);
  });
  if (!(count >= 0)) throw new Error(`${base}/getCaseCount did not answer with a number`);
  opts.log(`${count} cases`);
  const summary: AutobahnSummary = { cases: count, incomplete: [], reportsUpdated: false };
  for (let n = 1; n <= count; n++) {
    const started = Date.now();
    const end = await session(`${base}/runCase?case=${n}&agent=${agent}`, timeoutMs, (ws, data) => {
      ws.send(data);
    });
    const why = incompleteReason(end, timeoutMs);
    if (why) summary.incomplete.push({ case: n, why });
    opts.log(
      `case ${n}/${count}: ${why ? `NOT COMPLETED: ${why}` : `closed ${end.close!.code}${end.close!.wasClean ? '' : ' (not clean)'}`} in ${Date.now() - started} ms`,
    );
  }
  const report = await session(`${base}/updateReports?agent=${agent}`, timeoutMs, () => undefined);
  summary.reportsUpdated = incompleteReason(report, timeoutMs) === '';
  opts.log(summary.reportsUpdated ? 'reports updated' : `reports NOT updated: ${incompleteReason(report, timeoutMs)}`);
  if (summary.incomplete.length > 0) {
    opts.log(`${summary.incomplete.length} of ${count} cases did not complete: ${summary.incomplete.map((c) => c.case).join(', ')}`);
  }
  return summary;
}

export const AUTOBAHN_USAGE = `usage: npm run autobahn -- [options]   (a fuzzing server must be running)

  --url URL             the fuzzing server (default ws://127.0.0.1:9001)
  --agent NAME          the agent name in the reports (default espruino-wsclient)
  --case-timeout MS     a case that does not close within this many ms did not complete (default ${CASE_TIMEOUT_MS})
  -h, --help            this text

Exits 1 when a case did not complete or the reports were not updated.`;

/** The options, checked; null for --help. */
export function parseAutobahnArgs(argv: string[], print: (text: string) => void): { url: string; agent: string; caseTimeoutMs: number } | null {
  const line = parseCommandLine(argv, { url: { type: 'string' }, agent: { type: 'string' }, 'case-timeout': { type: 'string' } }, AUTOBAHN_USAGE, print);
  if (line === null) return null;
  const timeout = line.values['case-timeout'] as string | undefined;
  const caseTimeoutMs = timeout === undefined ? CASE_TIMEOUT_MS : Number(timeout);
  if (!(caseTimeoutMs > 0)) throw new Error(`--case-timeout must be a positive number of ms, got "${timeout}"`);
  return {
    url: (line.values.url as string | undefined) ?? 'ws://127.0.0.1:9001',
    agent: (line.values.agent as string | undefined) ?? 'espruino-wsclient',
    caseTimeoutMs,
  };
}

if (process.argv[1] && /autobahn\.ts$/.test(process.argv[1])) {
  let args: ReturnType<typeof parseAutobahnArgs> = null;
  try {
    args = parseAutobahnArgs(process.argv.slice(2), (text) => console.log(text));
  } catch (error) {
    console.error(`autobahn: ${(error as Error).message}`);
    process.exit(2);
  }
  if (args !== null) {
    runAutobahn({ url: args.url, agent: args.agent, log: (l) => console.log(l), caseTimeoutMs: args.caseTimeoutMs })
      .then((summary) => process.exit(exitCodeFor(summary)))
      .catch((error) => {
        console.error(`autobahn: ${error.message}`);
        process.exit(1);
      });
  }
}
