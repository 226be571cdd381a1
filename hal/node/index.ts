import type { Hal } from '../types';
import { createNodeClock } from './clock';
import { createNodeEntropy } from './entropy';
import { nodeSha1 } from './sha1';
import { createNodeTcpConnector } from './tcp';
import { nodeTextCodec } from './text';
import { nodeAllocate } from './allocate';

export { createNodeClock } from './clock';
export { createNodeEntropy } from './entropy';
export { kindOfNodeCode, toHalError } from './errors';
export { nodeSha1 } from './sha1';
export { createNodeTcpConnector } from './tcp';
export { nodeTextCodec } from './text';
export { nodeAllocate } from './allocate';

/** The HAL on Node: real sockets (TCP and TLS), timers, OS entropy, OpenSSL SHA-1, Buffer UTF-8 and unfilled allocation. */
export function createNodeHal(): Hal {
  return {
    tcp: createNodeTcpConnector(),
    clock: createNodeClock(),
    entropy: createNodeEntropy(),
    sha1: nodeSha1,
    text: nodeTextCodec,
    allocate: nodeAllocate,
  };
}
