/**
 * Trap service numbers: the `ib` of `bioscall ib` (bytes 0F FF ib) in the ROM, and the TypeScript side that
 * answers it. The ROM source gets these as `SVC_*` equ constants, so this table is the only place they are
 * written down. Keep README.md's table in step.
 */
export const Svc = {
  /** POST: BDA/EBDA fields only the host knows (drives, fixed-disk tables, tick count from the RTC). */
  PostInit: 0x01,
  /** INT 19h found nothing to boot: tell the host's log. */
  BootFailed: 0x02,
  /** INT 15h AH=86h: start a wait of CX:DX microseconds. */
  WaitStart: 0x03,
  /** INT 15h AH=86h: CF=1 while the wait is still running. */
  WaitPoll: 0x04,
  /** INT 09h: the scancode in AL (set 1, after the 8042's translation) → shift flags and the key buffer. CF=1: Ctrl+Break. */
  KeyboardIrq: 0x05,
  /** INT 16h AH=00h/10h: take a key into AX; ZF=1 when the buffer is empty (the ROM then waits with STI;HLT). */
  KeyboardRead: 0x06,
  /** INT 19h: load the El Torito boot image of a CD; CF=1 when none boots (boot.ts). */
  BootCd: 0x07,
  /** The BIOS32 `$PCI` entry (32-bit protected mode, far call): the PCI BIOS functions with CF in the live flags (pci.ts). */
  Pci32: 0x08,
  Int10: 0x10,
  Int13: 0x13,
  Int14: 0x14,
  Int15: 0x15,
  Int16: 0x16,
  Int17: 0x17,
  Int1A: 0x1a,
} as const;

export type ServiceNumber = (typeof Svc)[keyof typeof Svc];

/** `SVC_POSTINIT equ 0x01` … for the ROM source. */
export function serviceEquates(): string {
  return Object.entries(Svc)
    .map(([name, n]) => `SVC_${name.toUpperCase()} equ 0x${n.toString(16)}`)
    .join('\n');
}
