import { expect } from 'chai';
import { resolveAppConfig } from '../../firmware/app/config';
import { APP_DEFAULTS, AppSettingsSchema, SENSOR_NAMES } from '../../tools/app-settings.ts';
import { z } from '../../tools/config-schema.ts';

/**
 * The host checks the app settings from its schema before an upload; the board checks them again
 * at boot, by hand. The two must agree on every field, bound and default, or an upload the host
 * passes would stop at boot (or the host would refuse what the board takes).
 */
describe('app settings: the host schema and the board agree', () => {
  const known = [...SENSOR_NAMES];
  const board = (settings: Record<string, unknown>): boolean => {
    try {
      resolveAppConfig({ server: 'ws://h/ws', deviceId: 'd', ...settings }, known, 64, ['analog']);
      return true;
    } catch {
      return false;
    }
  };
  const host = (settings: Record<string, unknown>): boolean => AppSettingsSchema.safeParse(settings).success;
  const json = z.toJSONSchema(AppSettingsSchema, { io: 'input' }) as { properties: Record<string, { type?: string; minimum?: number; maximum?: number }> };

  it('on the fields (the board also takes server and deviceId, which the upload sets at the top level)', () => {
    let message = '';
    try {
      resolveAppConfig({ server: 'ws://h/ws', deviceId: 'd', nope: 1 }, known, 64, ['analog']);
    } catch (error) {
      message = (error as Error).message;
    }
    const listed = /\(known: (.*)\)/.exec(message)?.[1] ?? expect.fail(`the error names no known fields: ${JSON.stringify(message)}`);
    const boardFields = listed.split(', ');
    expect(boardFields).to.include.members(['server', 'deviceId']);
    expect(Object.keys(json.properties).sort()).to.deep.equal(boardFields.filter((f) => f !== 'server' && f !== 'deviceId').sort());
  });

  it('on the defaults', () => {
    const filled = resolveAppConfig({ server: 'ws://h/ws', deviceId: 'd' }, known, 64, ['analog']) as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(APP_DEFAULTS)) expect(filled[field], field).to.equal(value);
  });

  const numbers = Object.entries(json.properties).filter(([, p]) => p.type === 'integer');
  it('there are whole-number fields to compare', () => expect(numbers.length).to.equal(10));
  for (const [field, { minimum, maximum }] of numbers) {
    it(`on ${field}: ${minimum} to ${maximum}, whole, a number (and the rules across fields, defaults filling in)`, () => {
      const min = minimum as number;
      const max = maximum as number;
      for (const value of [min - 1, min, min + 0.5, max, max + 1, String(min), null, true]) {
        expect(host({ [field]: value }), `host, ${field}: ${JSON.stringify(value)}`).to.equal(board({ [field]: value }));
        expect(board({ [field]: value }), `${field}: ${JSON.stringify(value)}`).to.equal(
          typeof value === 'number' && value >= min && value <= max && Number.isInteger(value) && orderedWithDefaults(field, value),
        );
      }
    });
  }

  it('on the rules across fields', () => {
    for (const settings of [
      { reconnectMinDelay: 5000, reconnectMaxDelay: 4999 },
      { reconnectMinDelay: 5000, reconnectMaxDelay: 5000 },
      { fatalRetryMaxDelay: 1000 },
      { fatalRetryMinDelay: 600001 },
    ]) {
      expect(host(settings), JSON.stringify(settings)).to.equal(board(settings));
    }
    expect(host({ reconnectMinDelay: 5000, reconnectMaxDelay: 4999 })).to.equal(false);
  });

  it('on encoding, token and sensors', () => {
    const cases: Record<string, unknown>[] = [
      { encoding: 'json' },
      { encoding: 'binary' },
      { encoding: 'cbor' },
      { encoding: 1 },
      { token: '' },
      { token: 'abc~+/=._-XYZ09' },
      { token: 'a b' },
      { token: 'a\r\nX: y' },
      { token: 't'.repeat(256) },
      { token: 't'.repeat(257) },
      { token: 5 },
      { sensors: ['analog'] },
      { sensors: [...known] },
      { sensors: [] },
      { sensors: ['humidity'] },
      { sensors: 'analog' },
      { sensors: Array(16).fill('analog') },
      { sensors: Array(17).fill('analog') },
    ];
    for (const settings of cases) expect(host(settings), JSON.stringify(settings)).to.equal(board(settings));
  });
});

/** A bound moved alone must stay on the right side of its partner's default. */
function orderedWithDefaults(field: string, value: number): boolean {
  if (field === 'reconnectMinDelay') return value <= APP_DEFAULTS.reconnectMaxDelay;
  if (field === 'reconnectMaxDelay') return value >= APP_DEFAULTS.reconnectMinDelay;
  if (field === 'fatalRetryMinDelay') return value <= APP_DEFAULTS.fatalRetryMaxDelay;
  if (field === 'fatalRetryMaxDelay') return value >= APP_DEFAULTS.fatalRetryMinDelay;
  return true;
}
