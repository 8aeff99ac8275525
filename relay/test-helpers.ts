/**
 * Shared by the relay's tests: a relay on an ephemeral loopback port, `ws` clients that record what
 * they receive, frame builders, and a DHCP/IPv4 encoder and decoder written independently of the
 * relay's own (so a bug cannot cancel itself out between builder and parser).
 */
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import { startRelay, type RelayOptions, type RunningRelay } from './server.js';
import type { RelayStats } from './protocol/index.js';

export interface TestRelay extends RunningRelay {
  logLines: string[];
  netUrl(room: string): string;
  signalUrl: string;
  fetchStats(): Promise<RelayStats>;
}

export async function startTestRelay(options: RelayOptions = {}): Promise<TestRelay> {
  const logLines: string[] = [];
  const relay = await startRelay({ port: 0, host: '127.0.0.1', staticDir: '/nonexistent-co86-static', log: (line) => logLines.push(line), ...options });
  const wsBase = relay.url.replace(/^http/, 'ws');
  return Object.assign(relay, {
    logLines,
    netUrl: (room: string) => `${wsBase}/net/${room}`,
    signalUrl: `${wsBase}/signal`,
    fetchStats: async () => (await (await fetch(`${relay.url}/stats`)).json()) as RelayStats,
  });
}

/** Polls `condition` every 5 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A WebSocket client that records every message it gets. */
export class TestClient {
  readonly frames: Buffer[] = [];
  readonly texts: string[] = [];
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.frames.push(data);
      else this.texts.push(data.toString('utf8'));
    });
    ws.on('close', (code: number) => (this.closeCode = code));
    ws.on('error', () => {});
  }

  static connect(url: string): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      ws.binaryType = 'nodebuffer';
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    });
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  async waitFrames(count: number, timeoutMs = 5000): Promise<Buffer[]> {
    await waitFor(() => this.frames.length >= count, timeoutMs, `${count} frames (have ${this.frames.length})`);
    return this.frames;
  }

  async waitTexts(count: number, timeoutMs = 5000): Promise<string[]> {
    await waitFor(() => this.texts.length >= count, timeoutMs, `${count} texts (have ${this.texts.length})`);
    return this.texts;
  }

  /** Waits for the next frame matching `match` among frames not yet looked at by this call. */
  async waitFrame(match: (frame: Buffer) => boolean, timeoutMs = 5000): Promise<Buffer> {
    let found: Buffer | undefined;
    await waitFor(() => (found = this.frames.find(match)) !== undefined, timeoutMs, 'a matching frame');
    return found!;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      // A client that stopped reading never sees the close handshake: cut it after a short wait.
      const timer = setTimeout(() => this.ws.terminate(), 500);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close();
    });
  }
}

/** What a test file gets from relayFixture(). */
export interface RelayFixture {
  /** Starts this test's relay; it is closed after the test. */
  start(options?: RelayOptions): Promise<TestRelay>;
  /** The relay start() gave. */
  readonly relay: TestRelay;
  /** `count` clients on the room's network path of the running relay. */
  connect(room: string, count?: number): Promise<TestClient[]>;
  /** `count` clients on its signalling path. */
  connectSignal(count?: number): Promise<TestClient[]>;
  /** Every client connected in this test (a test may splice out the ones it closes itself). */
  readonly clients: TestClient[];
  /** Closes every client connected so far. */
  closeClients(): Promise<void>;
}

/**
 * One relay per test and the clients connected to it, all closed after each test. Call once at the top
 * of a test file (it registers the afterEach hook).
 */
export function relayFixture(): RelayFixture {
  let relay: TestRelay | null = null;
  const clients: TestClient[] = [];
  const running = (): TestRelay => {
    if (!relay) throw new Error('start the relay first');
    return relay;
  };
  const open = async (url: string, count: number): Promise<TestClient[]> => {
    const made = await Promise.all(Array.from({ length: count }, () => TestClient.connect(url)));
    clients.push(...made);
    return made;
  };
  const closeClients = async (): Promise<void> => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  };
  afterEach(async () => {
    await closeClients();
    await relay?.close();
    relay = null;
  });
  return {
    clients,
    start: async (options) => (relay = await startTestRelay(options)),
    get relay() {
      return running();
    },
    connect: (room, count = 1) => open(running().netUrl(room), count),
    connectSignal: (count = 1) => open(running().signalUrl, count),
    closeClients,
  };
}

/** Connects and resolves with the HTTP status of a refused upgrade, or 101 if it was accepted (then closes). */
export function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      response.destroy();
    });
    ws.once('error', () => {});
  });
}

// ---- Ethernet ----------------------------------------------------------------------------------

export const BROADCAST = 'ff:ff:ff:ff:ff:ff';

export function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

export function macString(bytes: Uint8Array, offset = 0): string {
  return Array.from(bytes.subarray(offset, offset + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** An Ethernet frame; `payload` is bytes or a length (filled with a tag byte so frames can be told apart). */
export function ethFrame(destination: string, source: string, etherType: number, payload: Uint8Array | number, tag = 0): Buffer {
  const body = typeof payload === 'number' ? Buffer.alloc(payload, tag) : Buffer.from(payload);
  const header = Buffer.alloc(14);
  macBytes(destination).copy(header, 0);
  macBytes(source).copy(header, 6);
  header.writeUInt16BE(etherType, 12);
  return Buffer.concat([header, body]);
}

export const ETHERTYPE_TEST = 0x88b5;

// ---- IPv4 / UDP / ICMP / ARP -------------------------------------------------------------------

export function ip(text: string): number {
  return text.split('.').reduce((a, part) => a * 256 + Number(part), 0);
}

export function ipString(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** RFC 1071 checksum of `data` (as the value to store: 0 when `data` includes a correct checksum). */
export function checksum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < data.length; i += 2) sum += (data[i] << 8) + (i + 1 < data.length ? data[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

export function ipv4Packet(source: number, destination: number, protocol: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(20);
  header[0] = 0x45;
  header.writeUInt16BE(20 + payload.length, 2);
  header.writeUInt16BE(0x1234, 4);
  header[8] = 64;
  header[9] = protocol;
  header.writeUInt32BE(source, 12);
  header.writeUInt32BE(destination, 16);
  header.writeUInt16BE(checksum(header), 10);
  return Buffer.concat([header, payload]);
}

function pseudoSum(source: number, destination: number, protocol: number, length: number): number {
  return (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol + length;
}

export function udpPacket(source: number, destination: number, sourcePort: number, destinationPort: number, data: Uint8Array): Buffer {
  const udp = Buffer.alloc(8 + data.length);
  udp.writeUInt16BE(sourcePort, 0);
  udp.writeUInt16BE(destinationPort, 2);
  udp.writeUInt16BE(udp.length, 4);
  Buffer.from(data).copy(udp, 8);
  udp.writeUInt16BE(checksum(udp, pseudoSum(source, destination, 17, udp.length)) || 0xffff, 6);
  return ipv4Packet(source, destination, 17, udp);
}

export function icmpEcho(source: number, destination: number, identifier: number, sequence: number, data: Uint8Array): Buffer {
  const icmp = Buffer.alloc(8 + data.length);
  icmp[0] = 8;
  icmp.writeUInt16BE(identifier, 4);
  icmp.writeUInt16BE(sequence, 6);
  Buffer.from(data).copy(icmp, 8);
  icmp.writeUInt16BE(checksum(icmp), 2);
  return ipv4Packet(source, destination, 1, icmp);
}

export function arpRequest(senderMac: string, senderIp: number, targetIp: number): Buffer {
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0);
  arp.writeUInt16BE(0x0800, 2);
  arp[4] = 6;
  arp[5] = 4;
  arp.writeUInt16BE(1, 6);
  macBytes(senderMac).copy(arp, 8);
  arp.writeUInt32BE(senderIp, 14);
  arp.writeUInt32BE(targetIp, 24);
  return ethFrame(BROADCAST, senderMac, 0x0806, arp);
}

export interface ParsedIpv4 {
  source: number;
  destination: number;
  protocol: number;
  payload: Buffer;
  headerChecksumOk: boolean;
}

export function parseIpv4Frame(frame: Buffer): ParsedIpv4 | null {
  if (frame.length < 34 || frame.readUInt16BE(12) !== 0x0800) return null;
  const headerLength = (frame[14] & 15) * 4;
  const total = frame.readUInt16BE(16);
  return {
    source: frame.readUInt32BE(26),
    destination: frame.readUInt32BE(30),
    protocol: frame[23],
    payload: frame.subarray(14 + headerLength, 14 + total),
    headerChecksumOk: checksum(frame.subarray(14, 14 + headerLength)) === 0,
  };
}

export interface ParsedUdp {
  ip: ParsedIpv4;
  sourcePort: number;
  destinationPort: number;
  data: Buffer;
  checksumOk: boolean;
}

export function parseUdpFrame(frame: Buffer): ParsedUdp | null {
  const packet = parseIpv4Frame(frame);
  if (!packet || packet.protocol !== 17) return null;
  const udp = packet.payload;
  const length = udp.readUInt16BE(4);
  return {
    ip: packet,
    sourcePort: udp.readUInt16BE(0),
    destinationPort: udp.readUInt16BE(2),
    data: udp.subarray(8, length),
    checksumOk: checksum(udp.subarray(0, length), pseudoSum(packet.source, packet.destination, 17, length)) === 0,
  };
}

// ---- DHCP --------------------------------------------------------------------------------------

export const DHCP = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;

export interface DhcpFields {
  type: number;
  mac: string;
  xid: number;
  ciaddr?: number;
  broadcastFlag?: boolean;
  requestedIp?: number;
  serverId?: number;
}

/** A BOOTREQUEST with DHCP options (the UDP payload). */
export function dhcpMessage(fields: DhcpFields): Buffer {
  const message = Buffer.alloc(300);
  message[0] = 1;
  message[1] = 1;
  message[2] = 6;
  message.writeUInt32BE(fields.xid, 4);
  if (fields.broadcastFlag) message.writeUInt16BE(0x8000, 10);
  message.writeUInt32BE(fields.ciaddr ?? 0, 12);
  macBytes(fields.mac).copy(message, 28);
  message.writeUInt32BE(0x63825363, 236);
  let at = 240;
  const option = (code: number, value: number[]): void => {
    message[at++] = code;
    message[at++] = value.length;
    for (const byte of value) message[at++] = byte;
  };
  const four = (value: number): number[] => [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
  option(53, [fields.type]);
  if (fields.requestedIp !== undefined) option(50, four(fields.requestedIp));
  if (fields.serverId !== undefined) option(54, four(fields.serverId));
  option(55, [1, 3, 6, 51, 54]);
  message[at] = 255;
  return message;
}

/** A DHCP message from a client as a broadcast Ethernet frame (or unicast to `to` when renewing). */
export function dhcpFrame(fields: DhcpFields, to?: { mac: string; ip: number }): Buffer {
  const source = fields.ciaddr ?? 0;
  const packet = udpPacket(source, to ? to.ip : 0xffffffff, 68, 67, dhcpMessage(fields));
  return ethFrame(to ? to.mac : BROADCAST, fields.mac, 0x0800, packet);
}

export interface ParsedDhcp {
  op: number;
  xid: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  chaddr: string;
  type: number;
  options: Map<number, Buffer>;
  length: number;
}

export function parseDhcp(data: Buffer): ParsedDhcp {
  const options = new Map<number, Buffer>();
  let at = 240;
  while (at < data.length && data[at] !== 255) {
    if (data[at] === 0) {
      at++;
      continue;
    }
    options.set(data[at], data.subarray(at + 2, at + 2 + data[at + 1]));
    at += 2 + data[at + 1];
  }
  if (data.readUInt32BE(236) !== 0x63825363) throw new Error('bad magic cookie');
  return {
    op: data[0],
    xid: data.readUInt32BE(4),
    flags: data.readUInt16BE(10),
    ciaddr: data.readUInt32BE(12),
    yiaddr: data.readUInt32BE(16),
    chaddr: macString(data, 28),
    type: options.get(53)?.[0] ?? 0,
    options,
    length: data.length,
  };
}

/** The DHCP reply inside a frame from the router, or null if the frame is something else. */
export function dhcpReplyOf(frame: Buffer): (ParsedDhcp & { udp: ParsedUdp }) | null {
  const udp = parseUdpFrame(frame);
  if (!udp || udp.sourcePort !== 67 || udp.destinationPort !== 68) return null;
  return { ...parseDhcp(udp.data), udp };
}

export function optionIp(reply: ParsedDhcp, code: number): string | undefined {
  const value = reply.options.get(code);
  return value && value.length === 4 ? ipString(value.readUInt32BE(0)) : undefined;
}

/** A deterministic PRNG (mulberry32) for fuzz-style tests. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
