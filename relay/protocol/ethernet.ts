/**
 * The /net wire format: one binary WebSocket message carries exactly one raw Ethernet II frame —
 * destination MAC, source MAC, EtherType, payload — with no extra header and no FCS. It is the format
 * v86 and its relays use, so VMs on co86 and on those relays interoperate. Pure: no Node or DOM APIs.
 */

export const ETH_ADDR_BYTES = 6;
export const ETH_HEADER_BYTES = 14;
/** Shortest message we forward: a bare header. Real NICs pad to 60 bytes, but a VM's NIC need not. */
export const ETH_MIN_FRAME_BYTES = ETH_HEADER_BYTES;
/** Longest message we forward: 1500-byte MTU + 14-byte header + a 4-byte 802.1Q tag (no FCS). */
export const ETH_MAX_FRAME_BYTES = 1518;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;

/** A 48-bit MAC address held as an exact integer (below 2^53), cheap to compare and to use as a Map key. */
export type MacKey = number;
export const BROADCAST_MAC_KEY: MacKey = 0xffff_ffff_ffff;

export type FrameLengthProblem = 'runt' | 'giant';

/** Why a message of this many bytes cannot be an Ethernet frame on /net, or null when its length is fine. */
export function frameLengthProblem(length: number): FrameLengthProblem | null {
  if (length < ETH_MIN_FRAME_BYTES) return 'runt';
  if (length > ETH_MAX_FRAME_BYTES) return 'giant';
  return null;
}

/** The address at `offset` as a MacKey (offset 0 = destination, 6 = source). The caller checks the length. */
export function macKeyAt(bytes: Uint8Array, offset: number): MacKey {
  const high = (bytes[offset] << 8) | bytes[offset + 1];
  const low = ((bytes[offset + 2] << 24) | (bytes[offset + 3] << 16) | (bytes[offset + 4] << 8) | bytes[offset + 5]) >>> 0;
  return high * 0x1_0000_0000 + low;
}

/** Writes a MacKey as six bytes at `offset`. */
export function writeMacKey(key: MacKey, out: Uint8Array, offset: number): void {
  const high = Math.floor(key / 0x1_0000_0000);
  const low = key >>> 0;
  out[offset] = high >>> 8;
  out[offset + 1] = high & 0xff;
  out[offset + 2] = low >>> 24;
  out[offset + 3] = (low >>> 16) & 0xff;
  out[offset + 4] = (low >>> 8) & 0xff;
  out[offset + 5] = low & 0xff;
}

/** True for group (multicast or broadcast) addresses: the I/G bit, the least significant bit of the first byte. */
export function isGroupMacAt(bytes: Uint8Array, offset: number): boolean {
  return (bytes[offset] & 1) !== 0;
}

export function isGroupMacKey(key: MacKey): boolean {
  return Math.floor(key / 0x100_0000_0000) % 2 === 1;
}

/** "aa:bb:cc:dd:ee:ff" */
export function macKeyToString(key: MacKey): string {
  const bytes = new Uint8Array(6);
  writeMacKey(key, bytes, 0);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-'), or returns null. */
export function parseMac(text: string): MacKey | null {
  const match = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i.exec(text);
  if (!match) return null;
  const bytes = Uint8Array.from(match.slice(1), (h) => parseInt(h, 16));
  return macKeyAt(bytes, 0);
}
