/**
 * Drawing text cells without a VGA: what a session guest does with the text cells it receives, and what the
 * CLI's screenshot of a text screen could use. The Vga's own renderer (render.ts) draws from video memory
 * instead, with the card's font, 9-dot cells and split screen.
 */
import type { BitmapFont } from './fonts/bitmap-font.js';

export interface TextCursor {
  row: number;
  col: number;
  visible: boolean;
  /** First and last scanline of the cell the cursor covers (CRTC 0Ah/0Bh). */
  startLine: number;
  endLine: number;
}

/**
 * The 16 text colours as a VGA BIOS sets them up for the colour text modes (attribute palette 0-15 → DAC
 * entries 0-5, 14h, 7, 38h-3Fh), 16 × RGB bytes.
 */
export const TEXT_PALETTE: Uint8Array = (() => {
  const rgb = new Uint8Array(16 * 3);
  for (let i = 0; i < 16; i++) {
    const level = (bit: number) => (i & bit ? 0xaa : 0) + (i & 8 ? 0x55 : 0);
    rgb[i * 3] = level(4);
    rgb[i * 3 + 1] = i === 6 ? 0x55 : level(2); // brown, not dark yellow
    rgb[i * 3 + 2] = level(1);
  }
  return rgb;
})();

/**
 * Renders `rows × cols` cells (character | attribute << 8, row-major) as RGBA into `out`, which must hold
 * (cols × 8) × (rows × font.height) pixels; returns that size. `palette` holds 16 RGB triples (TEXT_PALETTE).
 * Attribute bit 7 is a bright background unless `blinkVisible` is given: then it is the blink bit, and
 * blinking characters show only while `blinkVisible` is true. The cursor is drawn when `cursor.visible`.
 */
export function renderTextCells(
  cells: Uint16Array,
  cols: number,
  rows: number,
  font: BitmapFont,
  palette: Uint8Array,
  out: Uint8ClampedArray,
  cursor?: TextCursor,
  blinkVisible?: boolean,
): { width: number; height: number } {
  const h = font.height;
  const width = cols * 8;
  const height = rows * h;
  if (out.length < width * height * 4 || cells.length < cols * rows) return { width, height };
  const glyphs = font.glyphs;
  const blink = blinkVisible !== undefined;
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const cell = cells[row * cols + col];
      const ch = cell & 0xff;
      const attr = cell >> 8;
      let fg = attr & 15;
      let bg = attr >> 4;
      if (blink) {
        if (bg & 8 && !blinkVisible) fg = bg & 7;
        bg &= 7;
      }
      const isCursor = cursor !== undefined && cursor.visible && cursor.row === row && cursor.col === col;
      for (let y = 0; y < h; y++) {
        let bits = glyphs[ch * h + y];
        if (isCursor && y >= cursor.startLine && y <= cursor.endLine) bits = 0xff;
        let p = ((row * h + y) * width + col * 8) * 4;
        for (let x = 0; x < 8; x++, p += 4) {
          const c = (bits << x) & 0x80 ? fg * 3 : bg * 3;
          out[p] = palette[c];
          out[p + 1] = palette[c + 1];
          out[p + 2] = palette[c + 2];
          out[p + 3] = 255;
        }
      }
    }
  }
  return { width, height };
}
