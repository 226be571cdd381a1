/**
 * The HAL contract: the rules of hal/types.ts, checked the same way against every
 * implementation. Each implementation's test file calls {@link halContract} with a
 * fixture that provides its servers and its notion of time.
 */
import { expect } from 'chai';
import type { Hal, TcpSocket } from '../../hal/types';
import { bytesDiff, concatBytes, pattern, TcpRecorder } from '../helpers/tcp-recorder';
import { at } from '../helpers/at';

export interface ContractAddress {
  host: string;
  port: number;
}

export interface ContractFixture {
  hal: Hal;
  /** Echoes every byte back and half-closes when the client does. */
  echo: ContractAddress;
  /** Accepts, then half-closes (FIN) at once. */
  finOnAccept: ContractAddress;
  /** Resets the connection as soon as it receives a byte. */
  resetOnData: ContractAddress;
  /** Nobody listens there: connecting is refused. */
  refused: ContractAddress;
  /** A host name that does not resolve. */
  unresolvableHost: string;
  /**
   * Whether end() half-closes (the peer's data still arrives afterwards). Espruino has no
   * half-close for client sockets: end() closes the whole connection once the queue is sent.
   */
  halfClose: boolean;
  /** Lets `ms` of time pass, delivering whatever falls due (real waiting, or a virtual clock). */
  settle(ms: number): Promise<void>;
  /** Closes the servers; may also assert that nothing was left open or scheduled. */
  dispose(): Promise<void>;
}

/** Polling step and patience, in the fixture's time. */
const STEP_MS = 5;
const PATIENCE_MS = 10_000;
/** How long to keep watching after onClose for events that should never come. */
const AFTERMATH_MS = 50;
/** The drain test gives up if write() still says "more" after this much. */
const MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

export function halContract(name: string, makeFixture: () => Promise<ContractFixture>): void {
  describe(`${name} HAL contract`, () => {
    let f: ContractFixture;
    let recorders: TcpRecorder[];

    beforeEach(async () => {
      f = await makeFixture();
      recorders = [];
    });

    afterEach(async () => {
      await f.dispose();
    });

    function connect(address: ContractAddress, host = address.host): { socket: TcpSocket; rec: TcpRecorder } {
      const rec = new TcpRecorder();
      recorders.push(rec);
      const socket = rec.call('connect', () => f.hal.tcp.connect({ host, port: address.port, tls: false }, rec.handlers));
      return { socket, rec };
    }

    async function until(what: string, condition: () => boolean): Promise<void> {
      for (let waited = 0; !condition(); waited += STEP_MS) {
        if (waited >= PATIENCE_MS) throw new Error(`gave up waiting for ${what} after ${PATIENCE_MS}ms`);
        await f.settle(STEP_MS);
      }
    }

    /** Watches a little longer, then checks no recorder saw a rule broken. */
    async function expectNoViolations(): Promise<void> {
      await f.settle(AFTERMATH_MS);
      for (const rec of recorders) expect(rec.violations).to.deep.equal([]);
    }

    async function echoRoundTrip(writes: Uint8Array[]): Promise<void> {
      const { socket, rec } = connect(f.echo);
      for (const bytes of writes) rec.write(socket, bytes); // before onConnect: they must wait, not fail
      const sent = concatBytes(writes);
      await until('the echo', () => rec.receivedLength() >= sent.length);
      expect(rec.events[0]).to.equal('connect');
      expect(bytesDiff(rec.received(), sent)).to.equal(undefined);
      rec.end(socket);
      await until('onClose', () => rec.closed);
      await expectNoViolations();
    }

    it('connects and echoes all 256 byte values exactly', async () => {
      await echoRoundTrip([Uint8Array.from({ length: 256 }, (_, i) => i)]);
    });

    it('echoes more than 64 KiB byte for byte, whatever the chunking', async () => {
      const payload = pattern(200_000);
      await echoRoundTrip([payload.subarray(0, 1), payload.subarray(1, 70_000), payload.subarray(70_000)]);
    });

    it('copies written bytes: the caller may overwrite its buffer right after write()', async () => {
      const { socket, rec } = connect(f.echo);
      await until('onConnect', () => rec.events.includes('connect'));
      const buffer = new Uint8Array(1000).fill(0x11);
      rec.write(socket, buffer);
      buffer.fill(0x22);
      rec.write(socket, buffer);
      buffer.fill(0x33);
      const expected = new Uint8Array(2000).fill(0x11, 0, 1000).fill(0x22, 1000);
      await until('the echo', () => rec.receivedLength() >= 2000);
      expect(bytesDiff(rec.received(), expected)).to.equal(undefined);
      rec.destroy(socket);
      await until('onClose', () => rec.closed);
      await expectNoViolations();
    });

    it('never runs a handler inside connect, write, end or destroy', async () => {
      // Every call goes through the recorder, which flags a handler running inside it.
      const a = connect(f.echo);
      a.rec.write(a.socket, pattern(100));
      await until('the echo', () => a.rec.receivedLength() === 100);
      a.rec.write(a.socket, pattern(100));
      a.rec.end(a.socket);
      a.rec.destroy(a.socket);
      a.rec.destroy(a.socket);
      const b = connect(f.echo);
      b.rec.destroy(b.socket);
      const c = connect(f.refused);
      c.rec.end(c.socket);
      await until('every onClose', () => a.rec.closed && b.rec.closed && c.rec.closed);
      await expectNoViolations();
    });

    it('reports a refused connection as onError "refused", then one onClose', async () => {
      const { rec } = connect(f.refused);
      await until('onClose', () => rec.closed);
      expect(rec.events).to.deep.equal(['error', 'close']);
      expect(at(rec.errors, 0, 'rec.errors').kind).to.equal('refused');
      await expectNoViolations();
    });

    it('reports an unresolvable host as onError "dns", then one onClose', async () => {
      const { rec } = connect(f.echo, f.unresolvableHost);
      await until('onClose', () => rec.closed);
      expect(rec.events).to.deep.equal(['error', 'close']);
      expect(at(rec.errors, 0, 'rec.errors').kind).to.equal('dns');
      await expectNoViolations();
    });

    it("reports the peer's FIN as onEnd, then one onClose", async () => {
      const { rec } = connect(f.finOnAccept);
      await until('onClose', () => rec.closed);
      expect(rec.events).to.deep.equal(['connect', 'end', 'close']);
      await expectNoViolations();
    });

    it('reports the peer\'s reset as onError "reset" (or onEnd), then one onClose', async () => {
      const { socket, rec } = connect(f.resetOnData);
      await until('onConnect', () => rec.events.includes('connect'));
      rec.write(socket, Uint8Array.of(1, 2, 3));
      await until('onClose', () => rec.closed);
      expect(rec.count('close')).to.equal(1);
      expect(rec.events.at(-2)).to.be.oneOf(['error', 'end']);
      for (const error of rec.errors) expect(error.kind).to.equal('reset');
      await expectNoViolations();
    });

    it('destroy() gives exactly one onClose and no onData after it; a second destroy() is harmless', async () => {
      const { socket, rec } = connect(f.echo);
      await until('onConnect', () => rec.events.includes('connect'));
      rec.write(socket, pattern(50_000)); // echo data in flight when we destroy
      rec.destroy(socket);
      rec.destroy(socket);
      await until('onClose', () => rec.closed);
      rec.destroy(socket);
      expect(rec.count('close')).to.equal(1);
      await expectNoViolations(); // flags any onData after destroy()
    });

    it('destroy() while connecting gives one onClose and no onConnect', async () => {
      const { socket, rec } = connect(f.echo);
      rec.destroy(socket);
      await until('onClose', () => rec.closed);
      expect(rec.events).to.deep.equal(['close']);
      await expectNoViolations();
    });

    it('write() throws after end(), after destroy() and after onClose', async () => {
      const a = connect(f.echo);
      await until('onConnect', () => a.rec.events.includes('connect'));
      a.rec.end(a.socket);
      expect(() => a.rec.write(a.socket, Uint8Array.of(1))).to.throw(Error);
      await until('onClose', () => a.rec.closed);
      expect(() => a.rec.write(a.socket, Uint8Array.of(1))).to.throw(Error);
      a.rec.end(a.socket); // harmless after close
      a.rec.destroy(a.socket);

      const b = connect(f.echo);
      b.rec.destroy(b.socket);
      expect(() => b.rec.write(b.socket, Uint8Array.of(1))).to.throw(Error);

      const c = connect(f.refused);
      await until('onClose', () => c.rec.closed);
      expect(() => c.rec.write(c.socket, Uint8Array.of(1))).to.throw(Error);
      await until('onClose', () => b.rec.closed);
      await expectNoViolations();
    });

    it('end() sends what is queued first, and nothing fires after onClose', async () => {
      const payload = pattern(100_000, 7);
      const { socket, rec } = connect(f.echo);
      rec.write(socket, payload);
      rec.end(socket);
      await until('onClose', () => rec.closed);
      if (f.halfClose) {
        expect(bytesDiff(rec.received(), payload)).to.equal(undefined);
      } else {
        // The connection closed once the queue was sent: the echo that made it back is a prefix.
        const got = rec.received();
        expect(got.length).to.be.greaterThan(0);
        expect(bytesDiff(got, payload.subarray(0, got.length))).to.equal(undefined);
      }
      expect(rec.events.slice(-2)).to.deep.equal(['end', 'close']);
      await expectNoViolations(); // flags anything after onClose
    });

    it('write() returns false once the backlog is large, and onDrain fires once it is flushed', async () => {
      const { socket, rec } = connect(f.echo);
      await until('onConnect', () => rec.events.includes('connect'));
      // Writing without yielding fills every buffer on the way (Node's, the kernel's, the sim's).
      const piece = pattern(256 * 1024);
      let written = 0;
      let more = true;
      while (more && written < MAX_BACKLOG_BYTES) {
        more = rec.write(socket, piece);
        written += piece.length;
      }
      expect(more, `write() still returned true after ${written} bytes`).to.equal(false);
      await until('onDrain', () => rec.events.includes('drain'));
      await until('the echo', () => rec.receivedLength() === written);
      rec.end(socket);
      await until('onClose', () => rec.closed);
      expect(rec.count('drain')).to.equal(1);
      await expectNoViolations();
    });
  });
}
