import { expect } from 'chai';
import { formatTable, median } from '../../tools/bench/report';

describe('bench: report helpers', () => {
  it('formatTable aligns every column, the first to the left', () => {
    expect(
      formatTable(
        ['name', 'n'],
        [
          ['a', '1'],
          ['bbbbb', '22'],
        ],
      ),
    ).to.deep.equal(['name    n', '-----  --', 'a       1', 'bbbbb  22']);
  });

  it('formatTable refuses a row without one cell per column, naming the row and the columns', () => {
    expect(() => formatTable(['name', 'n'], [['a', '1'], ['b']])).to.throw('formatTable: row 1 has 1 cells for 2 columns (name, n)');
    expect(() => formatTable(['name'], [['a', 'extra']])).to.throw('formatTable: row 0 has 2 cells for 1 columns (name)');
  });

  it('median takes the middle value, the mean of the two middle ones, and NaN for no values', () => {
    expect(median([5, 1, 3])).to.equal(3);
    expect(median([4, 1, 3, 2])).to.equal(2.5);
    expect(median([7])).to.equal(7);
    expect(median([])).to.be.NaN;
  });
});
