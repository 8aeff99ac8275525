import type { Vga } from '../../core/index.js';

export interface Frame {
  width: number;
  height: number;
  /** RGBA in the first width*height*4 bytes; valid until the next call. */
  pixels: Uint8ClampedArray;
}

/**
 * The picture of the machine's screen (core's `vga.render`: every mode, text with our font, cursor and
 * blink), produced only when it changed, into one scratch buffer that grows with the mode.
 */
export class FrameSource {
  private scratch = new Uint8ClampedArray(720 * 400 * 4);
  private lastSize = '';

  constructor(private readonly vga: Vga) {}

  /** The current picture if it changed since the last call, else undefined. */
  next(): Frame | undefined {
    let result = this.vga.render(this.scratch);
    const needed = result.width * result.height * 4;
    if (needed > this.scratch.length) {
      // render() draws nothing into a buffer that is too small: grow it and draw again.
      this.scratch = new Uint8ClampedArray(needed);
      result = this.vga.render(this.scratch);
    }
    const size = `${result.width}x${result.height}`;
    const changed = result.changed || size !== this.lastSize;
    this.lastSize = size;
    if (!changed || result.width === 0 || result.height === 0) return undefined;
    return { width: result.width, height: result.height, pixels: this.scratch };
  }
}
