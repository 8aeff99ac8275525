import type { BlockDevice } from './block.js';
import type { Clock } from './clock.js';
import type { IoBus } from './io.js';
import type { PhysicalMemory } from './memory.js';

/** General registers in encoding order (ModRM.reg). */
export const enum Reg { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI }
/** Byte registers in encoding order. */
export const enum Reg8 { AL, CL, DL, BL, AH, CH, DH, BH }
/** Segment registers in encoding order. */
export const enum Seg { ES, CS, SS, DS, FS, GS }

/** EFLAGS bits. */
export const enum Flag {
  CF = 1 << 0, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8,
  IF = 1 << 9, DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, ID = 1 << 21,
}

/** What firmware (and debuggers, tests) may see and change of the CPU. */
export interface CpuAccess {
  get32(r: Reg): number;
  set32(r: Reg, value: number): void;
  get16(r: Reg): number;
  set16(r: Reg, value: number): void;
  get8(r: Reg8): number;
  set8(r: Reg8, value: number): void;
  getSeg(s: Seg): number;
  /** Loads a segment register the real-mode way (base = selector × 16). */
  setSegReal(s: Seg, selector: number): void;
  segBase(s: Seg): number;
  getEip(): number;
  setEip(value: number): void;
  /** Full EFLAGS with lazy flags resolved. */
  getFlags(): number;
  setFlags(value: number): void;
  /** Linear → physical for the current mode (A20 included). */
  linearToPhysical(linear: number): number;
}

/** What a firmware service is given to work with. */
export interface FirmwareHost {
  readonly cpu: CpuAccess;
  readonly memory: PhysicalMemory;
  readonly io: IoBus;
  readonly clock: Clock;
  readonly ramSize: number;
  /** Drives by BIOS number order: floppies A:, B:, then hard disks 80h, 81h … */
  readonly floppies: readonly (BlockDevice | undefined)[];
  readonly hardDisks: readonly (BlockDevice | undefined)[];
  /** CD-ROM drives (2048-byte sectors), in the order the firmware numbers them (El Torito, INT 13h E0h…). */
  readonly cdroms: readonly (BlockDevice | undefined)[];
  /** Ask the machine to power-cycle (e.g. INT 19h failure paths, Ctrl+Alt+Del). */
  requestReset(): void;
  /** A line for the user (boot messages, errors), shown by the CLI on stderr and by the app in its log. */
  log(message: string): void;
}

/**
 * The system firmware (DESIGN §3): a ROM image plus services in TypeScript reached through the trap
 * instruction `0F FF ib` (ib = service number). The CPU honours the trap only when the instruction's
 * physical address lies inside the BIOS ROM; anywhere else `0F FF` is #UD, as on hardware.
 */
export interface Firmware {
  /** The ROM image (multiple of 4 KiB, ≤ 128 KiB), mapped to end at 1 MiB and at 4 GiB; its last 16 bytes hold the reset vector. */
  readonly rom: Uint8Array;
  /** Called at power-on and reset, before the CPU starts, to prepare firmware-side state (CMOS contents, etc.). */
  powerOn?(host: FirmwareHost): void;
  /**
   * A trap executed in ROM. Firmware without services (a raw ROM from `--bios`) leaves this out, and
   * `0F FF` is then #UD everywhere. Return true when the service is done (execution continues after the trap),
   * or false when it waits on asynchronous I/O: the CPU then leaves EIP on the trap, ends its time slice,
   * and executes the trap again later.
   */
  trap?(service: number, host: FirmwareHost): boolean;
}
