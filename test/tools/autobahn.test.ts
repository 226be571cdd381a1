import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { runAutobahn } from '../../tools/autobahn';

/** A stand-in for the Autobahn fuzzing server that speaks its driver protocol. */
describe('autobahn runner', () => {
  it('follows the driver protocol: case count, each case echoed, then the report update', async () => {
    const http = createServer();
    const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
    const seen: string[] = [];
    const echoes: { [caseNo: string]: unknown[] } = {};
    wss.on('connection', (socket, req) => {
      const url = new URL(req.url!, 'http://x');
      seen.push(url.pathname + url.search);
      if (url.pathname === '/getCaseCount') {
        socket.send('3');
        socket.close(1000);
      } else if (url.pathname === '/runCase') {
        const n = url.searchParams.get('case')!;
        echoes[n] = [];
        socket.on('message', (data, binary) => {
          echoes[n].push(binary ? Array.from(data as Buffer) : data.toString());
          if (echoes[n].length === 2) socket.close(1000);
        });
        socket.send(`text ${n} €`);
        socket.send(Buffer.from([Number(n), 0, 255]));
      } else {
        socket.close(1000);
      }
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const lines: string[] = [];
    try {
      const count = await runAutobahn({ url: `ws://127.0.0.1:${(http.address() as AddressInfo).port}`, agent: 'test agent', log: (l) => lines.push(l) });
      expect(count).to.equal(3);
    } finally {
      wss.close();
      http.close();
    }
    expect(seen).to.deep.equal(['/getCaseCount', '/runCase?case=1&agent=test%20agent', '/runCase?case=2&agent=test%20agent', '/runCase?case=3&agent=test%20agent', '/updateReports?agent=test%20agent']);
    expect(echoes['2']).to.deep.equal(['text 2 €', [2, 0, 255]]);
    expect(lines.filter((l) => l.startsWith('case '))).to.have.length(3);
  });
});
