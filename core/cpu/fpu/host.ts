/**
 * What the x87 unit needs from the CPU it sits in. Memory accesses take a segment register index
 * (0..5: ES CS SS DS FS GS) and an offset in it; they do the CPU's limit, permission and paging checks and
 * may throw the CPU's fault object. The FPU does all its reads before it changes any state, so an
 * instruction abandoned by a fault can simply be restarted.
 */
export interface FpuHost {
  read8(seg: number, offset: number): number;
  read16(seg: number, offset: number): number;
  read32(seg: number, offset: number): number;
  /** Values may carry bits above the access size; the host keeps the low 8/16/32. */
  write8(seg: number, offset: number, value: number): void;
  write16(seg: number, offset: number, value: number): void;
  write32(seg: number, offset: number, value: number): void;
  /** Operand size of the current instruction: chooses the 14- or 28-byte environment (FSTENV … FRSTOR). */
  operand32(): boolean;
  /** Protected mode (not real or virtual-8086): chooses the protected or real-mode environment layout. */
  protectedMode(): boolean;
  /** CS selector and EIP (first prefix byte) of the instruction executing, for FCS:FIP. */
  instructionCs(): number;
  instructionEip(): number;
  /**
   * A waiting x87 instruction (or FWAIT) found an unmasked exception pending (status word ES). The CPU
   * raises #MF when CR0.NE = 1 (throws its fault object: the instruction has not started and restarts
   * after the handler) or, with CR0.NE = 0, signals FERR# (IRQ 13) and returns: the instruction then runs.
   */
  raiseMathFault(): void;
  /** Invalid encoding in the D8-DF space: the CPU raises #UD (throws). Called before any state changes. */
  undefinedOpcode(): void;
  /** Currently unused by the FPU (#NM for CR0.EM/TS/MP is the CPU's check before it calls escape/wait). */
  cr0(): number;
  /** EFLAGS, arithmetic flags resolved: FCMOVcc reads CF (bit 0), PF (bit 2) and ZF (bit 6). */
  flags(): number;
  /** FCOMI/FCOMIP/FUCOMI/FUCOMIP: ZF, PF, CF take these values (0/1); OF, SF and AF are cleared. */
  setFlags(zf: number, pf: number, cf: number): void;
  /** FNSTSW AX: the low 16 bits of EAX take the value. */
  setAx(value: number): void;
}
