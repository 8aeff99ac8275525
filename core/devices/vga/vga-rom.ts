/**
 * The font part of a VGA's option ROM at C0000h: the 8×8, 8×14 and 8×16 character sets where INT 43h, INT 1Fh
 * and INT 10h AX=1130h point (a real card keeps them in its ROM too). Read-only; there is no code and no 55AAh
 * signature, so option-ROM scans pass it by.
 */
import type { MmioHandler, PhysicalMemory } from '../../memory.js';
import { FONT8X14, FONT8X16, FONT8X8 } from './fonts/index.js';

/** Physical addresses of the ROM fonts (glyph c of an N-line font at base + c × N). */
export const VGA_ROM_FONTS = { font8x8: 0xc0000, font8x14: 0xc0800, font8x16: 0xc1600 } as const;
const ROM_START = 0xc0000;
const ROM_SIZE = 0x3000;

export function mapVgaRom(memory: PhysicalMemory): void {
  const image = new Uint8Array(ROM_SIZE);
  image.set(FONT8X8.glyphs, VGA_ROM_FONTS.font8x8 - ROM_START);
  image.set(FONT8X14.glyphs, VGA_ROM_FONTS.font8x14 - ROM_START);
  image.set(FONT8X16.glyphs, VGA_ROM_FONTS.font8x16 - ROM_START);
  const rom: MmioHandler = { name: 'vga rom (fonts)', read8: (addr) => image[addr - ROM_START], write8: () => {} };
  memory.mapMmio(ROM_START, ROM_SIZE, rom);
}
