/**
 * The router's DHCP server (RFC 2131/2132): leases by client hardware address (chaddr) from a pool.
 * Handles DISCOVER → OFFER, REQUEST → ACK/NAK (selecting, init-reboot, renewing, rebinding), DECLINE,
 * RELEASE and INFORM. Hands out subnet mask, router, DNS server (= gateway), broadcast address, lease time
 * (with T1/T2) and server identifier. It is forgiving after a restart: a client asking for a free
 * address of the pool gets it even without a record. Plain BOOTP and relayed (giaddr) requests are ignored.
 *
 * Abuse bounds: a port holds at most `maxLeasesPerPort` leases (a client that invents chaddrs cannot
 * drain the pool), and leases of disconnected ports are reclaimed first when the pool runs dry.
 * No Node APIs: times are milliseconds passed in.
 */
import { BROADCAST_MAC_KEY, macKeyAt, type MacKey, type RouterStats } from './protocol/index.js';
import { IPV4_BROADCAST, readUint16, readUint32, writeUint32 } from './ip.js';

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;

const DHCPDISCOVER = 1;
const DHCPOFFER = 2;
const DHCPREQUEST = 3;
const DHCPDECLINE = 4;
const DHCPACK = 5;
const DHCPNAK = 6;
const DHCPRELEASE = 7;
const DHCPINFORM = 8;

const OPTION_PAD = 0;
const OPTION_SUBNET_MASK = 1;
const OPTION_ROUTER = 3;
const OPTION_DNS = 6;
const OPTION_BROADCAST = 28;
const OPTION_REQUESTED_IP = 50;
const OPTION_LEASE_TIME = 51;
const OPTION_MESSAGE_TYPE = 53;
const OPTION_SERVER_ID = 54;
const OPTION_MESSAGE = 56;
const OPTION_RENEWAL_TIME = 58;
const OPTION_REBINDING_TIME = 59;
const OPTION_END = 255;

const BOOTREQUEST = 1;
const BOOTREPLY = 2;
const HTYPE_ETHERNET = 1;
const MAGIC_COOKIE = 0x63825363;
/** op..file: the fixed BOOTP part before the magic cookie. */
const FIXED_BYTES = 236;
const OPTIONS_OFFSET = FIXED_BYTES + 4;
/** Replies are padded to the classic BOOTP minimum, which some clients insist on. */
const MIN_REPLY_BYTES = 300;
const BROADCAST_FLAG = 0x8000;
/** How long an OFFER reserves its address while the client decides. */
const OFFER_HOLD_MS = 60_000;

export interface DhcpConfig {
  /** Gateway = server identifier = DNS server address. */
  gateway: number;
  netmask: number;
  poolStart: number;
  poolEnd: number;
  leaseSeconds: number;
  maxLeasesPerPort: number;
}

type LeaseState = 'offered' | 'bound' | 'declined';

interface Lease {
  /** -1 for a declined address that belongs to no client. */
  mac: MacKey;
  ip: number;
  state: LeaseState;
  expiresAt: number;
  /** The switch port the client talked through; null once that port disconnected. */
  portId: number | null;
}

export interface DhcpReply {
  message: Uint8Array;
  destinationIp: number;
  destinationMac: MacKey;
}

interface Request {
  type: number;
  xid: number;
  flags: number;
  ciaddr: number;
  mac: MacKey;
  chaddr: Uint8Array;
  requestedIp: number | null;
  serverId: number | null;
}

export class DhcpServer {
  private readonly byMac = new Map<MacKey, Lease>();
  private readonly byIp = new Map<number, Lease>();
  private cursor: number;

  constructor(
    private readonly config: DhcpConfig,
    private readonly stats: RouterStats,
  ) {
    this.cursor = config.poolStart;
  }

  /** Bound, unexpired leases. */
  boundCount(now: number): number {
    let count = 0;
    for (const lease of this.byIp.values()) if (lease.state === 'bound' && lease.expiresAt > now) count++;
    return count;
  }

  /**
   * Handles one DHCP message (the UDP payload) that arrived through switch port `portId`. Returns the
   * reply to send, null for no reply, or a string saying why the message is malformed.
   */
  handle(data: Uint8Array, portId: number, now: number): DhcpReply | null | string {
    const request = parseRequest(data);
    if (typeof request === 'string') return request;
    if (request === null) return null;
    switch (request.type) {
      case DHCPDISCOVER:
        this.stats.dhcpDiscover++;
        return this.discover(request, portId, now);
      case DHCPREQUEST:
        this.stats.dhcpRequest++;
        return this.request(request, portId, now);
      case DHCPDECLINE:
        this.stats.dhcpDecline++;
        this.decline(request, now);
        return null;
      case DHCPRELEASE:
        this.stats.dhcpRelease++;
        this.release(request);
        return null;
      case DHCPINFORM:
        this.stats.dhcpInform++;
        if (request.ciaddr === 0) return 'DHCPINFORM without ciaddr';
        this.stats.dhcpAck++;
        return this.reply(request, DHCPACK, 0, false);
      default:
        return null; // OFFER/ACK/NAK from another server on the segment: not for us
    }
  }

  /** The port went away: its offers lapse, its bound leases become reclaimable when the pool is dry. */
  portDetached(portId: number): void {
    for (const lease of [...this.byIp.values()]) {
      if (lease.portId !== portId) continue;
      if (lease.state === 'offered') this.remove(lease);
      else lease.portId = null;
    }
  }

  sweep(now: number): void {
    for (const lease of [...this.byIp.values()]) if (lease.expiresAt <= now) this.remove(lease);
  }

  private discover(request: Request, portId: number, now: number): DhcpReply | null {
    const lease = this.allocate(request.mac, request.requestedIp, portId, now);
    if (lease === null) {
      this.stats.dhcpPoolExhausted++;
      return null;
    }
    if (lease.state !== 'bound' || lease.expiresAt <= now) {
      lease.state = 'offered';
      lease.expiresAt = now + OFFER_HOLD_MS;
    }
    lease.portId = portId;
    this.stats.dhcpOffer++;
    return this.reply(request, DHCPOFFER, lease.ip, true);
  }

  private request(request: Request, portId: number, now: number): DhcpReply | null {
    const current = this.byMac.get(request.mac);
    if (request.serverId !== null) {
      // SELECTING: the client answers one server's OFFER.
      if (request.serverId !== this.config.gateway) {
        if (current?.state === 'offered') this.remove(current);
        return null;
      }
      if (request.requestedIp !== null && current !== undefined && current.state !== 'declined' && current.ip === request.requestedIp) {
        return this.bind(request, current, portId, now);
      }
      return this.nak(request, 'no offer for that address');
    }
    // INIT-REBOOT (option 50) or RENEWING/REBINDING (ciaddr).
    const wanted = request.requestedIp ?? (request.ciaddr !== 0 ? request.ciaddr : null);
    if (wanted === null) return null;
    if ((wanted & this.config.netmask) !== (this.config.gateway & this.config.netmask)) return this.nak(request, 'wrong network');
    if (current !== undefined && current.state !== 'declined') {
      return current.ip === wanted ? this.bind(request, current, portId, now) : this.nak(request, 'address not leased to you');
    }
    // No record (the relay restarted, or the room was re-created): grant the address if it is free.
    const adopted = this.inPool(wanted) && this.isFree(wanted, now) ? this.allocate(request.mac, wanted, portId, now) : null;
    if (adopted === null || adopted.ip !== wanted) {
      if (adopted !== null) this.remove(adopted);
      return this.nak(request, 'address not available');
    }
    return this.bind(request, adopted, portId, now);
  }

  private bind(request: Request, lease: Lease, portId: number, now: number): DhcpReply {
    lease.state = 'bound';
    lease.expiresAt = now + this.config.leaseSeconds * 1000;
    lease.portId = portId;
    this.stats.dhcpAck++;
    return this.reply(request, DHCPACK, lease.ip, true);
  }

  private nak(request: Request, why: string): DhcpReply {
    this.stats.dhcpNak++;
    return this.reply(request, DHCPNAK, 0, false, why);
  }

  private decline(request: Request, now: number): void {
    const lease = this.byMac.get(request.mac);
    if (lease === undefined || request.requestedIp === null || lease.ip !== request.requestedIp) return;
    // Someone else uses that address: keep it out of the pool for a lease time.
    this.remove(lease);
    this.add({ mac: -1, ip: lease.ip, state: 'declined', expiresAt: now + this.config.leaseSeconds * 1000, portId: null });
  }

  private release(request: Request): void {
    const lease = this.byMac.get(request.mac);
    if (lease !== undefined && lease.ip === request.ciaddr) this.remove(lease);
  }

  /** The client's existing lease, else a new one (the requested address if free, else any free one), else null. */
  private allocate(mac: MacKey, requested: number | null, portId: number, now: number): Lease | null {
    const existing = this.byMac.get(mac);
    if (existing !== undefined && existing.state !== 'declined') return existing;
    if (this.leasesOfPort(portId, now) >= this.config.maxLeasesPerPort) return null;
    const ip = requested !== null && this.inPool(requested) && this.isFree(requested, now) ? requested : this.findFree(now);
    if (ip === null) return null;
    const stale = this.byIp.get(ip);
    if (stale !== undefined) this.remove(stale);
    const lease: Lease = { mac, ip, state: 'offered', expiresAt: now + OFFER_HOLD_MS, portId };
    this.add(lease);
    return lease;
  }

  /** A free pool address: never leased or expired first (round-robin), else the oldest lease of a departed port. */
  private findFree(now: number): number | null {
    const { poolStart, poolEnd } = this.config;
    const size = poolEnd - poolStart + 1;
    for (let i = 0; i < size; i++) {
      const ip = this.cursor;
      this.cursor = ip >= poolEnd ? poolStart : ip + 1;
      if (this.isFree(ip, now)) return ip;
    }
    let oldest: Lease | null = null;
    for (const lease of this.byIp.values()) {
      if (lease.portId === null && lease.state === 'bound' && (oldest === null || lease.expiresAt < oldest.expiresAt)) oldest = lease;
    }
    return oldest?.ip ?? null;
  }

  private isFree(ip: number, now: number): boolean {
    if (ip === this.config.gateway) return false;
    const lease = this.byIp.get(ip);
    return lease === undefined || lease.expiresAt <= now;
  }

  private inPool(ip: number): boolean {
    return ip >= this.config.poolStart && ip <= this.config.poolEnd && ip !== this.config.gateway;
  }

  private leasesOfPort(portId: number, now: number): number {
    let count = 0;
    for (const lease of this.byIp.values()) if (lease.portId === portId && lease.expiresAt > now) count++;
    return count;
  }

  private add(lease: Lease): void {
    this.byIp.set(lease.ip, lease);
    if (lease.mac >= 0) this.byMac.set(lease.mac, lease);
  }

  private remove(lease: Lease): void {
    if (this.byIp.get(lease.ip) === lease) this.byIp.delete(lease.ip);
    if (this.byMac.get(lease.mac) === lease) this.byMac.delete(lease.mac);
  }

  /** Builds a BOOTREPLY and picks its destination (RFC 2131 §4.1). `yiaddr` 0 for NAK and INFORM. */
  private reply(request: Request, type: number, yiaddr: number, withLease: boolean, message?: string): DhcpReply {
    const { gateway, netmask, leaseSeconds } = this.config;
    const options: number[] = [OPTION_MESSAGE_TYPE, 1, type, OPTION_SERVER_ID, 4, ...bytesOf(gateway)];
    if (type !== DHCPNAK) {
      if (withLease) {
        options.push(OPTION_LEASE_TIME, 4, ...bytesOf(leaseSeconds));
        options.push(OPTION_RENEWAL_TIME, 4, ...bytesOf(Math.floor(leaseSeconds / 2)));
        options.push(OPTION_REBINDING_TIME, 4, ...bytesOf(Math.floor((leaseSeconds * 7) / 8)));
      }
      options.push(OPTION_SUBNET_MASK, 4, ...bytesOf(netmask));
      options.push(OPTION_ROUTER, 4, ...bytesOf(gateway));
      options.push(OPTION_DNS, 4, ...bytesOf(gateway));
      options.push(OPTION_BROADCAST, 4, ...bytesOf((gateway | ~netmask) >>> 0));
    } else if (message) {
      const text = Array.from(message, (c) => c.charCodeAt(0) & 0x7f).slice(0, 255);
      options.push(OPTION_MESSAGE, text.length, ...text);
    }
    options.push(OPTION_END);

    const out = new Uint8Array(Math.max(MIN_REPLY_BYTES, OPTIONS_OFFSET + options.length));
    out[0] = BOOTREPLY;
    out[1] = HTYPE_ETHERNET;
    out[2] = 6;
    writeUint32(out, 4, request.xid);
    out[10] = request.flags >>> 8; // secs stay 0; flags echo the client's broadcast bit
    out[11] = request.flags & 0xff;
    if (type === DHCPACK) writeUint32(out, 12, request.ciaddr);
    writeUint32(out, 16, yiaddr);
    out.set(request.chaddr, 28);
    writeUint32(out, FIXED_BYTES, MAGIC_COOKIE);
    out.set(options, OPTIONS_OFFSET);

    let destinationIp: number;
    let destinationMac: MacKey;
    if (type === DHCPNAK || (request.ciaddr === 0 && (request.flags & BROADCAST_FLAG) !== 0)) {
      destinationIp = IPV4_BROADCAST;
      destinationMac = BROADCAST_MAC_KEY;
    } else {
      destinationIp = request.ciaddr !== 0 ? request.ciaddr : yiaddr;
      destinationMac = request.mac;
    }
    return { message: out, destinationIp, destinationMac };
  }
}

function bytesOf(value: number): number[] {
  return [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

/** Parses a BOOTREQUEST with DHCP options; null for messages we ignore, a string for malformed ones. */
function parseRequest(data: Uint8Array): Request | null | string {
  if (data.length < OPTIONS_OFFSET) return `DHCP message of ${data.length} bytes`;
  if (data[0] !== BOOTREQUEST) return null;
  if (data[1] !== HTYPE_ETHERNET || data[2] !== 6) return `DHCP htype ${data[1]} hlen ${data[2]}`;
  if (readUint32(data, FIXED_BYTES) !== MAGIC_COOKIE) return 'DHCP magic cookie';
  if (readUint32(data, 24) !== 0) return null; // giaddr: relayed from another link
  let type = 0;
  let requestedIp: number | null = null;
  let serverId: number | null = null;
  let at = OPTIONS_OFFSET;
  while (at < data.length) {
    const code = data[at];
    if (code === OPTION_END) break;
    if (code === OPTION_PAD) {
      at++;
      continue;
    }
    if (at + 1 >= data.length) return 'DHCP option truncated';
    const length = data[at + 1];
    const value = at + 2;
    if (value + length > data.length) return `DHCP option ${code} overruns the message`;
    if (code === OPTION_MESSAGE_TYPE) {
      if (length !== 1) return 'DHCP message type length';
      type = data[value];
    } else if (code === OPTION_REQUESTED_IP) {
      if (length !== 4) return 'DHCP requested address length';
      requestedIp = readUint32(data, value);
    } else if (code === OPTION_SERVER_ID) {
      if (length !== 4) return 'DHCP server identifier length';
      serverId = readUint32(data, value);
    }
    at = value + length;
  }
  if (type < DHCPDISCOVER || type > DHCPINFORM) return type === 0 ? 'BOOTP request without DHCP message type' : `DHCP message type ${type}`;
  return {
    type,
    xid: readUint32(data, 4),
    flags: readUint16(data, 10),
    ciaddr: readUint32(data, 12),
    mac: macKeyAt(data, 28),
    chaddr: data.slice(28, 44),
    requestedIp,
    serverId,
  };
}
