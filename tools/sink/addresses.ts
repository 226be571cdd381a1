/**
 * The addresses boards can reach the sink at. A sink on 0.0.0.0 (or ::) listens on every
 * interface, but "0.0.0.0" is no address a board can connect to: list the machine's own.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * Hosts boards can use for a sink listening on `host`: the host itself, or for a wildcard the
 * machine's non-loopback addresses (IPv4 first; IPv6 only for `::`, link-local ones left out).
 */
export function reachableHosts(host: string, interfaces: Interfaces = networkInterfaces()): string[] {
  const wildcard4 = host === '0.0.0.0';
  const wildcard6 = host === '::' || host === '[::]';
  if (!wildcard4 && !wildcard6) return [host];
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv4') v4.push(info.address);
      else if (wildcard6 && !/^fe80:/i.test(info.address)) v6.push(info.address);
    }
  }
  return [...v4, ...v6];
}

/** host:port as it goes into a URL (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}
