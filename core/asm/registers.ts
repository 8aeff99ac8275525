/** The registers the assembler knows, by lower-case name, with their encoding numbers. */

export type RegisterKind = 'r8' | 'r16' | 'r32' | 'sreg' | 'cr' | 'dr';

export interface Register {
  readonly name: string;
  readonly kind: RegisterKind;
  /** Number in ModRM/opcode encoding order. */
  readonly num: number;
  /** Size in bytes (segment, control and debug registers: their move size). */
  readonly size: number;
}

const GROUPS: readonly [RegisterKind, number, string][] = [
  ['r8', 1, 'al cl dl bl ah ch dh bh'],
  ['r16', 2, 'ax cx dx bx sp bp si di'],
  ['r32', 4, 'eax ecx edx ebx esp ebp esi edi'],
  ['sreg', 2, 'es cs ss ds fs gs'],
  ['cr', 4, 'cr0 cr1 cr2 cr3 cr4'],
  ['dr', 4, 'dr0 dr1 dr2 dr3 dr4 dr5 dr6 dr7'],
];

export const REGISTERS: ReadonlyMap<string, Register> = new Map(
  GROUPS.flatMap(([kind, size, names]) => names.split(' ').map((name, num): [string, Register] => [name, { name, kind, num, size }])),
);
