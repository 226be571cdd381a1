import { expect } from 'chai';
import { parseWsUrl, type WsUrl } from '../../protocol/url';

describe('parseWsUrl', () => {
  const good: Array<[string, WsUrl]> = [
    ['ws://example.com', { secure: false, host: 'example.com', port: 80, resource: '/', hostHeader: 'example.com' }],
    ['wss://example.com/', { secure: true, host: 'example.com', port: 443, resource: '/', hostHeader: 'example.com' }],
    ['ws://example.com:80/chat', { secure: false, host: 'example.com', port: 80, resource: '/chat', hostHeader: 'example.com' }],
    ['wss://example.com:443/chat', { secure: true, host: 'example.com', port: 443, resource: '/chat', hostHeader: 'example.com' }],
    ['ws://example.com:443/', { secure: false, host: 'example.com', port: 443, resource: '/', hostHeader: 'example.com:443' }],
    ['wss://example.com:80/', { secure: true, host: 'example.com', port: 80, resource: '/', hostHeader: 'example.com:80' }],
    ['ws://192.168.1.20:8080/a/b?x=1&y=2', { secure: false, host: '192.168.1.20', port: 8080, resource: '/a/b?x=1&y=2', hostHeader: '192.168.1.20:8080' }],
    ['ws://example.com?token=abc', { secure: false, host: 'example.com', port: 80, resource: '/?token=abc', hostHeader: 'example.com' }],
    ['ws://example.com/path?q=/x?y', { secure: false, host: 'example.com', port: 80, resource: '/path?q=/x?y', hostHeader: 'example.com' }],
    ['WS://Example.COM/Path', { secure: false, host: 'example.com', port: 80, resource: '/Path', hostHeader: 'example.com' }],
    ['WsS://HOST:1/', { secure: true, host: 'host', port: 1, resource: '/', hostHeader: 'host:1' }],
    ['ws://h:65535', { secure: false, host: 'h', port: 65535, resource: '/', hostHeader: 'h:65535' }],
    ['ws://[::1]:8080/x', { secure: false, host: '::1', port: 8080, resource: '/x', hostHeader: '[::1]:8080' }],
    ['wss://[2001:DB8::1]/', { secure: true, host: '2001:db8::1', port: 443, resource: '/', hostHeader: '[2001:db8::1]' }],
    ['ws://[::ffff:192.0.2.1]:80', { secure: false, host: '::ffff:192.0.2.1', port: 80, resource: '/', hostHeader: '[::ffff:192.0.2.1]' }],
    ['ws://my-host_1.local/%20x', { secure: false, host: 'my-host_1.local', port: 80, resource: '/%20x', hostHeader: 'my-host_1.local' }],
  ];
  for (const [input, expected] of good) {
    it(`parses ${input}`, () => {
      expect(parseWsUrl(input)).to.deep.equal(expected);
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['http://example.com/', /unsupported scheme "http:" \(use ws:\/\/ or wss:\/\/\)/],
    ['HTTPS://example.com/', /unsupported scheme "https:"/],
    ['ftp://example.com/', /unsupported scheme "ftp:"/],
    ['example.com/chat', /missing scheme/],
    ['//example.com/chat', /missing scheme/],
    ['', /missing scheme/],
    ['ws:example.com', /expected "\/\/" after "ws:"/],
    ['ws:/example.com', /expected "\/\/"/],
    ['ws://example.com/#frag', /fragment "#frag"/],
    ['ws://example.com#', /fragment/],
    ['ws://', /missing host/],
    ['ws:///path', /missing host/],
    ['ws://:8080/', /missing host/],
    ['ws://?q', /missing host/],
    ['ws://example.com:0/', /port 0 out of range/],
    ['ws://example.com:65536/', /port 65536 out of range/],
    ['ws://example.com:99999/', /out of range/],
    ['ws://example.com:123456/', /bad port "123456"/],
    ['ws://example.com:/', /bad port ""/],
    ['ws://example.com:80a/', /bad port "80a"/],
    ['ws://example.com:-1/', /bad port "-1"/],
    ['ws://user@example.com/', /userinfo/],
    ['ws://user:pass@example.com/', /userinfo/],
    ['ws://exa mple.com/', /space or control character at position 8/],
    ['ws://example.com/a b', /space or control character/],
    ['ws://example.com/\r\nX-Injected: 1', /space or control character/],
    ['ws://example.com/\u0000', /control character/],
    ['ws://example.com/\u007f', /control character/],
    ['\tws://example.com/', /control character at position 0/],
    ['ws://example.com/caf\u00e9', /non-ASCII/],
    ['ws://[::1/', /missing "\]"/],
    ['ws://::1]/', /brackets/],
    ['ws://[]/', /malformed IPv6/],
    ['ws://[example.com]/', /malformed IPv6/],
    ['ws://[::1]x/', /unexpected "x" after IPv6/],
    ['ws://[::1]:/', /bad port ""/],
    ['ws://[::1]:70000/', /out of range/],
    ['ws://a[b]/', /brackets/],
    ['ws://::1/', /IPv6 addresses must be in brackets/],
    ['ws://exa%6Dple.com/', /invalid character in host/],
    ['ws://exa!mple.com/', /invalid character in host/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      let error: (Error & { code?: string }) | undefined;
      try {
        parseWsUrl(input);
      } catch (e) {
        error = e as Error & { code?: string };
      }
      expect(error, 'should throw').to.be.instanceOf(Error);
      expect(error!.code).to.equal('WS_ERR_BAD_URL');
      expect(error!.message).to.match(message);
    });
  }

  it('does not echo credentials from a rejected userinfo URL', () => {
    expect(() => parseWsUrl('ws://user:secret@example.com/'))
      .to.throw(Error)
      .with.property('message')
      .that.does.not.include('secret');
  });
});
