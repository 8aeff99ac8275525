/** Ethernet MAC addresses for the network cards: parsing "52:54:00:12:34:56" and random local ones. */

/** Parses six hex bytes separated by ':' or '-'; throws a clear error otherwise, or for a group address. */
export function parseMac(text: string): Uint8Array {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`'${text}' is not a MAC address (six hex bytes such as 52:54:00:12:34:56)`);
  }
  const mac = Uint8Array.from(parts, (p) => parseInt(p, 16));
  if (mac[0] & 1) throw new Error(`'${text}' is a multicast address; a card needs a unicast one (first byte even)`);
  return mac;
}

/** A random unicast address with the locally-administered bit set (first byte x2, x6, xA or xE). */
export function randomMac(): Uint8Array {
  const mac = new Uint8Array(6);
  globalThis.crypto.getRandomValues(mac);
  mac[0] = (mac[0] & 0xfc) | 0x02;
  return mac;
}

export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** A config value (string, bytes, or nothing = random) as the 6 bytes a card needs. */
export function macFromConfig(mac: string | Uint8Array | undefined): Uint8Array {
  if (mac === undefined) return randomMac();
  if (typeof mac === 'string') return parseMac(mac);
  if (mac.length !== 6) throw new Error(`a MAC address has 6 bytes, not ${mac.length}`);
  if (mac[0] & 1) throw new Error(`${formatMac(mac)} is a multicast address; a card needs a unicast one`);
  return mac.slice();
}
