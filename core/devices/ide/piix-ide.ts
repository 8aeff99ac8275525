/**
 * The PIIX3 IDE function (82371SB function 1, 8086:7010) at bus 0 slot 1 fn 1: two channels in legacy
 * ("compatibility") mode — primary 1F0h–1F7h/3F6h on IRQ 14, secondary 170h–177h/376h on IRQ 15 — and the
 * bus-master registers behind BAR4 (16 ports, decoded while the command register's I/O bit is set).
 * Hard disks sit on the primary channel (master, slave); the CD-ROM is the secondary master.
 */
import type { BlockDevice } from '../../block.js';
import { checkStateVersion, type Device, type DeviceState, type IrqLine } from '../../device.js';
import type { IoBus } from '../../io.js';
import type { PhysicalMemory } from '../../memory.js';
import { PciConfigSpace, PciIoRegion, type PciFunction } from '../pci/pci.js';
import { BusMasterChannel } from './busmaster.js';
import { IdeChannel, type IdeDriveSpec } from './channel.js';

const STATE_VERSION = 1;
/** IDETIM primary/secondary (40h/42h): bit 15 = IDE decode enable. */
const IDETIM = 0x40;

export interface PiixIdeOptions {
  io: IoBus;
  memory: PhysicalMemory;
  /** ISA IRQ 14 and 15. */
  irq14: IrqLine;
  irq15: IrqLine;
  /** Primary master/slave, secondary master/slave (undefined = no device). */
  drives: [IdeDriveSpec?, IdeDriveSpec?, IdeDriveSpec?, IdeDriveSpec?];
}

export class PiixIde implements PciFunction, Device {
  readonly name = 'ide';
  readonly config: PciConfigSpace;
  readonly primary: IdeChannel;
  readonly secondary: IdeChannel;
  readonly busMasters: [BusMasterChannel, BusMasterChannel];
  private readonly bmPorts: PciIoRegion;

  constructor(options: PiixIdeOptions) {
    const [pm, ps, sm, ss] = options.drives;
    this.primary = new IdeChannel({ io: options.io, name: 'ide0', commandBase: 0x1f0, controlPort: 0x3f6, irq: options.irq14, master: pm, slave: ps });
    this.secondary = new IdeChannel({ io: options.io, name: 'ide1', commandBase: 0x170, controlPort: 0x376, irq: options.irq15, master: sm, slave: ss });
    this.busMasters = [new BusMasterChannel(this.primary, options.memory), new BusMasterChannel(this.secondary, options.memory)];
    const bm = this.busMasters;
    this.bmPorts = new PciIoRegion(options.io, 'ide-busmaster', 16, {
      read8: (o) => bm[o >> 3].read8(o & 7),
      write8: (o, v) => bm[o >> 3].write8(o & 7, v),
    });
    this.config = new PciConfigSpace({
      vendorId: 0x8086,
      deviceId: 0x7010,
      // Mass storage, IDE; prog-if 80h: bus master capable, both channels fixed in compatibility mode.
      classCode: 0x010180,
      bars: [undefined, undefined, undefined, undefined, { kind: 'io', size: 16, onMap: (base) => this.bmPorts.map(base) }],
    });
    // Decode enabled on both channels, as the BIOS leaves it (Linux's ata_piix checks these bits).
    this.config.setResetValue(IDETIM, 0x8000, 2);
    this.config.setResetValue(IDETIM + 2, 0x8000, 2);
    this.reset();
  }

  /** Specs for the board's drives: hard disks on the primary channel, the first CD-ROM as secondary master. */
  static drivesFor(hardDisks: readonly (BlockDevice | undefined)[], cdroms: readonly (BlockDevice | undefined)[]): PiixIdeOptions['drives'] {
    const disk = (d: BlockDevice | undefined): IdeDriveSpec | undefined => (d ? { type: 'disk', disk: d } : undefined);
    return [disk(hardDisks[0]), disk(hardDisks[1]), cdroms.length > 0 ? { type: 'cdrom', disk: cdroms[0] } : undefined, undefined];
  }

  reset(): void {
    // The configuration space is reset by the PCI bus.
    this.primary.reset();
    this.secondary.reset();
    for (const bm of this.busMasters) bm.reset();
  }

  saveState(): DeviceState {
    return {
      version: STATE_VERSION,
      primary: this.primary.saveState(),
      secondary: this.secondary.saveState(),
      busMasters: this.busMasters.map((bm) => bm.saveState()),
    };
  }

  loadState(state: DeviceState): void {
    checkStateVersion(this.name, state, STATE_VERSION);
    const bms = state.busMasters;
    if (!state.primary || !state.secondary || !Array.isArray(bms) || bms.length !== 2) throw new Error('ide: state is malformed');
    // Bus masters first: a drive that re-issues a disk access may ask them for DMA.
    this.busMasters.forEach((bm, i) => bm.loadState(bms[i], `ide.busMaster${i}`));
    this.primary.loadState(state.primary as Record<string, unknown>);
    this.secondary.loadState(state.secondary as Record<string, unknown>);
  }
}
