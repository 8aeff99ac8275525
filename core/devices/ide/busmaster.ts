/**
 * The PIIX bus-master IDE function (SFF-8038i "Bus Master Programming Interface", 82371SB §2.7): per
 * channel a command register (+0: bit 0 start/stop, bit 3 direction), a status register (+2: bit 0 active,
 * bit 1 error, bit 2 interrupt, bits 5/6 drive DMA capable) and the physical address of a table of
 * Physical Region Descriptors (+4). Each PRD is {base, byte count (0 = 64 KiB), bit 31 = end of table}.
 *
 * The engine runs whenever both the guest has started it and the selected drive has a window ready;
 * copies go straight between the drive's buffer and guest RAM, a page at a time.
 */
import { PageKind, type PhysicalMemory } from '../../memory.js';
import { Layout } from '../../layout.js';
import { saveFields, loadFields } from '../fields.js';
import type { IdeChannel } from './channel.js';
import { Xfer } from './drive.js';

const enum BmCommand { START = 0x01, WRITE_MEMORY = 0x08 }
const enum BmStatus { ACTIVE = 0x01, ERROR = 0x02, INTERRUPT = 0x04, DMA_CAPABLE = 0x60 }

const FIELDS = ['command', 'status', 'prdTable', 'prdNext', 'prdAddress', 'prdCount', 'prdLast'] as const;

export class BusMasterChannel {
  command = 0;
  status = 0;
  prdTable = 0;
  /** The next descriptor to load, and what is left of the current one. */
  prdNext = 0;
  prdAddress = 0;
  prdCount = 0;
  /** The current descriptor is the last of the table. */
  prdLast = false;
  private running = false;

  constructor(
    private readonly channel: IdeChannel,
    private readonly memory: PhysicalMemory,
  ) {
    channel.busMaster = this;
  }

  reset(): void {
    this.command = this.status = this.prdTable = this.prdNext = this.prdAddress = this.prdCount = 0;
    this.prdLast = false;
  }

  read8(offset: number): number {
    switch (offset) {
      case 0: return this.command;
      case 2: return this.status;
      case 4: case 5: case 6: case 7: return (this.prdTable >>> (8 * (offset - 4))) & 0xff;
      default: return 0;
    }
  }

  write8(offset: number, value: number): void {
    switch (offset) {
      case 0: return this.writeCommand(value);
      case 2:
        // Error and interrupt are write-one-to-clear; the DMA-capable bits are plain storage.
        this.status = (this.status & ~(value & (BmStatus.ERROR | BmStatus.INTERRUPT)) & ~BmStatus.DMA_CAPABLE) | (value & BmStatus.DMA_CAPABLE);
        return;
      case 4: case 5: case 6: case 7: {
        const shift = 8 * (offset - 4);
        this.prdTable = ((this.prdTable & ~(0xff << shift)) | (value << shift)) & ~3;
        this.prdTable >>>= 0;
        return;
      }
      default: return;
    }
  }

  private writeCommand(value: number): void {
    const starting = value & BmCommand.START && !(this.command & BmCommand.START);
    this.command = value & (BmCommand.START | BmCommand.WRITE_MEMORY);
    if (starting) {
      this.status |= BmStatus.ACTIVE;
      this.prdNext = this.prdTable;
      this.prdCount = 0;
      this.prdLast = false;
      this.dmaRequest();
    } else if (!(value & BmCommand.START)) {
      // Stopping aborts any transfer in progress; the drive's own state is left for the driver to reset.
      this.status &= ~BmStatus.ACTIVE;
    }
  }

  /** The channel's INTRQ rose. */
  interrupt(): void {
    this.status |= BmStatus.INTERRUPT;
  }

  /** Moves data while the engine is started and the selected drive has a window ready. */
  dmaRequest(): void {
    // A drive that refills synchronously asks again from inside dmaAdvance: the running loop picks that up.
    if (this.running || !(this.command & BmCommand.START) || !(this.status & BmStatus.ACTIVE)) return;
    this.running = true;
    try {
      this.transfer();
    } finally {
      this.running = false;
    }
  }

  private transfer(): void {
    let drive = this.channel.dmaDrive();
    while (drive) {
      if (this.prdCount === 0) {
        if (this.prdLast) {
          // The table ran out before the drive finished: stop with an error, and the drive aborts its command.
          this.status = (this.status & ~BmStatus.ACTIVE) | BmStatus.ERROR;
          drive.dmaAbort();
          return;
        }
        this.loadPrd();
        continue;
      }
      const n = Math.min(this.prdCount, drive.end - drive.pos);
      if (drive.xfer === Xfer.In) this.toMemory(this.prdAddress, drive.buf, drive.pos, n);
      else this.fromMemory(this.prdAddress, drive.buf, drive.pos, n);
      this.prdAddress = (this.prdAddress + n) >>> 0;
      this.prdCount -= n;
      drive.dmaAdvance(n);
      if (drive.xfer === Xfer.None) {
        // The command completed. A table used up exactly ends the engine; a longer one leaves it active.
        if (this.prdCount === 0 && this.prdLast) this.status &= ~BmStatus.ACTIVE;
        return;
      }
      drive = this.channel.dmaDrive(); // undefined while the drive waits for its disk
    }
  }

  private loadPrd(): void {
    const m = this.memory;
    const at = this.prdNext;
    this.prdAddress = m.read32(at) & ~1;
    const countWord = m.read32(at + 4);
    this.prdCount = countWord & 0xfffe || 0x10000;
    this.prdLast = (countWord & 0x80000000) !== 0;
    this.prdNext = (at + 8) >>> 0;
  }

  /** Device → memory through PhysicalMemory.writeBytes, which also tells the JIT about pages holding compiled code. */
  private toMemory(address: number, buf: Uint8Array, from: number, n: number): void {
    this.memory.writeBytes(address, buf.subarray(from, from + n));
  }

  private fromMemory(address: number, buf: Uint8Array, to: number, n: number): void {
    const m = this.memory;
    while (n > 0) {
      const chunk = Math.min(n, 0x1000 - (address & 0xfff));
      if (m.pageKind[address >>> 12] <= PageKind.Rom) buf.set(m.u8.subarray(Layout.RAM + address, Layout.RAM + address + chunk), to);
      else for (let i = 0; i < chunk; i++) buf[to + i] = m.read8(address + i);
      address = (address + chunk) >>> 0;
      to += chunk;
      n -= chunk;
    }
  }

  saveState(): Record<string, unknown> {
    return saveFields(this, FIELDS);
  }

  loadState(state: unknown, name: string): void {
    loadFields(name, this, state, FIELDS);
  }
}
