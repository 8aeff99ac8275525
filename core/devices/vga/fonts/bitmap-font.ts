/** A character-generator font: 256 glyphs of `height` rows, one byte per row, bit 7 = leftmost of 8 pixels. */
export interface BitmapFont {
  readonly height: number;
  /** 256 × height bytes (glyph c at c × height). Shared: treat as read-only. */
  readonly glyphs: Uint8Array;
}

/** Builds a font from the generated files' hex strings (one string of `height` bytes per glyph). */
export function decodeFont(height: number, rows: readonly string[]): BitmapFont {
  if (rows.length !== 256) throw new Error(`font: expected 256 glyphs, got ${rows.length}`);
  const glyphs = new Uint8Array(256 * height);
  rows.forEach((hex, c) => {
    if (hex.length !== height * 2) throw new Error(`font: glyph ${c} has ${hex.length / 2} rows, expected ${height}`);
    for (let y = 0; y < height; y++) glyphs[c * height + y] = parseInt(hex.slice(y * 2, y * 2 + 2), 16);
  });
  return { height, glyphs };
}
