import { describe, expect, it } from 'vitest';
import {
  arpRequest,
  BROADCAST,
  checksum,
  DHCP,
  dhcpFrame,
  dhcpReplyOf,
  ethFrame,
  icmpEcho,
  ip,
  ipString,
  macString,
  optionIp,
  parseIpv4Frame,
  relayFixture,
  startTestRelay,
  TestClient,
  udpPacket,
  waitFor,
} from './test-helpers.js';

const VM1 = '52:54:00:12:34:01';
const VM2 = '52:54:00:12:34:02';
const ROUTER_MAC = '02:00:c0:86:00:02';
const GATEWAY = ip('10.0.2.2');

const fixture = relayFixture();
const connect = async (room: string): Promise<TestClient> => (await fixture.connect(room))[0]!;

/** DISCOVER → OFFER → REQUEST → ACK for `mac`; returns the address and both replies. */
async function dhcpLease(client: TestClient, mac: string, xid: number, serverId = GATEWAY) {
  client.send(dhcpFrame({ type: DHCP.DISCOVER, mac, xid }));
  const offerFrame = await client.waitFrame((frame) => dhcpReplyOf(frame)?.xid === xid && dhcpReplyOf(frame)?.type === DHCP.OFFER);
  const offer = dhcpReplyOf(offerFrame)!;
  client.send(dhcpFrame({ type: DHCP.REQUEST, mac, xid: xid + 1, requestedIp: offer.yiaddr, serverId }));
  const ackFrame = await client.waitFrame((frame) => dhcpReplyOf(frame)?.xid === xid + 1);
  return { offerFrame, offer, ackFrame, ack: dhcpReplyOf(ackFrame)! };
}

describe('built-in router', () => {
  it('leases an address by DHCP, then answers ARP and ping for the gateway', async () => {
    const relay = await fixture.start();
    const vm = await connect('dhcp');
    const { offerFrame, offer, ackFrame, ack } = await dhcpLease(vm, VM1, 0x11223344);

    // OFFER: from the router's MAC and the gateway, unicast to the client's MAC, checksums right.
    expect(macString(offerFrame, 0)).toBe(VM1);
    expect(macString(offerFrame, 6)).toBe(ROUTER_MAC);
    expect(offer.udp.ip.headerChecksumOk).toBe(true);
    expect(offer.udp.checksumOk).toBe(true);
    expect(ipString(offer.udp.ip.source)).toBe('10.0.2.2');
    expect(ipString(offer.udp.ip.destination)).toBe('10.0.2.15');
    expect(offer.op).toBe(2);
    expect(offer.chaddr).toBe(VM1);
    expect(offer.length).toBeGreaterThanOrEqual(300);
    expect(ipString(offer.yiaddr)).toBe('10.0.2.15');
    expect(optionIp(offer, 54)).toBe('10.0.2.2'); // server identifier
    expect(optionIp(offer, 1)).toBe('255.255.255.0'); // subnet mask
    expect(optionIp(offer, 3)).toBe('10.0.2.2'); // router
    expect(optionIp(offer, 6)).toBe('10.0.2.2'); // DNS server = gateway
    expect(offer.options.get(51)!.readUInt32BE(0)).toBe(3600); // lease time

    expect(ack.type).toBe(DHCP.ACK);
    expect(ack.yiaddr).toBe(offer.yiaddr);
    expect(ack.udp.checksumOk).toBe(true);
    expect(macString(ackFrame, 0)).toBe(VM1);
    expect(optionIp(ack, 1)).toBe('255.255.255.0');
    expect(ack.options.get(51)!.readUInt32BE(0)).toBe(3600);
    expect(ack.options.get(58)!.readUInt32BE(0)).toBe(1800);

    const me = offer.yiaddr;
    vm.send(arpRequest(VM1, me, GATEWAY));
    const arpReply = await vm.waitFrame((frame) => frame.readUInt16BE(12) === 0x0806);
    expect(macString(arpReply, 0)).toBe(VM1);
    expect(arpReply.readUInt16BE(20)).toBe(2); // reply
    expect(macString(arpReply, 22)).toBe(ROUTER_MAC); // sender hardware address
    expect(ipString(arpReply.readUInt32BE(28))).toBe('10.0.2.2');
    expect(macString(arpReply, 32)).toBe(VM1);
    expect(arpReply.readUInt32BE(38)).toBe(me);

    const data = Buffer.from('co86 ping payload 0123456789');
    vm.send(ethFrame(ROUTER_MAC, VM1, 0x0800, icmpEcho(me, GATEWAY, 0x4242, 7, data)));
    const pong = await vm.waitFrame((frame) => parseIpv4Frame(frame)?.protocol === 1);
    const packet = parseIpv4Frame(pong)!;
    expect(packet.headerChecksumOk).toBe(true);
    expect(packet.source).toBe(GATEWAY);
    expect(packet.destination).toBe(me);
    expect(packet.payload[0]).toBe(0); // echo reply
    expect(packet.payload.readUInt16BE(4)).toBe(0x4242);
    expect(packet.payload.readUInt16BE(6)).toBe(7);
    expect(checksum(packet.payload)).toBe(0);
    expect(packet.payload.subarray(8).equals(data)).toBe(true);

    expect(vm.frames).toHaveLength(4);
    const stats = await relay.fetchStats();
    expect(stats.router).toMatchObject({ dhcpDiscover: 1, dhcpOffer: 1, dhcpRequest: 1, dhcpAck: 1, dhcpNak: 0, arpReplies: 1, icmpEchoReplies: 1, leases: 1, framesIn: 4, framesOut: 4 });
    expect(stats.framesIn).toBe(4);
    expect(stats.framesOut).toBe(4);
    expect(stats.drops.badPacket).toBe(0);
  });

  it('gives a second client another address, NAKs wrong requests, renews and releases', async () => {
    const relay = await fixture.start();
    const vm1 = await connect('pool');
    const vm2 = await connect('pool');
    const first = await dhcpLease(vm1, VM1, 100);
    const second = await dhcpLease(vm2, VM2, 200);
    expect(ipString(first.ack.yiaddr)).toBe('10.0.2.15');
    expect(ipString(second.ack.yiaddr)).toBe('10.0.2.16');

    // INIT-REBOOT for VM1's address from VM2: NAK, broadcast.
    vm2.send(dhcpFrame({ type: DHCP.REQUEST, mac: VM2, xid: 300, requestedIp: first.ack.yiaddr }));
    const nak = dhcpReplyOf(await vm2.waitFrame((frame) => dhcpReplyOf(frame)?.xid === 300))!;
    expect(nak.type).toBe(DHCP.NAK);
    expect(nak.udp.ip.destination).toBe(0xffffffff);
    // A foreign network: NAK.
    vm2.send(dhcpFrame({ type: DHCP.REQUEST, mac: VM2, xid: 301, requestedIp: ip('192.168.1.7') }));
    expect(dhcpReplyOf(await vm2.waitFrame((frame) => dhcpReplyOf(frame)?.xid === 301))!.type).toBe(DHCP.NAK);

    // RENEWING: unicast from the leased address to the server; ACK unicast back.
    vm1.send(dhcpFrame({ type: DHCP.REQUEST, mac: VM1, xid: 400, ciaddr: first.ack.yiaddr }, { mac: ROUTER_MAC, ip: GATEWAY }));
    const renewed = dhcpReplyOf(await vm1.waitFrame((frame) => dhcpReplyOf(frame)?.xid === 400))!;
    expect(renewed.type).toBe(DHCP.ACK);
    expect(renewed.yiaddr).toBe(first.ack.yiaddr);
    expect(renewed.ciaddr).toBe(first.ack.yiaddr);
    expect(renewed.udp.ip.destination).toBe(first.ack.yiaddr);

    // RELEASE, then a new client gets the freed address back eventually; VM2 keeps its own.
    vm1.send(dhcpFrame({ type: DHCP.RELEASE, mac: VM1, xid: 500, ciaddr: first.ack.yiaddr, serverId: GATEWAY }, { mac: ROUTER_MAC, ip: GATEWAY }));
    await waitFor(async () => (await relay.fetchStats()).router.dhcpRelease === 1);
    const again = await dhcpLease(vm2, VM2, 600);
    expect(again.ack.yiaddr).toBe(second.ack.yiaddr);

    const stats = await relay.fetchStats();
    expect(stats.router).toMatchObject({ dhcpDiscover: 3, dhcpOffer: 3, dhcpRequest: 6, dhcpAck: 4, dhcpNak: 2, dhcpRelease: 1, leases: 1 });
  });

  it('ignores a REQUEST that selected another server and answers with the broadcast flag by broadcast', async () => {
    const relay = await fixture.start();
    const vm = await connect('select');
    const watcher = await connect('select');
    vm.send(dhcpFrame({ type: DHCP.DISCOVER, mac: VM1, xid: 1, broadcastFlag: true }));
    const offerFrame = await vm.waitFrame((frame) => dhcpReplyOf(frame)?.xid === 1);
    expect(macString(offerFrame, 0)).toBe(BROADCAST);
    expect(parseIpv4Frame(offerFrame)!.destination).toBe(0xffffffff);
    await watcher.waitFrame((frame) => dhcpReplyOf(frame)?.xid === 1); // broadcast reaches everyone
    vm.send(dhcpFrame({ type: DHCP.REQUEST, mac: VM1, xid: 2, requestedIp: ip('10.0.2.15'), serverId: ip('10.0.2.3') }));
    await waitFor(async () => (await relay.fetchStats()).router.dhcpRequest === 1);
    const stats = await relay.fetchStats();
    expect(stats.router.dhcpAck).toBe(0);
    expect(stats.router.dhcpNak).toBe(0);
    expect(stats.router.leases).toBe(0);
    expect(vm.frames.filter((frame) => dhcpReplyOf(frame))).toHaveLength(1);
  });

  it('answers UDP to other gateway ports with ICMP port unreachable', async () => {
    const relay = await fixture.start();
    const vm = await connect('dns');
    const query = udpPacket(ip('10.0.2.15'), GATEWAY, 40000, 53, Buffer.from('dns query'));
    vm.send(ethFrame(ROUTER_MAC, VM1, 0x0800, query));
    const reply = parseIpv4Frame(await vm.waitFrame((frame) => parseIpv4Frame(frame)?.protocol === 1))!;
    expect(reply.payload[0]).toBe(3);
    expect(reply.payload[1]).toBe(3);
    expect(checksum(reply.payload)).toBe(0);
    expect(reply.payload.subarray(8, 8 + 28).equals(query.subarray(0, 28))).toBe(true); // quoted header + 8 bytes
    expect((await relay.fetchStats()).router.icmpUnreachables).toBe(1);
  });

  it('uses a configured network', async () => {
    const relay = await fixture.start({ router: { gateway: '192.168.50.1', prefixLength: 24, leaseSeconds: 600 } });
    const vm = await connect('custom');
    const { ack } = await dhcpLease(vm, VM1, 9, ip('192.168.50.1'));
    expect(ack.type).toBe(DHCP.ACK);
    expect(ipString(ack.yiaddr)).toBe('192.168.50.15');
    expect(optionIp(ack, 3)).toBe('192.168.50.1');
    expect(ack.options.get(51)!.readUInt32BE(0)).toBe(600);
    vm.send(arpRequest(VM1, ack.yiaddr, ip('192.168.50.1')));
    const arp = await vm.waitFrame((frame) => frame.readUInt16BE(12) === 0x0806);
    expect(ipString(arp.readUInt32BE(28))).toBe('192.168.50.1');
    vm.send(arpRequest(VM1, ack.yiaddr, ip('10.0.2.2'))); // not our gateway any more: no answer
    vm.send(arpRequest(VM1, ack.yiaddr, ip('192.168.50.1')));
    await vm.waitFrames(4);
    expect((await relay.fetchStats()).router.arpReplies).toBe(2);
  });

  it('rejects bad router configurations', async () => {
    await expect(startTestRelay({ router: { gateway: '10.0.2.300' } })).rejects.toThrow(/gateway/);
    await expect(startTestRelay({ router: { gateway: '10.0.2.0' } })).rejects.toThrow(/host address/);
    await expect(startTestRelay({ router: { poolStart: '10.0.3.5' } })).rejects.toThrow(/poolStart/);
    await expect(startTestRelay({ router: { mac: '01:00:00:00:00:01' } })).rejects.toThrow(/unicast/);
    await expect(startTestRelay({ router: { prefixLength: 31 } })).rejects.toThrow(/prefixLength/);
  });

  it('can be turned off', async () => {
    const relay = await fixture.start({ router: false });
    const vm = await connect('plain');
    const other = await connect('plain');
    vm.send(dhcpFrame({ type: DHCP.DISCOVER, mac: VM1, xid: 1 }));
    vm.send(arpRequest(VM1, ip('10.0.2.15'), GATEWAY));
    await other.waitFrames(2); // flooded to the other client, nobody answers
    other.send(ethFrame(VM1, VM2, 0x88b5, 10)); // barrier
    await vm.waitFrames(1);
    expect(vm.frames).toHaveLength(1);
    const stats = await relay.fetchStats();
    expect(stats.router.framesIn).toBe(0);
    expect(stats.router.dhcpDiscover).toBe(0);
  });

  it('validates every header: bad packets are counted and never answered', async () => {
    const relay = await fixture.start();
    const vm = await connect('bad');
    const me = ip('10.0.2.15');
    const good = icmpEcho(me, GATEWAY, 1, 1, Buffer.alloc(16));
    const bad: Buffer[] = [];
    const corrupt = (packet: Buffer, edit: (copy: Buffer) => void): Buffer => {
      const copy = Buffer.from(packet);
      edit(copy);
      return copy;
    };
    bad.push(corrupt(good, (p) => (p[10] ^= 0xff))); // IPv4 header checksum
    bad.push(corrupt(good, (p) => p.writeUInt16BE(200, 2))); // total length beyond the frame
    bad.push(corrupt(good, (p) => (p[0] = 0x44))); // header length 16
    bad.push(good.subarray(0, 12)); // truncated header
    bad.push(corrupt(good, (p) => (p[20 + 9] ^= 1))); // ICMP checksum
    const dhcp = udpPacket(0, 0xffffffff, 68, 67, Buffer.alloc(100)); // DHCP too short
    bad.push(dhcp);
    bad.push(corrupt(udpPacket(0, 0xffffffff, 68, 67, Buffer.alloc(300)), (p) => p.writeUInt16BE(400, 24))); // UDP length
    bad.push(corrupt(udpPacket(0, 0xffffffff, 68, 67, Buffer.alloc(300)), (p) => (p[30] ^= 1))); // UDP checksum
    for (const packet of bad) vm.send(ethFrame(BROADCAST, VM1, 0x0800, packet));
    vm.send(ethFrame(BROADCAST, VM1, 0x0806, Buffer.alloc(10))); // ARP truncated
    vm.send(ethFrame(ROUTER_MAC, VM1, 0x0800, good)); // a good one last: its reply comes after any others
    await vm.waitFrames(1);
    expect(parseIpv4Frame(vm.frames[0])!.payload[0]).toBe(0);
    const stats = await relay.fetchStats();
    expect(stats.drops.badPacket).toBe(bad.length + 1);
    expect(stats.router.icmpEchoReplies).toBe(1);
    expect(stats.router.framesOut).toBe(1);
    expect(relay.logLines.some((line) => line.includes('IPv4 header checksum'))).toBe(true);
  });
});
