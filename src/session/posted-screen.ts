import { CP437_CHARS, type TextScreen } from '../../core/index.js';
import { TILE_SIZE, type TextCursor } from './protocol.js';
import type { ScreenSource } from './screen.js';

const FROM_CHAR = new Map<string, number>(CP437_CHARS.map((c, i) => [c, i] as [string, number]).reverse());

/**
 * A ScreenSource for the page whose machine runs in a Worker: it holds the last frame, text and text cells
 * the Worker posted, and renders by copying that frame, marking the 32×32 tiles whose pixels differ. Guests
 * get the Worker's cells (attributes) and cursor; a poster that sends only text gets cells rebuilt from it
 * (attribute 07h, no cursor).
 */
export class PostedScreen implements ScreenSource {
  private pixels = new Uint8ClampedArray(4);
  private width = 1;
  private height = 1;
  private text = '';
  private cells: TextScreen | undefined;

  /** A frame from the Worker (copied: the app gives the buffer back for reuse). */
  frame(width: number, height: number, pixels: ArrayBuffer | Uint8ClampedArray): void {
    const src = pixels instanceof Uint8ClampedArray ? pixels : new Uint8ClampedArray(pixels);
    if (src.length < width * height * 4) return;
    if (this.pixels.length !== width * height * 4) this.pixels = new Uint8ClampedArray(width * height * 4);
    this.pixels.set(src.subarray(0, width * height * 4));
    this.width = width;
    this.height = height;
  }

  /** The text screen from the Worker ('' in graphics modes), with its cells and cursor when it sent them. */
  screenText(text: string, cells?: TextScreen): void {
    this.text = text;
    const ok = cells && cells.cols >= 1 && cells.cols <= 256 && cells.rows >= 1 && cells.rows <= 128 && cells.cells.length === cells.cols * cells.rows;
    this.cells = text !== '' && ok ? cells : undefined;
  }

  displayMode(): { text: boolean } {
    return { text: this.text !== '' };
  }

  textScreen(): { cols: number; rows: number; cells: Uint16Array; cursor: TextCursor } {
    if (this.cells) return this.cells;
    const lines = this.text.split('\n');
    const rows = Math.min(128, Math.max(1, lines.length));
    const cols = Math.min(256, Math.max(80, ...lines.map((l) => l.length)));
    const cells = new Uint16Array(cols * rows).fill(0x0720);
    for (let r = 0; r < rows; r++) {
      const line = lines[r] ?? '';
      for (let c = 0; c < line.length && c < cols; c++) cells[r * cols + c] = (FROM_CHAR.get(line[c]) ?? 0x3f) | 0x0700;
    }
    return { cols, rows, cells, cursor: { row: 0, col: 0, visible: false, startLine: 0, endLine: 0 } };
  }

  render(out: Uint8ClampedArray, dirty?: Uint8Array): { width: number; height: number; changed: boolean } {
    const { width, height } = this;
    if (out.length < width * height * 4) return { width, height, changed: true };
    const tilesX = Math.ceil(width / TILE_SIZE);
    const src32 = new Uint32Array(this.pixels.buffer, 0, width * height);
    const out32 = new Uint32Array(out.buffer, out.byteOffset, width * height);
    let changed = false;
    if (dirty) dirty.fill(0);
    for (let y = 0; y < height; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        if (out32[row + x] !== src32[row + x]) {
          out32[row + x] = src32[row + x];
          changed = true;
          if (dirty) dirty[(y >> 5) * tilesX + (x >> 5)] = 1;
        }
      }
    }
    return { width, height, changed };
  }
}
