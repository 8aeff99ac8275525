/**
 * Lossless tile codec for framebuffer deltas: PackBits-style run-length coding of RGB pixels.
 *
 * Why our own RLE rather than deflate (`CompressionStream`): it is synchronous, so a frame's messages
 * are built and sent in one pass in order; decoding is bounded by construction (a tile decodes to exactly
 * w×h pixels or is rejected, so no decompression bomb); and VGA pictures are mostly flat runs of one
 * palette colour, where RLE does well. Deflate would do better on dithered or photographic content.
 *
 * Packets: a header byte `h`, then
 *   h < 128  → h + 1 literal pixels follow (3 bytes each, R G B);
 *   h ≥ 128  → one pixel (3 bytes) repeated h − 126 times (2 … 129).
 * Worst case for a 32×32 tile: 1024 × 3 + 8 = 3080 bytes.
 */

const MAX_LITERAL = 128;
const MAX_RUN = 129;

/** Bytes an RLE tile of `pixels` pixels can take at most. */
export function rleMaxBytes(pixels: number): number {
  return pixels * 3 + Math.ceil(pixels / MAX_LITERAL);
}

/**
 * Encodes the w×h rectangle at (x, y) of an RGBA framebuffer `width` pixels wide — given as 32-bit words
 * (little-endian: R in the low byte), the fastest way to compare pixels — into `out` at `at`; returns the
 * number of bytes written. `out` must have rleMaxBytes(w*h) bytes free; `scratch` at least w*h words.
 */
export function encodeTileRle(pixels: Uint32Array, width: number, x: number, y: number, w: number, h: number, out: Uint8Array, at: number, scratch: Uint32Array): number {
  const total = w * h;
  for (let row = 0; row < h; row++) {
    const from = (y + row) * width + x;
    scratch.set(pixels.subarray(from, from + w), row * w);
  }
  const start = at;
  let literalHeader = -1; // position of the open literal packet's header, or -1
  let literalCount = 0;
  let i = 0;
  while (i < total) {
    const v = scratch[i] & 0xffffff;
    let run = 1;
    while (i + run < total && run < MAX_RUN && (scratch[i + run] & 0xffffff) === v) run++;
    if (run >= 2) {
      literalHeader = -1;
      out[at] = run + 126;
      out[at + 1] = v & 0xff;
      out[at + 2] = (v >> 8) & 0xff;
      out[at + 3] = v >> 16;
      at += 4;
      i += run;
      continue;
    }
    if (literalHeader < 0 || literalCount === MAX_LITERAL) {
      literalHeader = at++;
      literalCount = 0;
    }
    out[literalHeader] = literalCount++;
    out[at] = v & 0xff;
    out[at + 1] = (v >> 8) & 0xff;
    out[at + 2] = v >> 16;
    at += 3;
    i++;
  }
  return at - start;
}

/**
 * Decodes an RLE tile into the w×h rectangle at (x, y) of an RGBA framebuffer `width` pixels wide (alpha
 * set to 255). Returns undefined on success, or why the data is malformed; on error the rectangle may be
 * partly written (the caller asks for a keyframe).
 */
export function decodeTileRle(data: Uint8Array, w: number, h: number, rgba: Uint8Array | Uint8ClampedArray, width: number, x: number, y: number): string | undefined {
  const total = w * h;
  let i = 0;
  let at = 0;
  while (at < data.length) {
    const header = data[at++];
    const literal = header < 128;
    const count = literal ? header + 1 : header - 126;
    const need = literal ? count * 3 : 3;
    if (at + need > data.length) return 'tile data ends inside a packet';
    if (i + count > total) return 'tile data has more pixels than the tile';
    for (let k = 0; k < count; k++) {
      const src = literal ? at + k * 3 : at;
      const p = ((y + ((i / w) | 0)) * width + x + (i % w)) * 4;
      rgba[p] = data[src];
      rgba[p + 1] = data[src + 1];
      rgba[p + 2] = data[src + 2];
      rgba[p + 3] = 255;
      i++;
    }
    at += need;
  }
  if (i !== total) return `tile data has ${i} pixels, the tile ${total}`;
  return undefined;
}
