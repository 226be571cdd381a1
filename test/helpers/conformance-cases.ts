/**
 * The protocol's rejection table as scripts for a real server (test/helpers/scripted-ws-server.ts):
 * each malformed input of test/protocol/receiver.test.ts, with the error code protocol/errors.ts
 * gives it, sent in chosen TCP chunkings; plus controls that must pass the same splits, and
 * both closing handshakes. Only the public API's view is described: the events a client shows
 * and the close frame it sends, so the cases outlive any rewrite of the internals.
 */
import { ERROR_CODES, type FailureCode } from '../../protocol/errors';
import type { ScriptStep } from './scripted-ws-server';
import { closePayload, concat, serverFrame } from './server-codec';

/** The client's options for a case: the board's defaults, or a tiny maxMessageSize. */
export type CaseOptions = 'default' | 'small';

/** maxMessageSize of `small` cases (maxFrameSize follows it). */
export const SMALL_MAX_MESSAGE = 10;

export interface ConformanceCase {
  name: string;
  options: CaseOptions;
  /** The client calls close(1000, 'bye') as soon as it opens. */
  clientCloses: boolean;
  /** What the server does after the 101. */
  steps: ScriptStep[];
  /**
   * The client's events after `open`, as the interpreter prints them: `message <hex bytes>`,
   * `error <kind> <code>`, `close <code> <wasClean>[ <reason>]` (a failure's reason is its
   * message and is not compared).
   */
  events: string[];
  /** The close frame the client sent: its code, and its reason when compared. */
  sent: { code: number; reason?: string };
}

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const split = (frame: Uint8Array, at: number[]): Uint8Array[] => {
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, frame.length]) {
    out.push(frame.subarray(from, to));
    from = to;
  }
  return out;
};
const oneByteAtATime = (frame: Uint8Array): Uint8Array[] =>
  split(
    frame,
    Array.from({ length: frame.length - 1 }, (_, i) => i + 1),
  );

/**
 * A case where the client must fail the connection with `code`, sending its close code. A sync
 * and a close 1000 follow the bad bytes: a client that failed ignores them and has ended TCP; one
 * that wrongly accepted the bytes answers the sync and is closed cleanly, so the case fails on
 * its events and the next case still runs.
 */
function failure(name: string, code: FailureCode, steps: ScriptStep[], options: CaseOptions = 'default'): ConformanceCase {
  const closeCode = ERROR_CODES[code];
  return {
    name,
    options,
    clientCloses: false,
    steps: [...steps, 'sync', serverFrame(8, closePayload(1000)), 'awaitClose', 'end'],
    events: [`error protocol ${code}`, `close ${closeCode} false`],
    sent: { code: closeCode },
  };
}

/** A case where the client must accept `message` (hex), then the server closes with 1000. */
function accepted(name: string, message: string, steps: ScriptStep[], options: CaseOptions = 'default'): ConformanceCase {
  return {
    name,
    options,
    clientCloses: false,
    steps: [...steps, serverFrame(8, closePayload(1000)), 'awaitClose', 'end'],
    events: [`message ${message}`, 'close 1000 true'],
    sent: { code: 1000 },
  };
}

/** The rejection table (receiver.test.ts "failing the connection" and "received close codes"), with split variants. */
export const REJECTION_CASES: ConformanceCase[] = [
  failure('RSV1 set', 'WS_ERR_RESERVED_BITS', [serverFrame(1, 'x', { rsv: 4 })]),
  failure('RSV2 set', 'WS_ERR_RESERVED_BITS', [serverFrame(1, 'x', { rsv: 2 })]),
  failure('RSV3 set', 'WS_ERR_RESERVED_BITS', [serverFrame(2, 'x', { rsv: 1 })]),
  failure('a masked frame', 'WS_ERR_MASKED_FRAME', [serverFrame(1, 'x', { mask: [1, 2, 3, 4] })]),
  failure('opcode 3', 'WS_ERR_UNKNOWN_OPCODE', [serverFrame(3, 'x')]),
  failure('opcode 7', 'WS_ERR_UNKNOWN_OPCODE', [serverFrame(7, 'x')]),
  failure('opcode 0xB', 'WS_ERR_UNKNOWN_OPCODE', [serverFrame(0xb, 'x')]),
  failure('opcode 0xF', 'WS_ERR_UNKNOWN_OPCODE', [serverFrame(0xf, 'x')]),
  failure('a fragmented ping', 'WS_ERR_FRAGMENTED_CONTROL', [serverFrame(9, 'x', { fin: false })]),
  failure('a 126-byte ping', 'WS_ERR_CONTROL_TOO_LONG', [serverFrame(9, new Uint8Array(126))]),
  failure('a continuation with no message', 'WS_ERR_UNEXPECTED_CONTINUATION', [serverFrame(0, 'x')]),
  failure('a new message inside a fragmented one, after a sync', 'WS_ERR_EXPECTED_CONTINUATION', [
    serverFrame(1, 'a', { fin: false }),
    'sync',
    serverFrame(2, 'b'),
  ]),
  failure('a 16-bit length under 126', 'WS_ERR_NON_MINIMAL_LENGTH', [bytes(0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5)]),
  failure('a 64-bit length under 65536', 'WS_ERR_NON_MINIMAL_LENGTH', [bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5)]),
  failure('a 64-bit length with the top bit set', 'WS_ERR_LENGTH_TOP_BIT', [bytes(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1)]),
  failure(
    'a 64-bit length with the top bit set, one byte per TCP chunk',
    'WS_ERR_LENGTH_TOP_BIT',
    oneByteAtATime(bytes(0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1)),
  ),
  // Oversize: from the header alone, before any payload is buffered.
  failure('a frame of 11 bytes over maxMessageSize 10', 'WS_ERR_FRAME_TOO_BIG', [serverFrame(2, new Uint8Array(11))], 'small'),
  failure(
    'fragments of 6 + 5 bytes over maxMessageSize 10, after a sync',
    'WS_ERR_MESSAGE_TOO_BIG',
    [serverFrame(2, new Uint8Array(6), { fin: false }), 'sync', serverFrame(0, new Uint8Array(5))],
    'small',
  ),
  failure('a 16-bit length of 65535 over the board limit, header only', 'WS_ERR_FRAME_TOO_BIG', [bytes(0x82, 0x7e, 0xff, 0xff)]),
  failure('a 64-bit length of 2^32 over the board limit, header only', 'WS_ERR_FRAME_TOO_BIG', [bytes(0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0)]),
  // UTF-8 (RFC 6455 §8.1), the validator carrying its state across TCP chunks and fragments.
  failure('invalid UTF-8 text (overlong C0 80)', 'WS_ERR_INVALID_UTF8', [serverFrame(1, bytes(0xc0, 0x80))]),
  failure('text ending in a truncated sequence', 'WS_ERR_INVALID_UTF8', [serverFrame(1, bytes(0x61, 0xe2, 0x82))]),
  failure('a fragmented message ending in a truncated sequence, after a sync', 'WS_ERR_INVALID_UTF8', [
    serverFrame(1, bytes(0x61, 0xe2, 0x82), { fin: false }),
    'sync',
    serverFrame(0, new Uint8Array(0)),
  ]),
  failure(
    'a surrogate (ED A0 80) split after its first byte across two TCP chunks',
    'WS_ERR_INVALID_UTF8',
    split(serverFrame(1, bytes(0x61, 0xed, 0xa0, 0x80)), [3]),
  ),
  failure('an overlong E0 80 80, one byte per TCP chunk', 'WS_ERR_INVALID_UTF8', oneByteAtATime(serverFrame(1, bytes(0xe0, 0x80, 0x80)))),
  failure('F4 90 (over U+10FFFF) split across fragments and a sync', 'WS_ERR_INVALID_UTF8', [
    serverFrame(1, bytes(0x61, 0xf4), { fin: false }),
    'sync',
    serverFrame(0, bytes(0x90, 0x80, 0x80)),
  ]),
  // Close frames (RFC 6455 §5.5.1, §7.4).
  failure('a 1-byte close payload', 'WS_ERR_INVALID_CLOSE', [serverFrame(8, bytes(3))]),
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((code) =>
    failure(`close code ${code} on the wire`, 'WS_ERR_INVALID_CLOSE', [serverFrame(8, closePayload(code))]),
  ),
  failure('a close reason that is not UTF-8', 'WS_ERR_INVALID_UTF8', [serverFrame(8, concat([closePayload(1000), bytes(0xff)]))]),
];

/** What must still pass: the same splits with valid input, and a message of exactly the limit. */
export const CONTROL_CASES: ConformanceCase[] = [
  accepted('a euro sign (E2 82 AC) split across two TCP chunks', 'e282ac', split(serverFrame(1, bytes(0xe2, 0x82, 0xac)), [3])),
  accepted('a G clef (F0 9D 84 9E) split across fragments and a sync', 'f09d849e', [
    serverFrame(1, bytes(0xf0, 0x9d), { fin: false }),
    'sync',
    serverFrame(0, bytes(0x84, 0x9e)),
  ]),
  accepted(
    'fragments of 6 + 4 bytes, exactly maxMessageSize 10, after a sync',
    '00'.repeat(10),
    [serverFrame(2, new Uint8Array(6), { fin: false }), 'sync', serverFrame(0, new Uint8Array(4))],
    'small',
  ),
];

/** Both closing handshakes (RFC 6455 §7.1.2, §5.5.1). */
export const CLOSE_HANDSHAKE_CASES: ConformanceCase[] = [
  {
    name: 'client-initiated: close(1000, "bye"), the server echoes and ends TCP',
    options: 'default',
    clientCloses: true,
    steps: ['awaitClose', serverFrame(8, closePayload(1000, 'bye')), 'end'],
    events: ['close 1000 true bye'],
    sent: { code: 1000, reason: 'bye' },
  },
  {
    name: 'server-initiated: close 1001 "going away", the client echoes 1001',
    options: 'default',
    clientCloses: false,
    steps: [serverFrame(8, closePayload(1001, 'going away')), 'awaitClose', 'end'],
    events: ['close 1001 true going away'],
    sent: { code: 1001 },
  },
];
