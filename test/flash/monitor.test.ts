import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { main, terminalArgs } from '../../tools/monitor.ts';
import { makeProject, REPO_ROOT, type Project } from './fixtures/harness.ts';
import { at } from '../helpers/at.ts';

describe('tools/monitor', () => {
  describe('command line', () => {
    let project: Project;
    let logs: string[];
    let errors: string[];
    let terminals: string[][];
    beforeEach(() => {
      project = makeProject();
      logs = [];
      errors = [];
      terminals = [];
    });
    afterEach(() => project.dispose());
    const run = (argv: string[], env: Record<string, string> = {}, ports: string[] = []): Promise<number> =>
      main(argv, env, {
        root: project.root,
        log: (line) => logs.push(line),
        error: (line) => errors.push(line),
        listPorts: () => ports,
        terminal: async (args) => {
          terminals.push(args);
          return 0;
        },
      });

    it('opens the espruino terminal on the configured port, sending nothing on connect', async () => {
      expect(await run([], { FLASH_PORT: 'tcp://192.168.1.50:23' })).to.equal(0);
      expect(terminals).to.deep.equal([['-q', '--no-ble', '--config', 'ENV_ON_CONNECT=false', '-b', '115200', '-p', 'tcp://192.168.1.50:23']]);
      expect(logs).to.deep.equal(['monitor: tcp://192.168.1.50:23; Ctrl-C twice in a row leaves.']);
    });

    it('--port and --baud override the configuration', async () => {
      expect(await run(['--port', '/dev/ttyUSB1', '--baud', '9600'], { FLASH_PORT: '/dev/ttyUSB0' }, ['/dev/ttyUSB1'])).to.equal(0);
      expect(at(terminals, 0, 'terminals').slice(-4)).to.deep.equal(['-b', '9600', '-p', '/dev/ttyUSB1']);
    });

    it('without a port, says how to set one and lists the serial ports', async () => {
      expect(await run([], {}, ['/dev/ttyUSB0'])).to.equal(1);
      expect(errors).to.have.length(1);
      expect(errors[0]).to.match(/^monitor: no port given\. .*\nSerial ports on this computer: \/dev\/ttyUSB0\.$/s);
      expect(terminals).to.deep.equal([]);
    });

    it('rejects an unknown option, listing the valid ones', async () => {
      expect(await run(['--prot', 'x'])).to.equal(1);
      expect(errors[0]).to.match(/^monitor: Unknown option '--prot'.*; valid options: --port, --baud, --config, --help \(see --help\)$/);
    });

    it('--help prints the options', async () => {
      expect(await run(['--help'])).to.equal(0);
      expect(logs.join('\n')).to.contain('--port PORT');
    });
  });

  it('terminalArgs gives the espruino CLI a port and baud rate and nothing to send', () => {
    expect(terminalArgs('COM3', 115200)).to.deep.equal(['-q', '--no-ble', '--config', 'ENV_ON_CONNECT=false', '-b', '115200', '-p', 'COM3']);
  });

  describe("npm run monitor against a console on tcp:// (a board's telnet)", function () {
    this.timeout(60000);
    let server: net.Server;
    let monitor: ChildProcess | undefined;
    afterEach(async () => {
      if (monitor?.pid !== undefined && monitor.exitCode === null && monitor.signalCode === null) process.kill(monitor.pid, 'SIGKILL');
      await new Promise((resolve) => server.close(resolve));
    });

    it('shows what the board prints and types what the user types; leaves when stdin ends', async () => {
      let received = '';
      let connected!: () => void;
      const connection = new Promise<void>((resolve) => (connected = resolve));
      server = net.createServer((socket) => {
        socket.on('error', () => {});
        socket.on('data', (chunk) => {
          received += chunk.toString('latin1');
          if (received.endsWith('1+2\n')) socket.write('1+2\r\n=3\r\n>');
        });
        socket.write('[wsclient] streaming to ws://192.168.1.10:8080/ws as kitchen-1\r\n>');
        connected();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = `tcp://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      monitor = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'tools/monitor.ts'), '--port', port], {
        cwd: REPO_ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let output = '';
      monitor.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
      monitor.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('latin1')));
      const exited = new Promise<number | null>((resolve) => monitor!.on('close', resolve));
      await connection;
      while (!output.includes('as kitchen-1')) await new Promise((resolve) => setTimeout(resolve, 50));
      monitor.stdin!.write('1+2\n');
      while (!output.includes('=3')) await new Promise((resolve) => setTimeout(resolve, 50));
      monitor.stdin!.end();
      expect(await exited).to.equal(0);
      expect(output).to.contain(`monitor: ${port}; Ctrl-C twice in a row leaves.`);
      // (a pipe is no terminal: the CLI says it cannot set raw mode, between the two)
      expect(output).to.contain('[wsclient] streaming to ws://192.168.1.10:8080/ws as kitchen-1\r\n>');
      expect(output).to.contain('\n1+2\r\n=3\r\n>');
      expect(received).to.equal('1+2\n'); // no reset, no query, no Ctrl-C on connecting
    });
  });
});
