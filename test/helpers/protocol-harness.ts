import { createHash } from 'node:crypto';
import { ClientProtocol, type ProtocolError } from '../../protocol/client-protocol';
import type { ProtocolOptions } from '../../protocol/options';
import { parseWsUrl } from '../../protocol/url';
import type { TextCodec } from '../../protocol/utf8';
import { capture } from './at';
import { concat } from './server-codec';
import { countingEntropy } from './entropy';

/** An event the protocol reported, flattened for deep-equal assertions. */
export type Recorded =
  | ['open', string]
  | ['text', string]
  | ['binary', number[]]
  | ['ping', number[]]
  | ['pong', number[]]
  | ['closing', number, string]
  | ['closed', number, string, boolean]
  | ['error', string, number];

export interface Harness {
  protocol: ClientProtocol;
  events: Recorded[];
  errors: ProtocolError[];
  key: string;
  /** The binary messages as delivered (the very arrays), in order. */
  binaries: Uint8Array[];
  /** Queues a text message (as the runtime does when it cannot write at once). */
  sendText(text: string): void;
  /** Queues a binary message. */
  sendBinary(data: Uint8Array): void;
  /** Everything the protocol wants sent right now, concatenated. */
  drain(): Uint8Array;
  /** Feeds bytes split at the given offsets (none: one chunk). */
  feed(bytes: Uint8Array, splits?: number[]): void;
}

export interface HarnessOptions {
  protocols?: string[];
  options?: ProtocolOptions;
  entropy?: (out: Uint8Array) => void;
  /** The text codec (default: the protocol's UTF-16 codec, which has no native validation). */
  text?: TextCodec;
  allocate?: (length: number) => Uint8Array;
}

export function createHarness(options: HarnessOptions = {}): Harness {
  const events: Recorded[] = [];
  const errors: ProtocolError[] = [];
  const binaries: Uint8Array[] = [];
  const protocol = new ClientProtocol({
    url: parseWsUrl('ws://example.com/chat'),
    handshake: { protocols: options.protocols || [], headers: {} },
    options: options.options,
    entropy: options.entropy || countingEntropy(),
    text: options.text,
    allocate: options.allocate,
    handler: {
      onOpen: (p) => events.push(['open', p]),
      onText: (t) => events.push(['text', t]),
      onBinary: (d) => {
        binaries.push(d);
        events.push(['binary', Array.from(d)]);
      },
      onPing: (d) => events.push(['ping', Array.from(d)]),
      onPong: (d) => events.push(['pong', Array.from(d)]),
      onClosing: (c, r) => events.push(['closing', c, r]),
      onClosed: (c, r, clean) => events.push(['closed', c, r, clean]),
      onError: (e) => {
        errors.push(e);
        events.push(['error', e.code, e.closeCode]);
      },
    },
  });
  protocol.start();
  const drain = () => {
    const parts: Uint8Array[] = [];
    while (protocol.nextTransmit()) parts.push(protocol.output.slice(protocol.outputStart, protocol.outputEnd));
    return concat(parts);
  };
  const request = new TextDecoder().decode(drain());
  const key = capture(/Sec-WebSocket-Key: (\S+)/, request, 'the handshake request');
  const feed = (bytes: Uint8Array, splits: number[] = []) => {
    let at = 0;
    for (const split of [...splits, bytes.length]) {
      protocol.receive(bytes.slice(at, split));
      at = split;
    }
  };
  const sendText = (text: string) => {
    protocol.send(protocol.codec.encode(text), true, false);
  };
  const sendBinary = (data: Uint8Array) => {
    protocol.send(data, false, false);
  };
  return { protocol, events, errors, key, binaries, sendText, sendBinary, drain, feed };
}

export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
}

export function switchingResponse(key: string, extra = ''): Uint8Array {
  return new TextEncoder().encode(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' + `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n${extra}\r\n`,
  );
}

/** A harness whose handshake already completed; the open event is cleared. */
export function openHarness(options: Omit<HarnessOptions, 'protocols'> = {}): Harness {
  const h = createHarness(options);
  h.feed(switchingResponse(h.key));
  if (h.events.length !== 1 || h.events[0]?.[0] !== 'open') throw new Error('handshake did not open: ' + JSON.stringify(h.events));
  h.events.length = 0;
  return h;
}
