/**
 * The README's failure section against the one table of error codes: every code the library
 * can report is documented, nothing documented is unknown, and each failure row states the
 * close code the table gives.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ERROR_CODES, type ErrorCode } from '../../protocol/errors';
import type { HandshakeFailure } from '../../protocol/handshake';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('### How failures surface');
const section = readme.slice(start, readme.indexOf('\n## ', start));
const codesIn = (text: string): string[] => text.match(/WS_ERR_[A-Z0-9_]+/g) || [];

describe('error codes', () => {
  it('the README documents every code, and only known codes', () => {
    expect(start).to.be.greaterThan(0);
    const documented = new Set(codesIn(section));
    expect(
      [...documented].filter((code) => !(code in ERROR_CODES)),
      'documented but unknown',
    ).to.deep.equal([]);
    expect(
      Object.keys(ERROR_CODES).filter((code) => !documented.has(code)),
      'known but undocumented',
    ).to.deep.equal([]);
  });

  it('each failure row states the close code of the codes it lists', () => {
    const rows = section.split('\n').filter((line) => line.startsWith('|') && codesIn(line).length > 0);
    expect(rows.length).to.be.greaterThan(8);
    for (const row of rows) {
      const cells = row.split('|').map((cell) => cell.trim());
      const closeCell = cells[3];
      for (const code of codesIn(cells[2]) as ErrorCode[]) {
        const close = ERROR_CODES[code];
        expect(close, `${code} is a failure with a close code`).to.not.equal(null);
        expect(closeCell.startsWith(String(close)), `${code}: "${closeCell}" should start with ${close}`).to.equal(true);
      }
    }
  });

  it('has a WS_ERR_HANDSHAKE_<KIND> code for every kind of handshake failure', () => {
    // The kinds of HandshakeFailure, listed so that adding one without its code fails here.
    const kinds: Record<HandshakeFailure['kind'], true> = {
      status: true,
      upgrade: true,
      connection: true,
      accept: true,
      subprotocol: true,
      extension: true,
      'too-large': true,
      malformed: true,
      eof: true,
    };
    for (const kind of Object.keys(kinds)) {
      expect(`WS_ERR_HANDSHAKE_${kind.toUpperCase().replace('-', '_')}` in ERROR_CODES, kind).to.equal(true);
    }
  });
});
