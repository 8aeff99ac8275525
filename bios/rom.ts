/**
 * The 64 KiB system ROM at F0000-FFFFF, assembled from x86 source by core/asm: the code (POST, handlers)
 * from offset 0, then the IBM PC/AT fixed entry points and tables at the offsets software expects, the
 * reset vector at FFF0, the BIOS date at FFF5, the model byte at FFFE and a checksum byte at FFFF.
 */
import { FONT8X8, assemble } from '../core/index.js';
import { BOOT_ORDER_LENGTH, BootDevice, EBDA_BOOT_ORDER, bootOrderBytes, type BootOptions } from './boot.js';
import { HANDLERS_SOURCE } from './rom-handlers.js';
import { POST_SOURCE } from './rom-post.js';
import { pirTable } from './pci.js';
import { serviceEquates } from './services.js';

export const ROM_SIZE = 0x10000;
export const ROM_SEGMENT = 0xf000;

/** Fixed offsets in segment F000 (IBM PC/AT BIOS listing; what software jumps or points to). */
export const Entry = {
  post: 0xe05b,
  nmi: 0xe2c3,
  int13hd: 0xe3fe,
  int19: 0xe6f2,
  configTable: 0xe6f5,
  int14: 0xe739,
  int16: 0xe82e,
  int09: 0xe987,
  int13: 0xec59,
  int0e: 0xef57,
  disketteParams: 0xefc7,
  int17: 0xefd2,
  int10: 0xf065,
  videoParams: 0xf0a4,
  /** The 8×8 glyphs of characters 00h-7Fh (graphics-mode text on CGA; INT 1Fh points at the upper half). */
  charGen: 0xfa6e,
  int12: 0xf841,
  int11: 0xf84d,
  int15: 0xf859,
  int1a: 0xfe6e,
  int08: 0xfea5,
  dummyIret: 0xff53,
  int05: 0xff54,
  reset: 0xfff0,
  date: 0xfff5,
  model: 0xfffe,
} as const;

/** The first 128 glyphs of the 8×8 font (the VGA ROM's, fonts/README.md), as IBM's ROM holds them at F000:FA6E. */
function charGenSource(): string {
  const glyphs = FONT8X8.glyphs.subarray(0, 128 * 8);
  const rows = ['crt_char_gen:                           ; 8×8 glyphs of characters 00h-7Fh'];
  for (let c = 0; c < 128; c++) rows.push(`        db ${Array.from(glyphs.subarray(c * 8, c * 8 + 8)).join(', ')}`);
  return rows.join('\n');
}

/**
 * What stands at each fixed offset, in address order: mostly a jump to the handler, or a table. Each is
 * padded up to with `times 0xE05B - ($ - $$) db 0`, so the assembler stops if code ran past the offset.
 */
const FIXED: readonly (readonly [offset: number, source: string])[] = [
  [Entry.post, 'jmp post'],
  [Entry.nmi, 'iret'],
  [Entry.int13hd, 'jmp int13'],
  [Entry.int19, 'jmp int19'],
  [
    Entry.configTable,
    `config_table:                           ; INT 15h AH=C0h
        dw 8                            ; bytes that follow
        db 0xfc, 0x01, 0x00             ; model AT, submodel, revision
        db 0x74                         ; 2nd 8259, RTC, INT 09h calls INT 15h/4Fh, EBDA allocated
        db 0, 0, 0, 0`,
  ],
  [Entry.int14, 'jmp int14'],
  [Entry.int16, 'jmp int16'],
  [Entry.int09, 'jmp int09'],
  [Entry.int13, 'jmp int13'],
  [Entry.int0e, 'jmp irq_master'],
  [
    Entry.disketteParams,
    `diskette_params:                        ; INT 1Eh: 1.44 MB drive
        db 0xaf, 0x02, 0x25, 0x02, 18, 0x1b, 0xff, 0x6c, 0xf6, 0x0f, 0x08`,
  ],
  [Entry.int17, 'jmp int17'],
  [Entry.int10, 'jmp int10'],
  [Entry.videoParams, 'video_params:                           ; INT 1Dh (not filled in: VGA software programs the card itself)'],
  [Entry.int12, 'jmp int12'],
  [Entry.int11, 'jmp int11'],
  [Entry.int15, 'jmp int15'],
  [Entry.charGen, charGenSource()],
  [Entry.int1a, 'jmp int1a'],
  [Entry.int08, 'jmp int08'],
  [
    Entry.dummyIret,
    `dummy_iret:
        iret`,
  ],
  [Entry.int05, 'iret                            ; print screen: nothing to print on'],
  [Entry.reset, 'jmp 0xf000:0xe05b'],
  [Entry.date, "db '11/21/25'"],
  [
    Entry.model,
    `db 0xfc                         ; PC/AT
        db 0                            ; checksum, filled in by buildRom`,
  ],
];

const LAYOUT_SOURCE = [
  '; ------------------------------------------------------------------------------ fixed entry points',
  ...FIXED.map(([offset, source]) => `times 0x${offset.toString(16)} - ($ - $$) db 0\n        ${source}`),
].join('\n');

/** Timer ticks (18.2 Hz) for a wait of `ms`, rounded up. */
const ticks = (ms: number) => Math.ceil((ms * 1193182) / 65536 / 1000);

/** What createBios() options change in the ROM: the boot order table and the F12 prompt's time. */
function configSource(options: BootOptions): string {
  return [
    `EBDA_BOOT_ORDER equ 0x${EBDA_BOOT_ORDER.toString(16)}`,
    `BOOT_ORDER_LENGTH equ ${BOOT_ORDER_LENGTH}`,
    `BOOT_FLOPPY equ ${BootDevice.floppy}`,
    `BOOT_HD equ ${BootDevice.hd}`,
    `BOOT_CDROM equ ${BootDevice.cdrom}`,
    `BOOT_MENU_TICKS equ ${Math.min(0xffff, ticks(Math.max(0, options.menuTimeoutMs ?? 1000)))}`,
  ].join('\n');
}

/**
 * Tables found by scanning the ROM (each on a 16-byte boundary): the BIOS32 service directory with its
 * 32-bit entry, which knows the `$PCI` service, and the `$PIR` interrupt routing table (pci.ts).
 */
function tablesSource(): string {
  const pir = Array.from(pirTable());
  const rows: string[] = [];
  for (let i = 0; i < pir.length; i += 16) rows.push(`        db ${pir.slice(i, i + 16).join(', ')}`);
  return `
; ---------------------------------------------------------------------------------- BIOS32 and $PIR
align 16
bios32_directory:                       ; BIOS32 Service Directory (checksum filled in by buildRom)
        db '_32_'
        dd 0xf0000 + bios32_entry
        db 0, 1, 0
        times 5 db 0
align 16
pir_table:
${rows.join('\n')}
bits 32
bios32_entry:                           ; far call, flat CS: EAX = service ('$PCI'), EBX = 0 → AL = 0, EBX base, ECX length, EDX entry
        cmp eax, 0x49435024
        jne .unknown
        mov ebx, 0xf0000
        mov ecx, 0x10000
        mov edx, pci32_entry
        xor al, al
        retf
.unknown:
        mov al, 0x80
        retf
pci32_entry:                            ; the PCI BIOS functions (AX = B1xxh), far call from 32-bit code
        bioscall SVC_PCI32
        retf
bits 16`;
}

/** The whole ROM source, for reading and for tests. */
export function romSource(options: BootOptions = {}): string {
  const table = `boot_order:       db ${bootOrderBytes(options.order).join(', ')}  ; INT 19h tries these (1 floppy, 2 hard disk, 3 CD-ROM)`;
  return [serviceEquates(), configSource(options), 'bits 16', "db 'co86 BIOS v1', 0", POST_SOURCE, HANDLERS_SOURCE, table, tablesSource(), LAYOUT_SOURCE].join('\n');
}

export interface Rom {
  image: Uint8Array;
  /** Every label of the ROM source, as offsets in segment F000. */
  labels: Record<string, number>;
}

export function buildRom(options: BootOptions = {}): Rom {
  const { bytes, labels } = assemble(romSource(options), { origin: 0, bits: 16 });
  if (bytes.length !== ROM_SIZE) throw new Error(`BIOS ROM is ${bytes.length} bytes, expected ${ROM_SIZE}`);
  const directory = labels.bios32_directory;
  let sum = 0;
  for (let i = 0; i < 16; i++) sum += bytes[directory + i];
  bytes[directory + 10] = -sum & 0xff;
  sum = 0;
  for (let i = 0; i < ROM_SIZE - 1; i++) sum += bytes[i];
  bytes[ROM_SIZE - 1] = -sum & 0xff;
  return { image: bytes, labels };
}
