/**
 * One room's built-in router: a port on the room's switch with its own MAC that answers, for the
 * gateway address only, ARP requests, ICMP echo requests, and DHCP (dhcp.ts); UDP to any other port of
 * the gateway gets ICMP port-unreachable, so a guest's DNS lookups (DNS server = gateway) fail fast
 * instead of timing out. It forwards nothing: there is no NAT to the outside. Every header it parses is
 * validated; failures are counted as `badPacket`. No Node APIs.
 */
import {
  BROADCAST_MAC_KEY,
  DEFAULT_GATEWAY_IP,
  DEFAULT_GATEWAY_MAC,
  DEFAULT_LEASE_SECONDS,
  DEFAULT_PREFIX_LENGTH,
  ETH_HEADER_BYTES,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  isGroupMacKey,
  macKeyAt,
  parseMac,
  writeMacKey,
  type MacKey,
} from './protocol/index.js';
import type { RelayCounters } from './counters.js';
import { DhcpServer, DHCP_CLIENT_PORT, DHCP_SERVER_PORT } from './dhcp.js';
import {
  buildIcmpFrame,
  buildUdpFrame,
  checkIcmp,
  ETH_PADDED_MIN_BYTES,
  formatIpv4Address,
  IP_PROTOCOL_ICMP,
  IP_PROTOCOL_UDP,
  IPV4_BROADCAST,
  parseIpv4,
  parseIpv4Address,
  parseUdp,
  readUint16,
  readUint32,
  writeUint16,
  writeUint32,
  type Ipv4Addressing,
  type Ipv4Packet,
} from './ip.js';
import { SwitchPort, type FrameSink, type LearningSwitch } from './switch.js';

export interface RouterConfig {
  /** The gateway's address; also the DHCP server identifier and the DNS server handed out. */
  gateway: string;
  prefixLength: number;
  /** First and last address leased; default: .15 of the subnet up to the last host address. */
  poolStart?: string;
  poolEnd?: string;
  leaseSeconds: number;
  /** The router's MAC (unicast). */
  mac: string;
}

export const DEFAULT_ROUTER_CONFIG: Readonly<RouterConfig> = Object.freeze({
  gateway: DEFAULT_GATEWAY_IP,
  prefixLength: DEFAULT_PREFIX_LENGTH,
  leaseSeconds: DEFAULT_LEASE_SECONDS,
  mac: DEFAULT_GATEWAY_MAC,
});

/** The router's settings as numbers. */
export interface ResolvedRouterConfig {
  gateway: number;
  netmask: number;
  poolStart: number;
  poolEnd: number;
  leaseSeconds: number;
  mac: MacKey;
}

const MAX_POOL_SIZE = 65536;

/** Fills defaults and checks every field; throws a clear error on a bad configuration. */
export function resolveRouterConfig(partial: Partial<RouterConfig> = {}): ResolvedRouterConfig {
  const config = { ...DEFAULT_ROUTER_CONFIG, ...partial };
  const gateway = parseIpv4Address(config.gateway);
  if (gateway === null) throw new Error(`router gateway is not an IPv4 address: ${config.gateway}`);
  if (!Number.isInteger(config.prefixLength) || config.prefixLength < 8 || config.prefixLength > 30) {
    throw new Error(`router prefixLength must be an integer in 8..30, got ${config.prefixLength}`);
  }
  const netmask = (0xffff_ffff << (32 - config.prefixLength)) >>> 0;
  const network = (gateway & netmask) >>> 0;
  const broadcast = (network | ~netmask) >>> 0;
  if (gateway === network || gateway === broadcast) throw new Error(`router gateway ${config.gateway} is not a host address of its subnet`);
  const address = (text: string | undefined, fallback: number, what: string): number => {
    if (text === undefined) return fallback;
    const value = parseIpv4Address(text);
    if (value === null || (value & netmask) >>> 0 !== network || value === network || value === broadcast) {
      throw new Error(`router ${what} ${text} is not a host address in ${formatIpv4Address(network)}/${config.prefixLength}`);
    }
    return value;
  };
  const poolStart = address(config.poolStart, broadcast - network > 32 ? network + 15 : network + 1, 'poolStart');
  const poolEnd = address(config.poolEnd, Math.min(broadcast - 1, poolStart + MAX_POOL_SIZE - 1), 'poolEnd');
  if (poolEnd < poolStart) throw new Error('router poolEnd is below poolStart');
  if (poolEnd - poolStart + 1 > MAX_POOL_SIZE) throw new Error(`router pool holds more than ${MAX_POOL_SIZE} addresses`);
  if (!Number.isInteger(config.leaseSeconds) || config.leaseSeconds < 60 || config.leaseSeconds > 0x7fff_ffff) {
    throw new Error(`router leaseSeconds must be an integer ≥ 60, got ${config.leaseSeconds}`);
  }
  const mac = parseMac(config.mac);
  if (mac === null || mac === 0 || isGroupMacKey(mac)) throw new Error(`router mac must be a unicast MAC, got ${config.mac}`);
  return { gateway, netmask, poolStart, poolEnd, leaseSeconds: config.leaseSeconds, mac };
}

const ARP_BYTES = 28;
const ICMP_ECHO_REPLY = 0;
const ICMP_UNREACHABLE = 3;
const ICMP_PORT_UNREACHABLE = 3;
const ICMP_ECHO_REQUEST = 8;

export class RoomRouter implements FrameSink {
  readonly port: SwitchPort;
  private readonly dhcp: DhcpServer;
  private readonly subnetBroadcast: number;
  private identification = 0;

  constructor(
    private readonly fabric: LearningSwitch,
    private readonly config: ResolvedRouterConfig,
    private readonly counters: RelayCounters,
    private readonly now: () => number,
    portId: number,
    maxLeasesPerPort: number,
  ) {
    this.port = new SwitchPort(portId, `${fabric.name}/router`, this, null);
    this.dhcp = new DhcpServer({ ...config, maxLeasesPerPort }, counters.router);
    this.subnetBroadcast = (config.gateway | ~config.netmask) >>> 0;
    fabric.attach(this.port);
    fabric.addStaticMac(this.port, config.mac);
  }

  leaseCount(): number {
    return this.dhcp.boundCount(this.now());
  }

  portDetached(portId: number): void {
    this.dhcp.portDetached(portId);
  }

  sweep(now: number): void {
    this.dhcp.sweep(now);
  }

  /** A frame the switch sent to the router's port (flooded, or unicast to the router's MAC). */
  deliver(frame: Uint8Array, from: SwitchPort): void {
    const destination = macKeyAt(frame, 0);
    if (destination !== this.config.mac && destination !== BROADCAST_MAC_KEY) return;
    const etherType = readUint16(frame, 12);
    if (etherType !== ETHERTYPE_ARP && etherType !== ETHERTYPE_IPV4) return;
    this.counters.router.framesIn++;
    const problem = etherType === ETHERTYPE_ARP ? this.arp(frame) : this.ipv4(frame, from);
    if (problem) this.counters.drop('badPacket', `${from.label}: ${problem}`);
  }

  private arp(frame: Uint8Array): string | null {
    const at = ETH_HEADER_BYTES;
    if (frame.length < at + ARP_BYTES) return 'ARP truncated';
    if (readUint16(frame, at) !== 1 || readUint16(frame, at + 2) !== ETHERTYPE_IPV4 || frame[at + 4] !== 6 || frame[at + 5] !== 4) {
      return 'ARP not Ethernet/IPv4';
    }
    const operation = readUint16(frame, at + 6);
    if (operation !== 1 && operation !== 2) return `ARP operation ${operation}`;
    if (operation !== 1 || readUint32(frame, at + 24) !== this.config.gateway) return null;
    const senderMac = macKeyAt(frame, at + 8);
    if (senderMac === 0 || isGroupMacKey(senderMac)) return 'ARP sender MAC';

    const reply = new Uint8Array(ETH_PADDED_MIN_BYTES);
    writeMacKey(senderMac, reply, 0);
    writeMacKey(this.config.mac, reply, 6);
    writeUint16(reply, 12, ETHERTYPE_ARP);
    writeUint16(reply, at, 1);
    writeUint16(reply, at + 2, ETHERTYPE_IPV4);
    reply[at + 4] = 6;
    reply[at + 5] = 4;
    writeUint16(reply, at + 6, 2);
    writeMacKey(this.config.mac, reply, at + 8);
    writeUint32(reply, at + 14, this.config.gateway);
    reply.set(frame.subarray(at + 8, at + 18), at + 18); // target = the asker's MAC and address
    this.counters.router.arpReplies++;
    this.send(reply);
    return null;
  }

  private ipv4(frame: Uint8Array, from: SwitchPort): string | null {
    const ip = parseIpv4(frame);
    if (typeof ip === 'string') return ip;
    const toGateway = ip.destination === this.config.gateway;
    if (!toGateway && ip.destination !== IPV4_BROADCAST && ip.destination !== this.subnetBroadcast) return null;
    if (ip.fragment) return null; // no reassembly: nothing we answer needs it
    if (ip.protocol === IP_PROTOCOL_UDP) return this.udp(frame, ip, from, toGateway);
    if (ip.protocol === IP_PROTOCOL_ICMP && toGateway) return this.icmp(frame, ip);
    return null;
  }

  private udp(frame: Uint8Array, ip: Ipv4Packet, from: SwitchPort, toGateway: boolean): string | null {
    const udp = parseUdp(frame, ip);
    if (typeof udp === 'string') return udp;
    if (udp.destinationPort === DHCP_SERVER_PORT) {
      const data = frame.subarray(udp.dataOffset, udp.dataOffset + udp.dataLength);
      const reply = this.dhcp.handle(data, from.id, this.now());
      if (typeof reply === 'string') return reply;
      if (reply !== null) {
        this.send(buildUdpFrame(this.addressing(reply.destinationMac, reply.destinationIp), DHCP_SERVER_PORT, DHCP_CLIENT_PORT, reply.message));
      }
      return null;
    }
    if (toGateway && ip.source !== 0 && ip.source !== IPV4_BROADCAST) {
      // RFC 1122: the ICMP error quotes the IP header and the first 8 bytes of its payload.
      const quoted = frame.slice(ip.headerOffset, ip.payloadOffset + 8);
      this.counters.router.icmpUnreachables++;
      this.send(buildIcmpFrame(this.addressing(macKeyAt(frame, 6), ip.source), ICMP_UNREACHABLE, ICMP_PORT_UNREACHABLE, 0, quoted));
    }
    return null;
  }

  private icmp(frame: Uint8Array, ip: Ipv4Packet): string | null {
    const problem = checkIcmp(frame, ip);
    if (problem) return problem;
    const at = ip.payloadOffset;
    if (frame[at] !== ICMP_ECHO_REQUEST || frame[at + 1] !== 0) return null;
    const identifierAndSequence = readUint32(frame, at + 4);
    const data = frame.subarray(at + 8, at + ip.payloadLength);
    this.counters.router.icmpEchoReplies++;
    this.send(buildIcmpFrame(this.addressing(macKeyAt(frame, 6), ip.source), ICMP_ECHO_REPLY, 0, identifierAndSequence, data));
    return null;
  }

  private addressing(destinationMac: MacKey, destination: number): Ipv4Addressing {
    this.identification = (this.identification + 1) & 0xffff;
    return { destinationMac, sourceMac: this.config.mac, source: this.config.gateway, destination, identification: this.identification };
  }

  private send(frame: Uint8Array): void {
    this.counters.router.framesOut++;
    this.fabric.input(this.port, frame, this.now());
  }
}
