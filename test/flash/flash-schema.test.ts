import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import * as z from 'zod';
import { checkFlashFile } from '../../tools/flash-config.ts';
import { flashSchemaText, SCHEMA_FILE } from '../../tools/schema.ts';
import { REPO_ROOT } from './fixtures/harness.ts';

const committed = (): string => readFileSync(path.join(REPO_ROOT, SCHEMA_FILE), 'utf8');

describe('flash.schema.json: the JSON Schema editors read for flash.config.json and flash.local.json', () => {
  it('is what the schema npm run flash validates with generates (npm run schema rewrites it)', () => {
    expect(committed(), `${SCHEMA_FILE} differs from tools/flash-config.ts: run npm run schema`).to.equal(flashSchemaText());
  });

  it('the committed flash.config.json points editors at it', () => {
    const config = JSON.parse(readFileSync(path.join(REPO_ROOT, 'flash.config.json'), 'utf8'));
    expect(config.$schema).to.equal(`./${SCHEMA_FILE}`);
  });

  describe('accepts and refuses what the loader does, read back as a validator', () => {
    // The file as an editor gets it, turned back into a validator: it must agree with the loader.
    const loader = (sample: unknown): boolean => {
      try {
        checkFlashFile(sample, 'sample.json');
        return true;
      } catch {
        return false;
      }
    };
    const fromFile = (): z.ZodType => z.fromJSONSchema(JSON.parse(committed()));
    const good: Record<string, unknown>[] = [
      {},
      { $schema: './flash.schema.json', _comment: 'notes', port: '' },
      { board: 'esp8266', port: 'tcp://10.0.0.5:23', baud: 9600, save: 'ram', credentials: 'wifi-save', telnet: true },
      { wifi: { password: '' }, server: 'wss://example.com/ws', deviceId: 'kitchen-1', token: 'abcdefghijklmnop-_0123' },
      { app: { sampleInterval: 50, sensors: ['analog', 'A0'], encoding: 'binary', window: 1000, token: '' } },
    ];
    const bad: Record<string, unknown>[] = [
      { board: 'esp99' },
      { baud: 0 },
      { baud: 9600.5 },
      { baud: '9600' },
      { save: 'flash' },
      { port: 3 },
      { port: 'tcp://' },
      { wifi: 'Home' },
      { wifi: { ssid: '' } },
      { wifi: { ssid: 'x'.repeat(33) } },
      { wifi: { pass: 'x' } },
      { wifi: { password: 'p'.repeat(65) } },
      { server: 'http://example.com/' },
      { deviceId: '' },
      { deviceId: 'my board' },
      { telnet: 'yes' },
      { credentials: 'nvs' },
      { token: 'short' },
      { bauds: 9600 },
      { app: 5000 },
      { app: { sampleIntervall: 5 } },
      { app: { sampleInterval: 49 } },
      { app: { sensors: [] } },
      { app: { sensors: ['humidity'] } },
      { app: { encoding: 'cbor' } },
      { app: { token: 'a b' } },
      { app: { server: 'ws://h/' } },
    ];
    for (const sample of good) {
      it(`accepts ${JSON.stringify(sample)}`, () => {
        expect(loader(sample), 'the loader').to.equal(true);
        expect(fromFile().safeParse(sample).success, SCHEMA_FILE).to.equal(true);
      });
    }
    for (const sample of bad) {
      it(`refuses ${JSON.stringify(sample)}`, () => {
        expect(loader(sample), 'the loader').to.equal(false);
        expect(fromFile().safeParse(sample).success, SCHEMA_FILE).to.equal(false);
      });
    }
  });
});
