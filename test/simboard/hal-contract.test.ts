/**
 * The shared HAL contract (test/hal/contract.ts) against hal/espruino running INSIDE a
 * simulated board, for each chip. The HAL is bundled for the board (the Espruino gate
 * included), loaded with Modules.addCached, and created on the board; its sockets are the
 * simboard's emulated `net`, which carries them over real loopback TCP to the same servers
 * the node HAL's contract run uses (echo, FIN on accept, RST on data, a refused port, an
 * unresolvable `.invalid` host). `settle` waits on the real event loop.
 *
 * The host reaches the board's HAL through {@link hostView}, which only moves values across
 * the realm boundary: onData's Uint8Array, onError's object and the Errors that write()
 * throws belong to the board's realm, where the recorder's prototype checks and chai's
 * `throw(Error)` (instanceof) would reject them for the wrong reason. Every call and every
 * callback goes straight through, at the same moment, so the contract's timing rules are
 * checked on the HAL itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { getBoard } from '../../boards/index.ts';
import type { Hal, HalError, TcpHandlers, TcpSocket, TcpTarget } from '../../hal/types.ts';
import { boardDefines } from '../../tools/build.ts';
import { buildChecked } from '../../tools/espruino-bundle.ts';
import { createSimBoard, type BoardName } from '../../tools/simboard/index.ts';
import { halContract } from '../hal/contract.ts';
import { refusedPort, startEchoServer, startFinServer, startResetServer } from '../helpers/tcp-servers.ts';
import { BOARDS, sleep } from './helpers.ts';

const ENTRY = path.join(import.meta.dirname, 'fixtures', 'hal-entry.ts');

let bundles: Promise<Record<BoardName, string>> | undefined;

/** hal-entry.ts bundled as an Espruino module for each board (built once, in a temp dir removed at once). */
function halBundles(): Promise<Record<BoardName, string>> {
  bundles ??= (async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'simboard-hal-'));
    try {
      const code = {} as Record<BoardName, string>;
      for (const name of BOARDS) {
        const built = await buildChecked({
          entry: ENTRY,
          outfile: path.join(dir, `${name}.js`),
          format: 'module',
          minify: true,
          define: boardDefines(getBoard(name)),
        });
        code[name] = built.code;
      }
      return code;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return bundles;
}

/** A host Error with the board error's message (chai's throw(Error) checks instanceof). */
function hostError(thrown: unknown): Error {
  const message = thrown && typeof (thrown as { message?: unknown }).message === 'string' ? (thrown as Error).message : String(thrown);
  return new Error(`${message} (thrown on the board)`);
}

function rethrowOnHost<T>(fn: () => T): T {
  try {
    return fn();
  } catch (thrown) {
    throw hostError(thrown);
  }
}

/** The board's HAL seen from the host: the same calls and callbacks, with values moved across realms. */
function hostView(boardHal: Hal): Hal {
  return {
    clock: boardHal.clock,
    entropy: boardHal.entropy,
    tcp: {
      supportsTls: boardHal.tcp.supportsTls,
      connect(target: TcpTarget, handlers: TcpHandlers): TcpSocket {
        const boardHandlers: TcpHandlers = {
          onConnect: () => handlers.onConnect(),
          // A copy into a host Uint8Array: the board's array is of its own realm.
          onData: (bytes) => handlers.onData(new Uint8Array(bytes)),
          onDrain: () => handlers.onDrain(),
          onEnd: () => handlers.onEnd(),
          onError: (error: HalError) => handlers.onError({ kind: error.kind, code: error.code, message: String(error.message) }),
          onClose: () => handlers.onClose(),
        };
        const socket = rethrowOnHost(() => boardHal.tcp.connect({ host: target.host, port: target.port, tls: target.tls }, boardHandlers));
        return {
          // The host's array goes in as it is: the HAL must copy it (E.toString) before returning.
          write: (bytes) => rethrowOnHost(() => socket.write(bytes)),
          end: () => rethrowOnHost(() => socket.end()),
          destroy: () => rethrowOnHost(() => socket.destroy()),
        };
      },
    },
  };
}

for (const name of BOARDS) {
  halContract(`espruino on the simulated ${name}`, async () => {
    const code = (await halBundles())[name];
    const servers = await Promise.all([startEchoServer(), startFinServer(), startResetServer()]);
    const [echo, fin, reset] = servers;
    // The contract pushes 200 KB through a socket at once, more than either chip's JsVars could
    // queue: it checks the HAL's chunking and flow control, not the chip's capacity.
    const board = createSimBoard({ board: name, memoryLimit: false });
    board.addModule('halentry', code);
    const boardHal = board.evaluate("var H = require('halentry'); H.createEspruinoHal(H.board, {})") as Hal;
    return {
      hal: hostView(boardHal),
      echo: echo!,
      finOnAccept: fin!,
      resetOnData: reset!,
      refused: { host: '127.0.0.1', port: await refusedPort() },
      unresolvableHost: 'no-such-host.invalid',
      halfClose: false,
      settle: sleep,
      dispose: async () => {
        await board.shutdown();
        await Promise.all(servers.map((s) => s.close()));
        expect(board.uncaught.map(String), 'uncaught on the board').to.deep.equal([]);
      },
    };
  });
}
