/**
 * Writes `flash.schema.json`, the JSON Schema of flash.config.json and flash.local.json, from the
 * schema `npm run flash` validates with (tools/flash-config.ts): `npm run schema`. Editors read
 * it through the files' `"$schema"` key; a test fails when the committed file differs.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { flashJsonSchema } from './flash-config';

export const SCHEMA_FILE = 'flash.schema.json';

/** The file's exact text. */
export function flashSchemaText(): string {
  return `${JSON.stringify(flashJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] && /tools[\\/]schema\.ts$/.test(process.argv[1])) {
  const file = path.resolve(import.meta.dirname, '..', SCHEMA_FILE);
  writeFileSync(file, flashSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
