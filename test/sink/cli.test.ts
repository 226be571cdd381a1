import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { NetworkInterfaceInfo } from 'node:os';
import { parseSinkArgs, SINK_USAGE } from '../../tools/sink/index';
import { hostPort, reachableHosts } from '../../tools/sink/addresses';

const ROOT = join(import.meta.dirname, '..', '..');

function nic(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  return { address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 } as NetworkInterfaceInfo;
}
const INTERFACES = {
  lo: [nic('127.0.0.1', 'IPv4', true), nic('::1', 'IPv6', true)],
  eth0: [nic('192.168.1.10', 'IPv4'), nic('fe80::1', 'IPv6'), nic('2001:db8::10', 'IPv6')],
  wlan0: [nic('10.0.0.7', 'IPv4')],
};

describe('sink command line', () => {
  it('parses --name value and --name=value, with defaults', () => {
    expect(parseSinkArgs([])).to.deep.equal({ help: false, host: '127.0.0.1', port: 8080, file: undefined, tokens: undefined, addDevice: undefined });
    expect(parseSinkArgs(['--host=0.0.0.0', '--port', '9000', '--file=r.jsonl', '--tokens', 't.json'])).to.include({
      host: '0.0.0.0',
      port: 9000,
      file: 'r.jsonl',
      tokens: 't.json',
    });
    expect(parseSinkArgs(['-h']).help).to.equal(true);
    expect(parseSinkArgs(['--tokens', 't.json', '--add-device=esp32-1']).addDevice).to.equal('esp32-1');
  });

  it('refuses unknown flags and bad values, naming them', () => {
    expect(() => parseSinkArgs(['--prot', '80'])).to.throw(/Unknown option '--prot'.*--help/);
    expect(() => parseSinkArgs(['--port', 'eighty'])).to.throw('--port must be a whole number from 0 to 65535, got "eighty"');
    expect(() => parseSinkArgs(['--port', '70000'])).to.throw(/--port must be/);
    expect(() => parseSinkArgs(['--port', '70000'])).to.throw('--port must be a whole number from 0 to 65535, got "70000"');
    expect(() => parseSinkArgs(['--host='])).to.throw('--host must not be empty, got ""');
    expect(() => parseSinkArgs(['--add-device', 'x'])).to.throw('--add-device needs --tokens FILE');
    expect(() => parseSinkArgs(['--tokens', 't.json', '--add-device', 'my board'])).to.throw(
      `--add-device must be 1 to 32 letters, digits, '-', '_' or '.', got "my board"`,
    );
    expect(() => parseSinkArgs(['extra'])).to.throw(/Unexpected argument 'extra'/);
  });

  it('--help prints the usage; a typo exits 1 with the error', () => {
    const script = join(ROOT, 'tools', 'sink', 'index.ts');
    const help = spawnSync(process.execPath, ['--import', 'tsx', script, '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 15000 });
    expect(help.status).to.equal(0);
    expect(help.stdout.trim()).to.equal(SINK_USAGE);
    const typo = spawnSync(process.execPath, ['--import', 'tsx', script, '--hots', '0.0.0.0'], { cwd: ROOT, encoding: 'utf8', timeout: 15000 });
    expect(typo.status).to.equal(1);
    expect(typo.stderr).to.match(/^sink: Unknown option '--hots'/);
  });
});

describe('sink device URLs', () => {
  it("a wildcard host lists the machine's LAN addresses, not 0.0.0.0", () => {
    expect(reachableHosts('0.0.0.0', INTERFACES)).to.deep.equal(['192.168.1.10', '10.0.0.7']);
    expect(reachableHosts('::', INTERFACES)).to.deep.equal(['192.168.1.10', '10.0.0.7', '2001:db8::10']);
    expect(reachableHosts('192.168.1.10', INTERFACES)).to.deep.equal(['192.168.1.10']);
    expect(reachableHosts('0.0.0.0', { lo: INTERFACES.lo })).to.deep.equal([]);
    expect(hostPort('2001:db8::10', 8080)).to.equal('[2001:db8::10]:8080');
    expect(hostPort('10.0.0.7', 8080)).to.equal('10.0.0.7:8080');
  });
});
