/** The board profiles are consistent with each other, with the protocol, and with the platform. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { BOARDS, boardNames, getBoard, runtimeOf } from '../../boards/index';
import { resolveAppConfig } from '../../firmware/app/config';
import { resolveClientOptions } from '../../firmware/client-options';
import { createSimBoard, type BoardName } from '../../tools/simboard/index';
import { resolveOptions } from '../../protocol/index';
import { TX_PAYLOAD_OFFSET } from '../../protocol/options';
import { entry } from '../helpers/at';

const root = join(import.meta.dirname, '..', '..');

describe('boards', () => {
  it('knows esp32 and esp8266, by name and case-insensitively', () => {
    expect(boardNames()).to.deep.equal(['esp32', 'esp8266']);
    expect(getBoard('esp32').espruinoBoard).to.equal('ESP32');
    expect(getBoard('ESP8266').espruinoBoard).to.equal('ESP8266_4MB');
  });

  it('rejects an unknown board with the list of known ones', () => {
    expect(() => getBoard('esp32s3')).to.throw('unknown board "esp32s3": known boards are esp32, esp8266');
  });

  for (const board of BOARDS) {
    describe(board.name, () => {
      it('has limits the protocol and the client accept', () => {
        const limits = resolveOptions(board.limits);
        const client = resolveClientOptions({ ...board.limits, maxBufferedAmount: board.maxBufferedAmount });
        expect(client.maxBufferedAmount).to.equal(board.maxBufferedAmount);
        // The receive buffer starts small and may grow to the message limit.
        expect(limits.rxBufferSize).to.be.at.most(limits.maxMessageSize);
        expect(limits.rxBufferSize).to.be.at.most(4 * board.chunkSize);
      });

      it('fits its send buffer and socket queue, and a maximum message held twice, in its JsVar plan', () => {
        const limits = resolveOptions(board.limits);
        const frame = limits.txBufferSize - TX_PAYLOAD_OFFSET + 8; // payload + 16-bit length header + mask
        // The send buffer, plus what the socket may queue: the write window and the frame that crosses it.
        const sendBytes = limits.txBufferSize + board.writeWindow + frame;
        expect(sendBytes / board.bytesPerVar).to.be.below(board.vars / 5);
        // A small frame never waits for 'drain': the window holds at least one socket chunk.
        expect(board.writeWindow).to.be.at.least(board.chunkSize);
        // A maximum message held twice (receive buffer and the delivered copy) fits in the plan.
        const varsForTwoMessages = (2 * limits.maxMessageSize) / board.bytesPerVar;
        expect(varsForTwoMessages).to.be.below(board.vars);
        expect(board.maxBufferedAmount).to.be.at.least(limits.maxMessageSize);
      });

      it('allows an 8000-byte message, the size the echo tests use', () => {
        expect(resolveOptions(board.limits).maxMessageSize).to.be.at.least(8000);
      });

      it('has the platform facts right', () => {
        expect(board.baud).to.equal(115200);
        expect(board.rngRegister).to.be.a('number');
        expect(board.analogPins.length).to.be.greaterThan(0);
        expect(board.budget.wsclient).to.be.greaterThan(10000);
        expect(board.budget.firmware).to.be.at.least(board.budget.wsclient);
        // Resident JsVars of wsclient.js: a target under a limit, both within the JsVars planned for the board.
        expect(board.budget.residentVars.target).to.be.at.most(board.budget.residentVars.limit);
        expect(board.budget.residentVars.limit).to.be.below(board.vars);
      });

      it('keeps only what the board needs in its runtime part', () => {
        expect(Object.keys(runtimeOf(board)).sort()).to.deep.equal([
          'analogPins',
          'limits',
          'maxBufferedAmount',
          'name',
          'nativeSha1',
          'readingCapacity',
          'rngRegister',
          'sensors',
          'tls',
          'writeWindow',
        ]);
      });

      it('gives the streaming app its own sensors as the default, and refuses others by name', () => {
        const known = board.sensors.concat(board.analogPins);
        const config = resolveAppConfig({ server: 'ws://h/ws', deviceId: 'd' }, known, board.readingCapacity, board.sensors);
        expect(config.sensors).to.deep.equal(board.sensors);
        expect(config.bufferCapacity).to.equal(board.readingCapacity);
        for (const missing of ['analog', 'temperature', 'memory'].filter((s) => !board.sensors.includes(s))) {
          expect(() => resolveAppConfig({ server: 'ws://h/ws', deviceId: 'd', sensors: [missing] }, known, board.readingCapacity, board.sensors)).to.throw(
            `config field sensors must be names from ${known.join(', ')}, got "${missing}"`,
          );
        }
      });

      it('lists as default sensors only readings its chip has (checked on the simulated chip)', async () => {
        const chip = createSimBoard({ board: board.name as BoardName });
        try {
          // What the firmware reads for each (hal/espruino/device.ts); NaN would stream as null.
          const reads: Record<string, string> = {
            analog: `analogRead(${JSON.stringify(board.analogPins[0])})`,
            temperature: 'E.getTemperature()',
          };
          for (const sensor of board.sensors) {
            // The simulated chip has no process.memory(); every Espruino build has (espruino-platform §4.2).
            if (sensor === 'memory') continue;
            const value = chip.evaluate(entry(reads, sensor, 'sensor reads')) as number;
            expect(value, `${board.name} ${sensor}`).to.be.a('number').and.not.be.NaN;
          }
          if (!board.sensors.includes('temperature')) expect(chip.evaluate('isNaN(E.getTemperature())')).to.equal(true);
        } finally {
          await chip.shutdown();
        }
      });
    });
  }

  it('ESP32: TLS, 536-byte chunks, 14-byte JsVars, ADC1 pins D32-D39, RNG at 0x3FF75144', () => {
    const b = getBoard('esp32');
    expect([b.tls, b.chunkSize, b.bytesPerVar, b.rngRegister]).to.deep.equal([true, 536, 14, 0x3ff75144]);
    expect(b.analogPins).to.deep.equal(['D32', 'D33', 'D34', 'D35', 'D36', 'D37', 'D38', 'D39']);
  });

  it('ESP8266: no TLS, 268-byte chunks, 1600 JsVars of 12 bytes (ESP8266_4MB; the 512 KB build has 1700), A0, RNG at 0x3FF20E44', () => {
    const b = getBoard('esp8266');
    expect([b.tls, b.chunkSize, b.vars, b.bytesPerVar, b.rngRegister]).to.deep.equal([false, 268, 1600, 12, 0x3ff20e44]);
    expect(b.analogPins).to.deep.equal(['A0']);
    expect(b.sensors).to.deep.equal(['analog', 'memory']); // no temperature sensor
    expect(b.limits).to.deep.include({ txBufferSize: 272, rxBufferSize: 256, maxMessageSize: 8192 });
  });

  it('profiles are data: they import only boards/types and protocol types', () => {
    for (const name of boardNames()) {
      const text = readFileSync(join(root, 'boards', `${name}.ts`), 'utf8');
      const imports = [...text.matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
      for (const spec of imports) expect(spec, `boards/${name}.ts imports ${spec}`).to.match(/^\.\/types$|^\.\.\/protocol\//);
    }
  });
});
