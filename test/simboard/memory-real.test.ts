/**
 * The simulated board's memory model against a real Espruino interpreter, measured now: set
 * ESPRUINO_BIN (an ESP32-like Linux build) and/or ESPRUINO8266_BIN (ESP8266-like); without them
 * this is skipped, saying why, and memory.test.ts checks the model against the figures recorded
 * from these same runs (fixtures/memory-calibration.ts). Each test prints both figures.
 *
 * Besides the model, it checks that the interpreter still gives the recorded figures (within the
 * same tolerance): a change of interpreter or of the way a case runs shows up here first.
 */
import { expect } from 'chai';
import type { BoardName } from '../../tools/simboard/index.ts';
import { createSimBoard } from '../../tools/simboard/index.ts';
import { CALIBRATION_PROGRAM, MEASURED, MEASURED_PROGRAMS, TOLERANCE } from './fixtures/memory-calibration.ts';
import { BOARDS } from './helpers.ts';
import { calibrationScript, runForResult, scratch } from './interpreter-memory.ts';
import { agrees, measure, PROGRAM_CASES, simulate } from './memory-programs.ts';

const BINS: Record<BoardName, string | undefined> = { esp32: process.env.ESPRUINO_BIN, esp8266: process.env.ESPRUINO8266_BIN };
const VARIABLE: Record<BoardName, string> = { esp32: 'ESPRUINO_BIN', esp8266: 'ESPRUINO8266_BIN' };

describe('simboard memory model against the real interpreter, measured live', function () {
  this.timeout(600_000);

  for (const name of BOARDS) {
    describe(name, () => {
      before(function () {
        if (!BINS[name]) {
          console.log(
            `      (skipped: ${VARIABLE[name]} is not set; point it at an ${name === 'esp32' ? 'ESP32' : 'ESP8266'}-like Espruino Linux build to measure)`,
          );
          this.skip();
        }
      });

      it(`CALIBRATION_PROGRAM: the model within ${TOLERANCE * 100}% of the interpreter`, async () => {
        const { dir, remove } = scratch();
        let live: number;
        try {
          live = Number(/usage=(\d+)/.exec(await runForResult(BINS[name]!, dir, calibrationScript()))?.[1]);
        } finally {
          remove();
        }
        const board = createSimBoard({ board: name });
        board.run(CALIBRATION_PROGRAM, 'calibration.js');
        const modelled = Number(/usage=(\d+)/.exec(board.output.find((l) => l.startsWith('CAL ')) ?? '')?.[1]);
        await board.shutdown();
        console.log(`      interpreter ${live}, model ${modelled}, recorded ${MEASURED[name].usage}`);
        expect(agrees(modelled, live, TOLERANCE), `modelled ${modelled}, measured ${live}`).to.equal(true);
        expect(agrees(live, MEASURED[name].usage, TOLERANCE), `recorded ${MEASURED[name].usage}, measured now ${live}`).to.equal(true);
      });

      for (const kind of PROGRAM_CASES) {
        it(`${kind} (the recorded bundle): the model agrees with the interpreter within ${TOLERANCE * 100}%`, async () => {
          const live = await measure(BINS[name]!, name, kind);
          const modelled = await simulate(name, kind);
          const recorded = MEASURED_PROGRAMS[name][kind];
          console.log(`      interpreter ${live}, model ${modelled}, recorded ${recorded === 'OUT OF MEMORY' ? recorded : recorded.join(', ')}`);
          expect(agrees(modelled, live, TOLERANCE), `modelled ${modelled}, measured ${live}`).to.equal(true);
          for (const figure of recorded === 'OUT OF MEMORY' ? [recorded] : recorded) {
            expect(agrees(live, figure, TOLERANCE), `recorded ${figure}, measured now ${live}`).to.equal(true);
          }
        });
      }
    });
  }
});
