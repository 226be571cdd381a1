import { expect } from 'chai';
import { createSimHal } from '../../hal/sim/index';
import { resolveAppConfig } from '../../firmware/app/config';
import { SensorStreamer } from '../../firmware/app/streamer';
import { INTERVAL_MAX, INTERVAL_MIN } from '../../firmware/app/wire';
import { parseCommand } from '../../tools/sink/decode';
import { startSink } from '../../tools/sink/index';
import { SimWsServer } from '../helpers/sim-ws-server';
import { at } from '../helpers/at';
import { FakeDevice } from './fake-device';

/** Commands at and around every rule of the device's command handler. */
const COMMANDS: { [field: string]: unknown }[] = [
  { command: 'set-interval', interval: 10 },
  { command: 'set-interval', interval: INTERVAL_MIN - 1 },
  { command: 'set-interval', interval: INTERVAL_MIN },
  { command: 'set-interval', interval: 1000 },
  { command: 'set-interval', interval: INTERVAL_MAX },
  { command: 'set-interval', interval: INTERVAL_MAX + 1 },
  { command: 'set-interval', interval: 100.5 },
  { command: 'set-interval', interval: '100' },
  { command: 'set-interval', interval: null },
  { command: 'set-interval' },
  { command: 'report-metrics' },
  { command: 'reboot' },
  {},
];

/** What the real application (SensorStreamer on the simulated network) answers each command with (undefined: no answer). */
function deviceAnswers(commands: { [field: string]: unknown }[]): ({ type: string; error?: string } | undefined)[] {
  const sim = createSimHal({ seed: 9 });
  const replies: { [id: string]: { type: string; error?: string } } = {};
  const server = new SimWsServer(sim.network, 'sink.test', 8080, {
    echo: false,
    onMessage: (_connection, message) => {
      const json = JSON.parse(Buffer.from(message.data).toString());
      if ((json.type === 'ack' || json.type === 'error') && typeof json.id === 'string') replies[json.id] = json;
    },
  }).start();
  const config = resolveAppConfig(
    { server: 'ws://sink.test:8080/ws', deviceId: 'dev-1', sensors: ['analog'], metricsInterval: 0, sampleInterval: 60000 },
    ['analog'],
    16,
    ['analog'],
  );
  const app = new SensorStreamer(config, {
    hal: sim.hal,
    board: 'sim',
    sensorNames: ['analog'],
    readSensor: () => 0.5,
    rssi: () => -50,
    freeVars: () => 1000,
    wallClock: () => sim.clock.now(),
    log: () => {},
  });
  app.start();
  sim.clock.advance(1000);
  commands.forEach((command, i) => {
    at(server.connections, 0, 'connections to the sim sink').send(1, JSON.stringify({ ...command, type: 'command', id: `c${i}` }));
  });
  sim.clock.advance(1000);
  app.stop();
  sim.clock.runUntilIdle();
  return commands.map((_, i) => replies[`c${i}`]);
}

describe('wire format: the sink refuses exactly the commands a device refuses', () => {
  it('agrees with the device application on every command, with the same error text', () => {
    const device = deviceAnswers(COMMANDS);
    COMMANDS.forEach((command, i) => {
      const sink = parseCommand(command);
      const what = JSON.stringify(command);
      const reply = at(device, i, `device reply to ${what}`);
      if (reply.type === 'ack') expect(sink, `sink on ${what}`).to.be.an('object');
      else expect(sink, `sink on ${what}`).to.equal(reply.error);
    });
    // The case that started it: the sink used to accept 10 ms, which the device then refused.
    expect(device[0]).to.deep.include({ type: 'error' });
    expect(parseCommand(COMMANDS[0])).to.equal('set-interval: "interval" must be a whole number of ms from 50 to 86400000, got 10');
  });

  it('POST /api/devices/<id>/command answers 400 naming the field, and sends the device nothing', async () => {
    const sink = await startSink({ port: 0 });
    const device = await FakeDevice.connect(sink.wsUrl, { device: 'esp-1' });
    await device.send(1);
    const post = (body: object) =>
      fetch(`${sink.url}/api/devices/esp-1/command`, { method: 'POST', body: JSON.stringify(body) }).then(async (res) => ({
        status: res.status,
        body: await res.json(),
      }));
    expect(await post({ command: 'set-interval', interval: 10 })).to.deep.equal({
      status: 400,
      body: { error: 'set-interval: "interval" must be a whole number of ms from 50 to 86400000, got 10' },
    });
    expect(() => sink.sendCommand('esp-1', { command: 'set-interval', interval: 49 })).to.throw(TypeError, /"interval" must be .* got 49/);
    expect(device.count('command')).to.equal(0);
    expect((await post({ command: 'set-interval', interval: 50 })).status).to.equal(200);
    expect(await device.next('command')).to.include({ command: 'set-interval', interval: 50 });
    await sink.close();
    await device.close();
  });
});
