/**
 * Host codec bench: our sans-I/O ClientProtocol against ws 8's Sender and Receiver, in the same
 * process and run, for masked encoding and for decoding binary and text messages.
 *
 * What is compared (the fair equivalents):
 * - Encode: `sendBinary(data)` then draining `nextTransmit()` (the frame is built and masked in
 *   the output buffer, which the driver would write to the socket) against ws's
 *   `Sender#send(data, { binary, mask: true, compress: false, fin: true })` on a fake socket that
 *   only counts bytes: exactly the call `WebSocket#send` makes in a ws client. Both draw random
 *   masks from crypto.randomFillSync through a pool (ours through the Node HAL's entropy, ws
 *   through its own). The data is a Buffer for both, so ws takes its usual
 *   copy-and-mask-into-one-buffer path.
 * - Decode: the same pre-built stream of unmasked server frames, cut into 16 KiB chunks the way a
 *   socket delivers them (frames straddle chunks), is fed to `ClientProtocol#receive` (as the
 *   plain Uint8Array view of the chunk the Node HAL's socket hands over) and to
 *   `Receiver#write` (client mode, the Buffer itself), the call ws's socket 'data' handler makes.
 *   Text is delivered as a string by both: ours through the Node HAL's codec, ws's Buffer
 *   through `toString()`, as ws's own `onmessage` does. ws validates text with Node's native
 *   `buffer.isUtf8` from 24 bytes up even without utf-8-validate; ours through the Node HAL's
 *   codec, which uses the same isUtf8 from 64 bytes up and the protocol's JavaScript validator
 *   below. A binary message that lies whole in one chunk is a view of that chunk in both (no
 *   copy); one split over chunks is copied once, into the array delivered, in both.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { dirname, join, sep } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createNodeEntropy } from '../../hal/node/entropy';
import { nodeSha1 } from '../../hal/node/sha1';
import { nodeTextCodec } from '../../hal/node/text';
import { nodeAllocate } from '../../hal/node/allocate';
import { ClientProtocol, ReadyState, type ProtocolHandler } from '../../protocol/client-protocol';
import { parseWsUrl } from '../../protocol/url';
import { formatCount, formatNumber, formatRatio, formatSize, formatTable, median, summaryLine, type BenchContext, type BenchSection } from './report';

export const WORKLOADS = ['encode binary', 'decode binary', 'decode text', 'decode text multibyte'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface HostCodecOptions {
  /** Payload sizes in bytes. */
  sizes: number[];
  /** Time each side runs before the measured rounds. */
  warmupMs: number;
  /** Length of one measured round; the median of `rounds` rounds is reported. */
  roundMs: number;
  rounds: number;
  /** Measured allocation windows per side (their median is reported); 0 skips allocation. */
  allocWindows: number;
  /** Size of the chunks the decode stream is fed in. */
  chunkSize: number;
}

export const NORMAL_OPTIONS: HostCodecOptions = {
  sizes: [16, 125, 1024, 8192, 65536],
  warmupMs: 150,
  roundMs: 300,
  rounds: 3,
  allocWindows: 3,
  chunkSize: 16384,
};

export const QUICK_OPTIONS: HostCodecOptions = { ...NORMAL_OPTIONS, warmupMs: 15, roundMs: 25, allocWindows: 1 };

/** One side's figures. MB is 10^6 payload bytes. */
export interface SideResult {
  messagesPerSecond: number;
  megabytesPerSecond: number;
  /** Bytes allocated per message in steady state (NaN when not measured). */
  bytesPerMessage: number;
}

export interface Measurement {
  workload: Workload;
  size: number;
  ours: SideResult;
  ws: SideResult;
  /** ours / ws throughput: above 1 means ours is faster. */
  ratio: number;
}

/** Something that processes messages: `run(n)` handles at least n and returns how many it did. */
export interface Subject {
  run(n: number): number;
  /** A checksum of the work done so far: wire bytes written (encode) or content delivered (decode). */
  output(): number;
}

// ---- the two implementations ----------------------------------------------------------------

/** ws's internals are not in @types/ws; these are the parts the bench uses. */
interface WsSender {
  send(data: Buffer, options: { binary: boolean; mask: boolean; compress: boolean; fin: boolean }): void;
}
interface WsReceiver {
  write(chunk: Buffer): boolean;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
interface WsLibrary {
  Sender: new (socket: { write(chunk: Buffer): boolean; cork(): void; uncork(): void }) => WsSender;
  Receiver: new (options: { isServer: boolean; maxPayload: number }) => WsReceiver;
}

const requireHere = createRequire(import.meta.url);
let wsLibrary: WsLibrary | null = null;
/** The masking and validation functions of that copy of ws, for wsPaths(). */
let wsInternals: { mask: { name: string }; isValidUTF8: { name: string } } | null = null;

/**
 * ws, loaded on first use with its native add-ons switched off (its documented environment
 * variables), since the target is ws's pure-JS path: bufferutil and utf-8-validate do sit in
 * node_modules (espruino's `websocket` dependency brings them). ws reads the switches when it
 * is loaded, and something else in the process (another bench section, a test) may have loaded
 * it already: so ws's modules are taken out of the require cache for this load, which makes a
 * private copy, and whatever was cached is put back. `wsPaths()` reports what the copy uses.
 */
function wsLib(): WsLibrary {
  if (wsLibrary === null) {
    const saved = { buffer: process.env.WS_NO_BUFFER_UTIL, utf8: process.env.WS_NO_UTF_8_VALIDATE };
    const root = dirname(requireHere.resolve('ws')) + sep;
    const cache = requireHere.cache;
    const earlier: NodeJS.Dict<NodeModule> = {};
    for (const key of Object.keys(cache)) {
      if (!key.startsWith(root)) continue;
      earlier[key] = cache[key];
      delete cache[key];
    }
    process.env.WS_NO_BUFFER_UTIL = '1';
    process.env.WS_NO_UTF_8_VALIDATE = '1';
    try {
      wsLibrary = requireHere('ws') as WsLibrary;
      // Not in ws's exports map, so reached by path: the modules of the copy just loaded.
      wsInternals = {
        mask: (requireHere(join(root, 'lib', 'buffer-util.js')) as { mask: { name: string } }).mask,
        isValidUTF8: (requireHere(join(root, 'lib', 'validation.js')) as { isValidUTF8: { name: string } }).isValidUTF8,
      };
    } finally {
      // Leave the environment of child processes, and others' ws, as they were.
      restoreEnv('WS_NO_BUFFER_UTIL', saved.buffer);
      restoreEnv('WS_NO_UTF_8_VALIDATE', saved.utf8);
      if (Object.keys(earlier).length > 0) {
        for (const key of Object.keys(cache)) if (key.startsWith(root)) delete cache[key];
        Object.assign(cache, earlier);
      }
    }
  }
  return wsLibrary;
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** Which masking and UTF-8 validation the bench's ws uses. */
export function wsPaths(): { masking: string; validation: string } {
  wsLib();
  const internals = wsInternals as { mask: { name: string }; isValidUTF8: { name: string } };
  const isUtf8 = typeof (requireHere('node:buffer') as { isUtf8?: unknown }).isUtf8 === 'function';
  return {
    masking: internals.mask.name === '_mask' ? 'JavaScript' : 'native (bufferutil)',
    validation:
      internals.isValidUTF8.name === '_isValidUTF8'
        ? 'JavaScript'
        : isUtf8
          ? 'JavaScript below 24 B, node:buffer isUtf8 (native) above'
          : 'native (utf-8-validate)',
  };
}

const MAX_MESSAGE = 1048576;
/** Large enough that a 64 KiB message goes out as one frame. */
const TX_BUFFER_SIZE = 70000;

const IGNORE: ProtocolHandler = {
  onOpen() {},
  onText() {},
  onBinary() {},
  onPing() {},
  onPong() {},
  onClosing() {},
  onClosed() {},
  onError(error) {
    throw new Error(`bench connection failed: ${error.code} ${error.message}`);
  },
};

/** A ClientProtocol through its opening handshake, configured as the Node HAL would. */
function openProtocol(handler: Partial<ProtocolHandler>): ClientProtocol {
  const protocol = new ClientProtocol({
    url: parseWsUrl('ws://bench.invalid/'),
    handshake: { protocols: [], headers: {} },
    options: { txBufferSize: TX_BUFFER_SIZE, maxMessageSize: MAX_MESSAGE },
    entropy: createNodeEntropy().fill,
    sha1: nodeSha1,
    text: nodeTextCodec,
    allocate: nodeAllocate,
    handler: { ...IGNORE, ...handler },
  });
  protocol.start();
  let request = '';
  while (protocol.nextTransmit()) request += Buffer.from(protocol.output.subarray(protocol.outputStart, protocol.outputEnd)).toString('latin1');
  const key = /Sec-WebSocket-Key: (\S+)/i.exec(request);
  if (key === null) throw new Error('no Sec-WebSocket-Key in the request');
  const accept = createHash('sha1')
    .update(key[1] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
  protocol.receive(
    Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${accept}\r\n\r\n`, 'latin1'),
  );
  if (protocol.readyState !== ReadyState.Open) throw new Error('the bench connection did not open');
  return protocol;
}

function oursEncoder(data: Buffer): Subject {
  const protocol = openProtocol({});
  let written = 0;
  return {
    run(n) {
      for (let i = 0; i < n; i++) {
        // As the runtime sends: framed at once when it fits one frame, else queued and fragmented.
        // The driver would write output[outputStart, outputEnd) here; the bench only counts it.
        if (protocol.send(data, false, true)) written += protocol.outputEnd - protocol.outputStart;
        while (protocol.nextTransmit()) written += protocol.outputEnd - protocol.outputStart;
      }
      return n;
    },
    output: () => written,
  };
}

function wsEncoder(data: Buffer): Subject {
  let written = 0;
  const socket = {
    write(chunk: Buffer) {
      written += chunk.length;
      return true;
    },
    cork() {},
    uncork() {},
  };
  const sender = new (wsLib().Sender)(socket);
  return {
    run(n) {
      for (let i = 0; i < n; i++) sender.send(data, { binary: true, mask: true, compress: false, fin: true });
      return n;
    },
    output: () => written,
  };
}

/** Feeds `chunks` round and round until `delivered()` has grown by at least n. */
function chunkFeeder(chunks: Buffer[], feed: (chunk: Buffer) => void, delivered: () => number): (n: number) => number {
  if (chunks.length === 0) throw new Error('chunkFeeder: no chunks to feed');
  let next = 0;
  return (n) => {
    const start = delivered();
    const target = start + n;
    while (delivered() < target) {
      const chunk = chunks[next];
      if (chunk === undefined) throw new Error(`chunkFeeder: no chunk ${next} of ${chunks.length}`);
      feed(chunk);
      next = next + 1 === chunks.length ? 0 : next + 1;
    }
    return delivered() - start;
  };
}

function oursDecoder(chunks: Buffer[]): Subject {
  let messages = 0;
  let content = 0;
  const protocol = openProtocol({
    onBinary(data) {
      messages++;
      content += data.length;
    },
    onText(text) {
      messages++;
      content += text.length;
    },
  });
  // What hal/node/tcp.ts hands the protocol for each Buffer its socket emits.
  const feed = (chunk: Buffer): void => {
    protocol.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
  };
  return { run: chunkFeeder(chunks, feed, () => messages), output: () => content };
}

function wsDecoder(chunks: Buffer[]): Subject {
  let messages = 0;
  let content = 0;
  let failure: Error | null = null;
  const receiver = new (wsLib().Receiver)({ isServer: false, maxPayload: MAX_MESSAGE });
  receiver.on('message', (data, isBinary) => {
    messages++;
    content += isBinary ? data.length : data.toString().length;
  });
  receiver.on('error', (error) => {
    failure = error;
  });
  const feed = (chunk: Buffer): void => {
    receiver.write(chunk);
    if (failure !== null) throw failure;
  };
  return { run: chunkFeeder(chunks, feed, () => messages), output: () => content };
}

// ---- payloads and the server's byte stream ----------------------------------------------------

const ASCII_SOURCE = 'The quick brown fox jumps over the lazy dog; {"id":42,"ok":true,"tags":["a","b"]} café ';
const MULTIBYTE_SOURCE = 'Grüße aus Köln — 東京の天気は晴れ ✓ Ελληνικά 😀 ';

/** Text of exactly `size` UTF-8 bytes: `source` repeated, cut at a character, padded with ASCII. */
function textPayload(size: number, source: string): Buffer {
  let text = '';
  let bytes = 0;
  for (;;) {
    for (const char of source) {
      const n = Buffer.byteLength(char);
      if (bytes + n > size) return Buffer.from(text + 'x'.repeat(size - bytes));
      text += char;
      bytes += n;
    }
  }
}

export function payloadFor(workload: Workload, size: number): Buffer {
  if (workload === 'decode text') return textPayload(size, ASCII_SOURCE);
  if (workload === 'decode text multibyte') return textPayload(size, MULTIBYTE_SOURCE);
  return randomFillSync(Buffer.alloc(size));
}

/** An unmasked server frame with the minimal length encoding (RFC 6455 §5.2). */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const header =
    n < 126
      ? [0x80 | opcode, n]
      : n < 65536
        ? [0x80 | opcode, 126, n >> 8, n & 0xff]
        : [0x80 | opcode, 127, 0, 0, 0, 0, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from(header), payload]);
}

/** At least 256 KiB of back-to-back frames, cut into `chunkSize` pieces (frames straddle them). */
function decodeStream(opcode: number, payload: Buffer, chunkSize: number): Buffer[] {
  const frame = serverFrame(opcode, payload);
  const count = Math.max(4, Math.ceil(262144 / frame.length));
  const stream = Buffer.concat(new Array<Buffer>(count).fill(frame));
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += chunkSize) chunks.push(stream.subarray(at, at + chunkSize));
  return chunks;
}

/** Both sides of one workload and size, ready to run. */
export function createSubjects(workload: Workload, size: number, chunkSize = NORMAL_OPTIONS.chunkSize): { ours: Subject; ws: Subject } {
  const payload = payloadFor(workload, size);
  if (workload === 'encode binary') return { ours: oursEncoder(payload), ws: wsEncoder(payload) };
  const chunks = decodeStream(workload === 'decode binary' ? 2 : 1, payload, chunkSize);
  return { ours: oursDecoder(chunks), ws: wsDecoder(chunks) };
}

// ---- throughput ---------------------------------------------------------------------------------

const now = (): number => performance.now();

/** Lets queued callbacks run (ws's Writable defers its write callbacks to process.nextTick). */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The batch size (doubling from 1) whose run takes about `ms`, so the clock is read rarely. */
function calibrate(subject: Subject, ms: number): number {
  for (let batch = 1; ; batch *= 2) {
    const start = now();
    subject.run(batch);
    if (now() - start >= ms || batch >= 1 << 24) return batch;
  }
}

/** Runs batches for about `ms`; returns messages per second. */
function timedRound(subject: Subject, batch: number, ms: number): number {
  let messages = 0;
  const start = now();
  let elapsed = 0;
  do {
    messages += subject.run(batch);
    elapsed = now() - start;
  } while (elapsed < ms);
  return (messages * 1000) / elapsed;
}

/** Warms both sides up, then alternates their rounds so drift hits both alike; medians of msg/s. */
async function measureThroughput(ours: Subject, theirs: Subject, options: HostCodecOptions): Promise<{ ours: number; ws: number }> {
  const batchMs = Math.max(0.2, Math.min(1, options.roundMs / 50));
  const oursBatch = calibrate(ours, batchMs);
  const wsBatch = calibrate(theirs, batchMs);
  timedRound(ours, oursBatch, options.warmupMs);
  timedRound(theirs, wsBatch, options.warmupMs);
  await breathe();
  const oursRates: number[] = [];
  const wsRates: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    for (const side of order) {
      if (side === 0) oursRates.push(timedRound(ours, oursBatch, options.roundMs));
      else wsRates.push(timedRound(theirs, wsBatch, options.roundMs));
      await breathe();
    }
  }
  return { ours: median(oursRates), ws: median(wsRates) };
}

// ---- allocation ---------------------------------------------------------------------------------
//
// Method: Node 20 has no counter of bytes allocated, so we count what accumulates while no
// collection runs. A window is: a full GC (gc() made available by setting --expose-gc at run
// time), read V8's used heap size plus its external memory (the ArrayBuffer backing stores that
// hold every Buffer's and Uint8Array's bytes from 65 up), run n messages, read both again.
// - A v8.GCProfiler spans the window: if any collection ran inside it, the difference is not
//   the allocation, so the window is retried with half as many messages.
// - V8 frees dead backing stores on a background thread after a GC, which would make external
//   memory shrink inside the window; --no-concurrent-array-buffer-sweeping (also set at run time,
//   and only while allocation is measured) makes the GC free them before it returns.
// - The cost of the readings themselves is measured on empty windows and subtracted.
// Checked against known allocations: a 16-byte Uint8Array reads as ~220 B, an 8 KiB one as
// 8192 + ~186 B, an object with two fields as 56 B. Resolution: a few bytes per message.
// Buffer.allocUnsafe's 8 KiB pool is counted as its slabs are allocated, i.e. amortized. ws
// defers one small record per tick of writes to process.nextTick, which the bench's tight loop
// shares among many chunks (a socket would pay it per chunk): a slight advantage to ws.

let collect: (() => void) | null = null;

function fullGc(): void {
  if (collect === null) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
}

function heapBytes(): number {
  const heap = v8.getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

/** Bytes allocated by `run(n)`, or NaN when a collection ran meanwhile. */
function allocationWindow(run: (n: number) => number, n: number): { bytes: number; messages: number } {
  fullGc();
  const profiler = new v8.GCProfiler();
  profiler.start();
  const before = heapBytes();
  const messages = run(n);
  const after = heapBytes();
  const collections = profiler.stop()?.statistics.length ?? 0;
  return { bytes: collections === 0 ? after - before : NaN, messages };
}

let readingCost = NaN;

/**
 * What a window costs with no work in it (the heap statistics objects themselves): the least
 * of a few empty windows, since anything extra only adds. Measured once, after a few windows
 * have let the machinery settle (the first ones of a process cost up to ~200 KB more).
 */
function emptyWindowCost(): number {
  if (isNaN(readingCost)) {
    for (let i = 0; i < 10; i++) allocationWindow(() => 0, 0);
    let least = Infinity;
    for (let attempt = 0; attempt < 5; attempt++) {
      const window = allocationWindow(() => 0, 0);
      if (!isNaN(window.bytes) && window.bytes < least) least = window.bytes;
    }
    readingCost = isFinite(least) ? least : 0;
  }
  return readingCost;
}

/** Median bytes allocated per message over `windows` clean windows (NaN if none was clean). */
export function measureAllocation(subject: Subject, size: number, windows: number): number {
  v8.setFlagsFromString('--no-concurrent-array-buffer-sweeping');
  try {
    // About 512 KiB of payload per window keeps it well inside the young generation.
    let n = Math.max(4, Math.min(4096, Math.floor(524288 / (size + 64))));
    // A first, discarded window lets the measuring code itself reach its steady state.
    allocationWindow((count) => subject.run(count), n);
    const cost = emptyWindowCost();
    const perMessage: number[] = [];
    for (let attempt = 0; perMessage.length < windows && attempt < windows + 12; attempt++) {
      const window = allocationWindow((count) => subject.run(count), n);
      if (isNaN(window.bytes)) n = Math.max(1, n >> 1);
      else perMessage.push(Math.max(0, window.bytes - cost) / window.messages);
    }
    return perMessage.length > 0 ? median(perMessage) : NaN;
  } finally {
    v8.setFlagsFromString('--concurrent-array-buffer-sweeping');
  }
}

// ---- the bench ----------------------------------------------------------------------------------

function side(messagesPerSecond: number, size: number, bytesPerMessage: number): SideResult {
  return { messagesPerSecond, megabytesPerSecond: (messagesPerSecond * size) / 1e6, bytesPerMessage };
}

export async function measure(workload: Workload, size: number, options: HostCodecOptions): Promise<Measurement> {
  const subjects = createSubjects(workload, size, options.chunkSize);
  const rates = await measureThroughput(subjects.ours, subjects.ws, options);
  const oursAlloc = options.allocWindows > 0 ? measureAllocation(subjects.ours, size, options.allocWindows) : NaN;
  const wsAlloc = options.allocWindows > 0 ? measureAllocation(subjects.ws, size, options.allocWindows) : NaN;
  await breathe();
  return { workload, size, ours: side(rates.ours, size, oursAlloc), ws: side(rates.ws, size, wsAlloc), ratio: rates.ours / rates.ws };
}

/** Measures every workload at every size; `done` sees each workload's results as it completes. */
export async function runHostCodecBench(
  options: HostCodecOptions,
  done: (workload: Workload, results: Measurement[]) => void = () => {},
): Promise<Measurement[]> {
  const all: Measurement[] = [];
  for (const workload of WORKLOADS) {
    const results: Measurement[] = [];
    for (const size of options.sizes) results.push(await measure(workload, size, options));
    done(workload, results);
    all.push(...results);
  }
  return all;
}

const TABLE_HEADER = ['size', 'ours msg/s', 'ws msg/s', 'ours MB/s', 'ws MB/s', 'ratio', 'ours B/msg', 'ws B/msg'];

function tableRow(m: Measurement): string[] {
  const bytes = (b: number): string => (isNaN(b) ? '-' : formatNumber(Math.round(b)));
  return [
    formatSize(m.size),
    formatCount(m.ours.messagesPerSecond),
    formatCount(m.ws.messagesPerSecond),
    formatNumber(m.ours.megabytesPerSecond),
    formatNumber(m.ws.megabytesPerSecond),
    formatRatio(m.ratio),
    bytes(m.ours.bytesPerMessage),
    bytes(m.ws.bytesPerMessage),
  ];
}

/** One workload's table. */
export function formatWorkloadTable(workload: Workload, results: Measurement[]): string[] {
  return ['', `${workload}:`, ...formatTable(TABLE_HEADER, results.map(tableRow)).map((line) => '  ' + line)];
}

/** One line per measurement, e.g. `decode binary 8KiB: ours 1234 MB/s, ws 1000 MB/s, ratio 1.23`. */
export function formatSummary(results: Measurement[]): string[] {
  return [
    '',
    'summary (ratio = ours/ws throughput, above 1 means ours is faster):',
    ...results.map((m) => summaryLine(m.workload, m.size, m.ours.megabytesPerSecond, m.ws.megabytesPerSecond, m.ratio)),
  ];
}

/** The one-minute load average, or 'unknown' if the platform reports none. */
function oneMinuteLoad(): string {
  const [oneMinute] = loadavg();
  return oneMinute === undefined ? 'unknown' : oneMinute.toFixed(1);
}

function preamble(options: HostCodecOptions): string[] {
  const wsVersion = (requireHere('ws/package.json') as { version: string }).version;
  const paths = wsPaths();
  return [
    `node ${process.version}, ws ${wsVersion}: masking in ${paths.masking}, UTF-8 validation in ${paths.validation}`,
    // Other processes share the CPUs; a high load makes single figures noisy.
    `${cpus().length} CPUs, load average ${oneMinuteLoad()} at start`,
    `each figure: median of ${options.rounds} rounds of ${options.roundMs} ms after ${options.warmupMs} ms warm-up, ` +
      `ours and ws alternating; MB = 10^6 payload bytes; decode input in ${formatSize(options.chunkSize)} chunks`,
    'encode: ClientProtocol.sendBinary + nextTransmit vs ws Sender.send (masked, random keys); ' +
      'decode: ClientProtocol.receive vs ws Receiver.write (text: both produce a string)',
    'B/msg: bytes allocated per message in steady state (heap + ArrayBuffer stores between forced GCs)',
  ];
}

export const hostCodecSection: BenchSection = {
  name: 'host',
  title: 'host codec: ClientProtocol vs ws',
  async run(context: BenchContext): Promise<void> {
    const options = context.quick ? QUICK_OPTIONS : NORMAL_OPTIONS;
    for (const line of preamble(options)) context.log(line);
    const results = await runHostCodecBench(options, (workload, measured) => {
      for (const line of formatWorkloadTable(workload, measured)) context.log(line);
    });
    for (const line of formatSummary(results)) context.log(line);
  },
};
