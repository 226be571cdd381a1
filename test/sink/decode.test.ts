import { expect } from 'chai';
import fc from 'fast-check';
import { encodeBinary, MalformedMessage, parseBinary, parseCommand, parseText } from '../../tools/sink/decode';

const hello = { type: 'hello', device: 'esp-1', board: 'esp32', boot: 7, sensors: ['analog', 'temperature'], encoding: 'json', interval: 1000 };
const reading = { type: 'reading', device: 'esp-1', boot: 7, seq: 1, time: 1000, values: { analog: 0.5, temperature: 21.5 } };

function malformed(text: string): string {
  try {
    parseText(text);
  } catch (error) {
    expect(error).to.be.instanceOf(MalformedMessage);
    return (error as Error).message;
  }
  throw new Error(`accepted ${text}`);
}

describe('sink decode', () => {
  it('parses every device message type', () => {
    expect(parseText(JSON.stringify(hello))).to.deep.equal(hello);
    expect(parseText(JSON.stringify(reading))).to.deep.equal(reading);
    expect(parseText('{"type":"ack","id":"c-1"}')).to.deep.equal({ type: 'ack', id: 'c-1' });
    expect(parseText('{"type":"error","id":null,"error":"bad"}')).to.deep.equal({ type: 'error', id: null, error: 'bad' });
    const metrics = parseText(
      '{"type":"metrics","device":"esp-1","boot":7,"rssi":null,"freeVars":900,"reconnects":2,"dropped":0,"rtt":35,"uptime":5000,"buffered":1}',
    );
    expect(metrics).to.include({ type: 'metrics', rssi: null, freeVars: 900, rtt: 35, buffered: 1 });
  });

  it('rejects bad JSON, non-objects, unknown types and bad fields with a reason', () => {
    expect(malformed('{nope')).to.equal('bad JSON');
    expect(malformed('[1]')).to.equal('not a JSON object');
    expect(malformed('{"type":"telemetry"}')).to.match(/unknown type "telemetry"/);
    expect(malformed(JSON.stringify({ ...hello, boot: -1 }))).to.match(/boot/);
    expect(malformed(JSON.stringify({ ...hello, boot: 2 ** 32 }))).to.match(/boot/);
    expect(malformed(JSON.stringify({ ...hello, encoding: 'cbor' }))).to.match(/encoding/);
    expect(malformed(JSON.stringify({ ...hello, sensors: 'analog' }))).to.match(/sensors/);
    expect(malformed(JSON.stringify({ ...hello, device: '' }))).to.match(/device/);
    expect(malformed(JSON.stringify({ ...reading, seq: 0 }))).to.match(/seq/);
    expect(malformed(JSON.stringify({ ...reading, seq: 1.5 }))).to.match(/seq/);
    expect(malformed(JSON.stringify({ ...reading, values: { analog: '1' } }))).to.match(/analog/);
    expect(malformed(JSON.stringify({ ...reading, time: 'now' }))).to.match(/time/);
    expect(malformed('{"type":"metrics","device":"esp-1","boot":7,"rtt":"fast"}')).to.match(/rtt/);
  });

  it('binary readings round-trip through encodeBinary and parseBinary', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }), { maxLength: 8 }),
        (seq, boot, time, values) => {
          const sensors = values.map((_, i) => `s${i}`);
          const decoded = parseBinary(encodeBinary({ seq, boot, time, values }), 'esp-1', sensors);
          expect(decoded).to.deep.equal({
            type: 'reading',
            device: 'esp-1',
            boot,
            seq,
            time,
            values: Object.fromEntries(sensors.map((s, i) => [s, values[i]])),
          });
        },
      ),
    );
  });

  it('lays binary readings out big-endian as documented', () => {
    const bytes = encodeBinary({ seq: 0x01020304, boot: 0x0a0b0c0d, time: 1, values: [1] });
    expect([...bytes]).to.deep.equal([1, 1, 2, 3, 4, 10, 11, 12, 13, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 1, 0x3f, 0x80, 0, 0]);
  });

  it('rejects a wrong kind, a wrong length and a value count that does not match the sensors', () => {
    const good = encodeBinary({ seq: 1, boot: 7, time: 0, values: [1, 2] });
    const wrongKind = good.slice();
    wrongKind[0] = 2;
    expect(() => parseBinary(wrongKind, 'd', ['a', 'b'])).to.throw(MalformedMessage, /kind/);
    expect(() => parseBinary(good.subarray(0, good.length - 1), 'd', ['a', 'b'])).to.throw(MalformedMessage, /bytes/);
    expect(() => parseBinary(good.subarray(0, 10), 'd', ['a', 'b'])).to.throw(MalformedMessage, /header/);
    expect(() => parseBinary(good, 'd', ['a'])).to.throw(MalformedMessage, /sensors/);
  });

  it('validates commands', () => {
    expect(parseCommand({ command: 'set-interval', interval: 500, extra: 1 })).to.deep.equal({ command: 'set-interval', interval: 500 });
    expect(parseCommand({ command: 'report-metrics' })).to.deep.equal({ command: 'report-metrics' });
    expect(parseCommand({ command: 'set-interval', interval: 5 })).to.be.a('string');
    expect(parseCommand({ command: 'set-interval', interval: '500' })).to.be.a('string');
    expect(parseCommand({ command: 'reboot' })).to.match(/unknown command/);
    expect(parseCommand([])).to.be.a('string');
  });
});
