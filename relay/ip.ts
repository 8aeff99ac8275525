/**
 * IPv4, UDP and ICMP: parsing with full validation (version, header length, total length, header
 * checksum, fragments; UDP length and checksum; ICMP checksum) and building of the router's replies.
 * Addresses are unsigned 32-bit numbers. No Node APIs.
 */
import { ETH_HEADER_BYTES, ETHERTYPE_IPV4, writeMacKey, type MacKey } from './protocol/index.js';

export const IP_PROTOCOL_ICMP = 1;
export const IP_PROTOCOL_TCP = 6;
export const IP_PROTOCOL_UDP = 17;
export const IPV4_HEADER_BYTES = 20;
export const UDP_HEADER_BYTES = 8;
export const IPV4_BROADCAST = 0xffff_ffff;
/** Frames the router sends are padded to the Ethernet minimum (64 bytes less the FCS), as a real NIC would. */
export const ETH_PADDED_MIN_BYTES = 60;

export function parseIpv4Address(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let address = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    address = address * 256 + value;
  }
  return address;
}

export function formatIpv4Address(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 0xff}.${(address >>> 8) & 0xff}.${address & 0xff}`;
}

export function readUint32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

export function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

export function readUint16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] << 8) | bytes[offset + 1];
}

export function writeUint16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}

/** RFC 1071 one's-complement sum of bytes [start, end), folded to 16 bits, continuing from `initial`. */
export function onesComplementSum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The checksum field value for bytes [start, end) whose checksum field is zero. */
export function internetChecksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  return ~onesComplementSum(bytes, start, end, initial) & 0xffff;
}

/** Sum of the UDP/TCP pseudo-header (source, destination, protocol, length), to start a transport checksum. */
function pseudoHeaderSum(source: number, destination: number, protocol: number, length: number): number {
  const sum = (source >>> 16) + (source & 0xffff) + (destination >>> 16) + (destination & 0xffff) + protocol + length;
  return (sum & 0xffff) + (sum >>> 16);
}

/** A validated IPv4 packet inside a frame. Offsets are into the frame. */
export interface Ipv4Packet {
  source: number;
  destination: number;
  protocol: number;
  ttl: number;
  headerOffset: number;
  payloadOffset: number;
  payloadLength: number;
  /** More-fragments set or a non-zero fragment offset: the router does not reassemble. */
  fragment: boolean;
}

/** Parses the IPv4 packet after the Ethernet header, or returns why it is invalid. */
export function parseIpv4(frame: Uint8Array): Ipv4Packet | string {
  const at = ETH_HEADER_BYTES;
  if (frame.length < at + IPV4_HEADER_BYTES) return 'IPv4 header truncated';
  const version = frame[at] >>> 4;
  const headerLength = (frame[at] & 0x0f) * 4;
  if (version !== 4) return `IP version ${version}`;
  if (headerLength < IPV4_HEADER_BYTES) return `IPv4 header length ${headerLength}`;
  if (frame.length < at + headerLength) return 'IPv4 options truncated';
  const totalLength = readUint16(frame, at + 2);
  // Ethernet pads short packets, so the frame may be longer than the packet, never shorter.
  if (totalLength < headerLength || at + totalLength > frame.length) return `IPv4 total length ${totalLength} in a ${frame.length}-byte frame`;
  if (onesComplementSum(frame, at, at + headerLength) !== 0xffff) return 'IPv4 header checksum';
  const flagsAndOffset = readUint16(frame, at + 6);
  return {
    source: readUint32(frame, at + 12),
    destination: readUint32(frame, at + 16),
    protocol: frame[at + 9],
    ttl: frame[at + 8],
    headerOffset: at,
    payloadOffset: at + headerLength,
    payloadLength: totalLength - headerLength,
    fragment: (flagsAndOffset & 0x3fff) !== 0,
  };
}

export interface UdpDatagram {
  sourcePort: number;
  destinationPort: number;
  dataOffset: number;
  dataLength: number;
}

/** Parses the UDP datagram in a valid IPv4 packet, checking its length and (if present) its checksum. */
export function parseUdp(frame: Uint8Array, ip: Ipv4Packet): UdpDatagram | string {
  const at = ip.payloadOffset;
  if (ip.payloadLength < UDP_HEADER_BYTES) return 'UDP header truncated';
  const length = readUint16(frame, at + 4);
  if (length < UDP_HEADER_BYTES || length > ip.payloadLength) return `UDP length ${length} in a ${ip.payloadLength}-byte payload`;
  if (readUint16(frame, at + 6) !== 0) {
    const sum = onesComplementSum(frame, at, at + length, pseudoHeaderSum(ip.source, ip.destination, IP_PROTOCOL_UDP, length));
    if (sum !== 0xffff) return 'UDP checksum';
  }
  return { sourcePort: readUint16(frame, at), destinationPort: readUint16(frame, at + 2), dataOffset: at + UDP_HEADER_BYTES, dataLength: length - UDP_HEADER_BYTES };
}

/** Checks an ICMP message's checksum; returns an error or null. */
export function checkIcmp(frame: Uint8Array, ip: Ipv4Packet): string | null {
  if (ip.payloadLength < 8) return 'ICMP header truncated';
  if (onesComplementSum(frame, ip.payloadOffset, ip.payloadOffset + ip.payloadLength) !== 0xffff) return 'ICMP checksum';
  return null;
}

export interface Ipv4Addressing {
  destinationMac: MacKey;
  sourceMac: MacKey;
  source: number;
  destination: number;
  /** IPv4 identification field. */
  identification: number;
}

/** A new frame: Ethernet + 20-byte IPv4 header (checksummed) + `payloadLength` zero bytes for the caller to fill (+ padding). */
export function newIpv4Frame(addressing: Ipv4Addressing, protocol: number, payloadLength: number): Uint8Array {
  const frame = new Uint8Array(Math.max(ETH_PADDED_MIN_BYTES, ETH_HEADER_BYTES + IPV4_HEADER_BYTES + payloadLength));
  writeMacKey(addressing.destinationMac, frame, 0);
  writeMacKey(addressing.sourceMac, frame, 6);
  writeUint16(frame, 12, ETHERTYPE_IPV4);
  const at = ETH_HEADER_BYTES;
  frame[at] = 0x45;
  writeUint16(frame, at + 2, IPV4_HEADER_BYTES + payloadLength);
  writeUint16(frame, at + 4, addressing.identification & 0xffff);
  frame[at + 8] = 64; // TTL
  frame[at + 9] = protocol;
  writeUint32(frame, at + 12, addressing.source);
  writeUint32(frame, at + 16, addressing.destination);
  writeUint16(frame, at + 10, internetChecksum(frame, at, at + IPV4_HEADER_BYTES));
  return frame;
}

/** A UDP frame carrying `data`, with its checksum. */
export function buildUdpFrame(addressing: Ipv4Addressing, sourcePort: number, destinationPort: number, data: Uint8Array): Uint8Array {
  const length = UDP_HEADER_BYTES + data.length;
  const frame = newIpv4Frame(addressing, IP_PROTOCOL_UDP, length);
  const at = ETH_HEADER_BYTES + IPV4_HEADER_BYTES;
  writeUint16(frame, at, sourcePort);
  writeUint16(frame, at + 2, destinationPort);
  writeUint16(frame, at + 4, length);
  frame.set(data, at + UDP_HEADER_BYTES);
  const checksum = internetChecksum(frame, at, at + length, pseudoHeaderSum(addressing.source, addressing.destination, IP_PROTOCOL_UDP, length));
  writeUint16(frame, at + 6, checksum === 0 ? 0xffff : checksum);
  return frame;
}

/** An ICMP frame: type, code, 4 bytes of rest-of-header, then `body`; the checksum is filled in. */
export function buildIcmpFrame(addressing: Ipv4Addressing, type: number, code: number, restOfHeader: number, body: Uint8Array): Uint8Array {
  const frame = newIpv4Frame(addressing, IP_PROTOCOL_ICMP, 8 + body.length);
  const at = ETH_HEADER_BYTES + IPV4_HEADER_BYTES;
  frame[at] = type;
  frame[at + 1] = code;
  writeUint32(frame, at + 4, restOfHeader);
  frame.set(body, at + 8);
  writeUint16(frame, at + 2, internetChecksum(frame, at, at + 8 + body.length));
  return frame;
}
