/**
 * Booting: the boot order (a table in the ROM, copied into the EBDA at POST, where the F12 menu may change
 * it) and the TypeScript half of booting a CD (El Torito, eltorito.ts). Floppies and hard disks boot from
 * the ROM through INT 13h, as a real BIOS does (rom-handlers.ts, `boot_from`).
 */
import { Flag, Reg, Reg8, type FirmwareHost } from '../core/index.js';
import type { AsyncIo } from './async-io.js';
import { CD_DRIVE_BASE, readCdBoot, writeCdPacket, type CdBoot } from './eltorito.js';
import { setLiveFlag } from './guest.js';

/** Boot device codes in the ROM's boot-order table (0 ends it). */
export const BootDevice = { floppy: 1, hd: 2, cdrom: 3 } as const;
export type BootDeviceName = keyof typeof BootDevice;

/** The default order: CD, then hard disk, then floppy. */
export const DEFAULT_BOOT_ORDER: readonly BootDeviceName[] = ['cdrom', 'hd', 'floppy'];
/** EBDA offset of the boot order in force (4 bytes, 0-terminated when shorter). */
export const EBDA_BOOT_ORDER = 0xb0;
export const BOOT_ORDER_LENGTH = 4;

export interface BootOptions {
  /** Devices to try, in order (default CD, hard disk, floppy). */
  order?: readonly BootDeviceName[];
  /** How long POST shows "Press F12 for boot menu" (ms of machine time; default 1000, 0 = no prompt). */
  menuTimeoutMs?: number;
}

/** The boot-order table for the ROM source: device codes, 0-padded to BOOT_ORDER_LENGTH. */
export function bootOrderBytes(order: readonly string[] = DEFAULT_BOOT_ORDER): number[] {
  const bytes: number[] = [];
  for (const name of order) {
    const code = (BootDevice as Record<string, number>)[name];
    if (code === undefined) throw new Error(`unknown boot device '${name}' (expected ${Object.keys(BootDevice).join(', ')})`);
    if (!bytes.includes(code)) bytes.push(code);
  }
  if (!bytes.length) throw new Error('the boot order is empty');
  while (bytes.length < BOOT_ORDER_LENGTH) bytes.push(0);
  return bytes;
}

/** Parses `cdrom,hd,floppy` (also `cd`, `disk`, `fd`) into a boot order. */
export function parseBootOrder(text: string): BootDeviceName[] {
  const aliases: Record<string, BootDeviceName> = { cd: 'cdrom', cdrom: 'cdrom', hd: 'hd', disk: 'hd', hdd: 'hd', fd: 'floppy', floppy: 'floppy' };
  return text.split(',').map((word) => {
    const name = aliases[word.trim().toLowerCase()];
    if (!name) throw new Error(`unknown boot device '${word}' (expected cdrom, hd or floppy)`);
    return name;
  });
}

/**
 * INT 19h, CD-ROM: loads the El Torito boot image of the first CD that has one and records the emulation
 * in the EBDA. Live CF=0 with AX:BX = where to jump and DL = the boot drive; CF=1 when no CD boots.
 * Returns false while the reads are in flight.
 */
export function bootCd(host: FirmwareHost, io: AsyncIo): boolean {
  const cpu = host.cpu;
  for (let index = 0; index < host.cdroms.length; index++) {
    const dev = host.cdroms[index];
    if (!dev) continue;
    const out = io.run<CdBoot>(`boot:cd:${index}`, () => readCdBoot(dev, index));
    if (!out) return false;
    if (out.error !== undefined || !out.value) {
      const why = out.error instanceof Error ? out.error.message : String(out.error);
      host.log(`BIOS: CD-ROM ${(CD_DRIVE_BASE + index).toString(16)}h does not boot: ${why}`);
      continue;
    }
    const boot = out.value;
    host.memory.writeBytes(boot.entry.loadSegment * 16, boot.image);
    writeCdPacket(host, boot, index);
    // No emulation starts at load segment:0; an emulated disk's boot sector at 0000:7C00, as from a disk.
    const emulated = boot.entry.loadSegment === 0x07c0 && boot.drive !== CD_DRIVE_BASE + index;
    cpu.set16(Reg.EAX, emulated ? 0 : boot.entry.loadSegment);
    cpu.set16(Reg.EBX, emulated ? 0x7c00 : 0);
    cpu.set8(Reg8.DL, boot.drive);
    setLiveFlag(host, Flag.CF, false);
    return true;
  }
  setLiveFlag(host, Flag.CF, true);
  return true;
}
