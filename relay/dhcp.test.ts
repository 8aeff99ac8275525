import { describe, expect, it } from 'vitest';
import { DhcpServer, type DhcpConfig, type DhcpReply } from './dhcp.js';
import { emptyRouterStats, parseMac } from './protocol/index.js';
import { DHCP, dhcpMessage, ip, ipString, parseDhcp, type DhcpFields } from './test-helpers.js';

const GATEWAY = ip('10.0.2.2');

function server(overrides: Partial<DhcpConfig> = {}) {
  const stats = emptyRouterStats();
  const config: DhcpConfig = { gateway: GATEWAY, netmask: ip('255.255.255.0'), poolStart: ip('10.0.2.15'), poolEnd: ip('10.0.2.17'), leaseSeconds: 60, maxLeasesPerPort: 16, ...overrides };
  return { dhcp: new DhcpServer(config, stats), stats };
}

const mac = (n: number): string => `52:54:00:00:00:${n.toString(16).padStart(2, '0')}`;

function handle(dhcp: DhcpServer, fields: DhcpFields, port: number, now: number) {
  const reply = dhcp.handle(dhcpMessage(fields), port, now);
  if (typeof reply === 'string') throw new Error(reply);
  return reply === null ? null : { ...parseDhcp(Buffer.from(reply.message)), reply };
}

/** DISCOVER + REQUEST; returns the leased address, or null when no OFFER came. */
function lease(dhcp: DhcpServer, n: number, port: number, now: number): number | null {
  const offer = handle(dhcp, { type: DHCP.DISCOVER, mac: mac(n), xid: n }, port, now);
  if (offer === null) return null;
  const ack = handle(dhcp, { type: DHCP.REQUEST, mac: mac(n), xid: n, requestedIp: offer.yiaddr, serverId: GATEWAY }, port, now);
  expect(ack?.type).toBe(DHCP.ACK);
  return ack!.yiaddr;
}

describe('DHCP server', () => {
  it('hands out each pool address once, then reports exhaustion', () => {
    const { dhcp, stats } = server();
    expect([1, 2, 3].map((n) => ipString(lease(dhcp, n, 1, 0)!))).toEqual(['10.0.2.15', '10.0.2.16', '10.0.2.17']);
    expect(lease(dhcp, 4, 1, 0)).toBeNull();
    expect(stats.dhcpPoolExhausted).toBe(1);
    expect(dhcp.boundCount(0)).toBe(3);
    // The same client asking again keeps its address.
    expect(ipString(lease(dhcp, 2, 1, 1000)!)).toBe('10.0.2.16');
  });

  it('limits leases per port, so invented chaddrs cannot drain the pool', () => {
    const { dhcp, stats } = server({ maxLeasesPerPort: 2 });
    expect(lease(dhcp, 1, 7, 0)).not.toBeNull();
    expect(lease(dhcp, 2, 7, 0)).not.toBeNull();
    expect(lease(dhcp, 3, 7, 0)).toBeNull();
    expect(lease(dhcp, 3, 8, 0)).not.toBeNull(); // another port still gets one
    expect(stats.dhcpPoolExhausted).toBe(1);
  });

  it('reclaims expired leases, lapsed offers, and leases of departed ports when the pool is dry', () => {
    const { dhcp } = server();
    for (const n of [1, 2, 3]) lease(dhcp, n, n, 0);
    expect(lease(dhcp, 4, 4, 1000)).toBeNull();
    dhcp.portDetached(2);
    expect(ipString(lease(dhcp, 4, 4, 2000)!)).toBe('10.0.2.16'); // the departed port's lease
    // Leases run out after 60 s; a sweep forgets them.
    dhcp.sweep(61_000);
    expect(dhcp.boundCount(61_000)).toBe(1); // client 4's lease was taken at 2000
    // An OFFER holds its address for a minute only.
    const offer = handle(dhcp, { type: DHCP.DISCOVER, mac: mac(5), xid: 5 }, 5, 61_000)!;
    const other = handle(dhcp, { type: DHCP.DISCOVER, mac: mac(6), xid: 6 }, 6, 61_000)!;
    expect(other.yiaddr).not.toBe(offer.yiaddr);
    expect(new Set([offer.yiaddr, other.yiaddr, ip('10.0.2.16')]).size).toBe(3);
    expect(handle(dhcp, { type: DHCP.DISCOVER, mac: mac(7), xid: 7 }, 7, 61_000)).toBeNull(); // all held
    const later = handle(dhcp, { type: DHCP.DISCOVER, mac: mac(7), xid: 7 }, 7, 200_000); // all lapsed
    expect(later?.type).toBe(DHCP.OFFER);
  });

  it('keeps a declined address out of the pool', () => {
    const { dhcp, stats } = server();
    const address = lease(dhcp, 1, 1, 0)!;
    expect(handle(dhcp, { type: DHCP.DECLINE, mac: mac(1), xid: 9, requestedIp: address, serverId: GATEWAY }, 1, 10)).toBeNull();
    expect(stats.dhcpDecline).toBe(1);
    const next = [2, 3, 4].map((n) => lease(dhcp, n, n, 20));
    expect(next).not.toContain(address);
    expect(next.filter((value) => value !== null)).toHaveLength(2);
  });

  it('answers INFORM with configuration only, to ciaddr', () => {
    const { dhcp } = server();
    const reply = handle(dhcp, { type: DHCP.INFORM, mac: mac(1), xid: 3, ciaddr: ip('10.0.2.99') }, 1, 0)!;
    expect(reply.type).toBe(DHCP.ACK);
    expect(reply.yiaddr).toBe(0);
    expect(reply.options.has(51)).toBe(false);
    expect(ipString(reply.options.get(3)!.readUInt32BE(0))).toBe('10.0.2.2');
    expect((reply.reply as DhcpReply).destinationIp).toBe(ip('10.0.2.99'));
    expect((reply.reply as DhcpReply).destinationMac).toBe(parseMac(mac(1)));
  });

  it('grants a free address to a client it has no record of (after a restart), NAKs a taken one', () => {
    const { dhcp } = server();
    const reboot = handle(dhcp, { type: DHCP.REQUEST, mac: mac(1), xid: 1, requestedIp: ip('10.0.2.16') }, 1, 0)!;
    expect(reboot.type).toBe(DHCP.ACK);
    expect(ipString(reboot.yiaddr)).toBe('10.0.2.16');
    const renew = handle(dhcp, { type: DHCP.REQUEST, mac: mac(2), xid: 2, ciaddr: ip('10.0.2.16') }, 2, 0)!;
    expect(renew.type).toBe(DHCP.NAK);
    const outOfPool = handle(dhcp, { type: DHCP.REQUEST, mac: mac(3), xid: 3, requestedIp: ip('10.0.2.2') }, 3, 0)!;
    expect(outOfPool.type).toBe(DHCP.NAK);
  });

  it('reports malformed messages and ignores replies and relayed requests', () => {
    const { dhcp } = server();
    expect(dhcp.handle(new Uint8Array(100), 1, 0)).toMatch(/bytes/);
    const badCookie = dhcpMessage({ type: DHCP.DISCOVER, mac: mac(1), xid: 1 });
    badCookie[236] = 0;
    expect(dhcp.handle(badCookie, 1, 0)).toMatch(/cookie/);
    const overrun = dhcpMessage({ type: DHCP.DISCOVER, mac: mac(1), xid: 1 });
    overrun.fill(0, 240);
    overrun[298] = 12; // hostname option whose length runs past the end
    overrun[299] = 200;
    expect(dhcp.handle(overrun, 1, 0)).toMatch(/overruns/);
    const noType = dhcpMessage({ type: DHCP.DISCOVER, mac: mac(1), xid: 1 });
    noType.fill(0, 240);
    expect(dhcp.handle(noType, 1, 0)).toMatch(/without DHCP message type/);
    const reply = dhcpMessage({ type: DHCP.OFFER, mac: mac(1), xid: 1 });
    reply[0] = 2;
    expect(dhcp.handle(reply, 1, 0)).toBeNull();
    const relayed = dhcpMessage({ type: DHCP.DISCOVER, mac: mac(1), xid: 1 });
    relayed.writeUInt32BE(ip('10.9.9.9'), 24);
    expect(dhcp.handle(relayed, 1, 0)).toBeNull();
  });
});
