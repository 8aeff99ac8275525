/** One device's handlers for a port. Missing widths are split into byte accesses (as the ISA bus does). */
export interface PortHandler {
  read8?(port: number): number;
  write8?(port: number, value: number): void;
  read16?(port: number): number;
  write16?(port: number, value: number): void;
  read32?(port: number): number;
  write32?(port: number, value: number): void;
}

interface Registration {
  device: string;
  handler: PortHandler;
}

/**
 * The I/O port space: 64 Ki ports, each owned by at most one named device. Unclaimed ports read as
 * all ones (an undriven ISA bus) and swallow writes. Registration conflicts throw, so a board that
 * wires two chips to one port fails at power-on instead of misbehaving later.
 */
export class IoBus {
  private readonly ports: (Registration | undefined)[] = new Array(0x10000);
  /** Called for accesses nobody claims; for debugging. */
  onUnclaimed?: (port: number, write: boolean, value: number) => void;

  register(device: string, ports: number | readonly number[], handler: PortHandler): void {
    for (const port of typeof ports === 'number' ? [ports] : ports) {
      const other = this.ports[port];
      if (other) throw new Error(`${device}: port ${hex(port)} already claimed by ${other.device}`);
      this.ports[port] = { device, handler };
    }
  }

  /**
   * Gives ports back (a PCI BAR moved or stopped decoding): they read as unclaimed again. Every port must be
   * held by `device`; otherwise nothing is released and it throws, so a wrong caller cannot free another chip.
   */
  unregister(device: string, ports: number | readonly number[]): void {
    const list = typeof ports === 'number' ? [ports] : ports;
    for (const port of list) {
      const owner = this.ports[port]?.device;
      if (owner !== device) throw new Error(`${device}: cannot release port ${hex(port)}, ${owner === undefined ? 'it is unclaimed' : `it belongs to ${owner}`}`);
    }
    for (const port of list) this.ports[port] = undefined;
  }

  /** unregister() for `count` ports from `first`. */
  unregisterRange(device: string, first: number, count: number): void {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(first + i);
    this.unregister(device, ports);
  }

  registerRange(device: string, first: number, count: number, handler: PortHandler): void {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) ports.push(first + i);
    this.register(device, ports, handler);
  }

  owner(port: number): string | undefined {
    return this.ports[port & 0xffff]?.device;
  }

  read8(port: number): number {
    port &= 0xffff;
    const reg = this.ports[port];
    if (reg?.handler.read8) return reg.handler.read8(port) & 0xff;
    this.onUnclaimed?.(port, false, 0);
    return 0xff;
  }

  write8(port: number, value: number): void {
    port &= 0xffff;
    const reg = this.ports[port];
    if (reg?.handler.write8) reg.handler.write8(port, value & 0xff);
    else this.onUnclaimed?.(port, true, value & 0xff);
  }

  read16(port: number): number {
    port &= 0xffff;
    const h = this.ports[port]?.handler;
    if (h?.read16) return h.read16(port) & 0xffff;
    return this.read8(port) | (this.read8(port + 1) << 8);
  }

  write16(port: number, value: number): void {
    port &= 0xffff;
    const h = this.ports[port]?.handler;
    if (h?.write16) return h.write16(port, value & 0xffff);
    this.write8(port, value);
    this.write8(port + 1, value >>> 8);
  }

  read32(port: number): number {
    port &= 0xffff;
    const h = this.ports[port]?.handler;
    if (h?.read32) return h.read32(port) >>> 0;
    return (this.read16(port) | (this.read16(port + 2) << 16)) >>> 0;
  }

  write32(port: number, value: number): void {
    port &= 0xffff;
    const h = this.ports[port]?.handler;
    if (h?.write32) return h.write32(port, value >>> 0);
    this.write16(port, value & 0xffff);
    this.write16(port + 2, value >>> 16);
  }

  /** The port map as "first-last device" lines, merged over runs, for docs/BOARD.md. */
  describe(): string[] {
    const lines: string[] = [];
    let start = -1;
    for (let port = 0; port <= 0x10000; port++) {
      const dev = port < 0x10000 ? this.ports[port]?.device : undefined;
      const prev = start >= 0 ? this.ports[start]!.device : undefined;
      if (dev !== prev || (dev !== undefined && this.ports[port - 1]?.device !== dev)) {
        if (prev !== undefined) lines.push(`${hex(start)}-${hex(port - 1)} ${prev}`);
        start = dev !== undefined ? port : -1;
      }
    }
    return lines;
  }
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(4, '0');
}
