import { expect } from 'chai';
import { at, capture, entry } from './at';

describe('test helpers: checked reads', () => {
  it('at() reads an element, counting negative indexes from the end', () => {
    expect(at(['a', 'b', 'c'], 1)).to.equal('b');
    expect(at(['a', 'b', 'c'], -1)).to.equal('c');
    expect(at(Uint8Array.of(7, 0), 1)).to.equal(0);
  });

  it('at() names what is missing instead of returning undefined', () => {
    expect(() => at([1, 2], 2, 'sim.peers')).to.throw('sim.peers: no element 2 (it has 2)');
    expect(() => at([], -1, 'errors')).to.throw('errors: no element -1 (it has 0)');
  });

  it('entry() reads own entries only, naming the keys there are when one is missing', () => {
    expect(entry({ a: 1 }, 'a')).to.equal(1);
    expect(() => entry({ a: 1, b: 2 }, 'c', 'devices')).to.throw('devices: no entry "c" (it has a, b)');
    expect(() => entry({}, 'toString', 'devices')).to.throw('devices: no entry "toString" (it has none)');
  });

  it('capture() returns a group, or names the pattern that did not match', () => {
    expect(capture(/key: (\S+)/, 'key: abc', 'request')).to.equal('abc');
    expect(() => capture(/key: (\S+)/, 'nothing', 'request')).to.throw('request: /key: (\\S+)/ does not match "nothing"');
    expect(() => capture(/key(: x)?/, 'key', 'request')).to.throw('request: /key(: x)?/ matched without group 1');
  });
});
