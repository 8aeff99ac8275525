#!/usr/bin/env node
/**
 * Generates font8x8.ts, font8x14.ts and font8x16.ts (CP437, 256 glyphs, one byte per row, bit 7 = leftmost
 * pixel) from the public-domain X11 "misc-fixed" fonts. See README.md for the rules applied.
 *
 *   apt-get download xfonts-base && dpkg-deb -x xfonts-base_*.deb x
 *   node core/devices/vga/fonts/make-fonts.mjs x/usr/share/fonts/X11/misc
 *
 * Runs only at generation time (Node); the generated .ts files are what core imports.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = process.argv[2];
if (!sourceDir) {
  console.error('usage: make-fonts.mjs DIR (the misc folder of xfonts-base, holding 8x13.pcf.gz and 5x8.pcf.gz)');
  process.exit(2);
}

// Code page 437 in Unicode, 00h and FFh blank (kept in step with ../cp437.ts).
const CP437 = Array.from(
  ' ☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼' +
    ' !"#$%&\'()*+,-./0123456789:;<=>?' +
    '@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_' +
    '`abcdefghijklmnopqrstuvwxyz{|}~⌂' +
    'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒ' +
    'áíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐' +
    '└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
    'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■ ',
);

/** Reads a PCF font: per code point, a bitmap of `ascent + descent` rows × `width` columns (booleans). */
function readPcf(path) {
  const buf = gunzipSync(readFileSync(path));
  if (buf.readUInt32LE(0) !== 0x70636601) throw new Error(`${path}: not a PCF file`);
  const tables = new Map();
  const count = buf.readUInt32LE(4);
  for (let i = 0; i < count; i++) {
    const at = 8 + i * 16;
    tables.set(buf.readUInt32LE(at), { format: buf.readUInt32LE(at + 4), offset: buf.readUInt32LE(at + 12) });
  }
  const reader = (type) => {
    const t = tables.get(type);
    if (!t) throw new Error(`${path}: no table ${type}`);
    const format = buf.readUInt32LE(t.offset);
    const big = (format & 4) !== 0;
    let pos = t.offset + 4;
    return {
      format,
      i8: () => buf.readUInt8(pos++),
      i16: () => ((pos += 2), big ? buf.readInt16BE(pos - 2) : buf.readInt16LE(pos - 2)),
      u16: () => ((pos += 2), big ? buf.readUInt16BE(pos - 2) : buf.readUInt16LE(pos - 2)),
      i32: () => ((pos += 4), big ? buf.readInt32BE(pos - 4) : buf.readInt32LE(pos - 4)),
      skip: (n) => (pos += n),
      pos: () => pos,
    };
  };
  const PCF_ACCELERATORS = 1 << 1, PCF_METRICS = 1 << 2, PCF_BITMAPS = 1 << 3, PCF_BDF_ENCODINGS = 1 << 5;
  const acc = reader(tables.has(1 << 8) ? 1 << 8 : PCF_ACCELERATORS);
  acc.skip(8);
  const fontAscent = acc.i32();
  const fontDescent = acc.i32();
  const m = reader(PCF_METRICS);
  const compressed = (m.format & 0x100) !== 0;
  const metrics = [];
  const n = compressed ? m.u16() : m.i32();
  for (let i = 0; i < n; i++) {
    if (compressed) {
      const [lsb, rsb, width, ascent, descent] = [m.i8(), m.i8(), m.i8(), m.i8(), m.i8()].map((v) => v - 0x80);
      metrics.push({ lsb, rsb, width, ascent, descent });
    } else {
      const [lsb, rsb, width, ascent, descent] = [m.i16(), m.i16(), m.i16(), m.i16(), m.i16()];
      m.i16();
      metrics.push({ lsb, rsb, width, ascent, descent });
    }
  }
  const b = reader(PCF_BITMAPS);
  const pad = 1 << (b.format & 3);
  const msbFirst = (b.format & 8) !== 0;
  const glyphCount = b.i32();
  const offsets = [];
  for (let i = 0; i < glyphCount; i++) offsets.push(b.i32());
  b.skip(16);
  const dataStart = b.pos();
  const e = reader(PCF_BDF_ENCODINGS);
  const [minB2, maxB2, minB1, maxB1] = [e.i16(), e.i16(), e.i16(), e.i16()];
  e.i16();
  const glyphOf = new Map();
  for (let b1 = minB1; b1 <= maxB1; b1++) {
    for (let b2 = minB2; b2 <= maxB2; b2++) {
      const index = e.u16();
      if (index !== 0xffff) glyphOf.set((b1 << 8) | b2, index);
    }
  }
  const glyph = (codePoint) => {
    const index = glyphOf.get(codePoint);
    if (index === undefined) return undefined;
    const mt = metrics[index];
    const w = mt.rsb - mt.lsb;
    const rowBytes = Math.ceil(Math.ceil(w / 8) / pad) * pad;
    const rows = [];
    for (let y = 0; y < mt.ascent + mt.descent; y++) {
      const row = [];
      for (let x = 0; x < w; x++) {
        const byte = buf[dataStart + offsets[index] + y * rowBytes + (x >> 3)];
        row.push(((msbFirst ? byte >> (7 - (x & 7)) : byte >> (x & 7)) & 1) === 1);
      }
      rows.push(row);
    }
    return { ...mt, rows };
  };
  return { fontAscent, fontDescent, glyph };
}

/** A cell of `cellW × cellH` (booleans) with the glyph drawn at its baseline `baseline` rows down and `left` columns in. */
function place(font, cp, cellW, cellH, top, left) {
  const cell = Array.from({ length: cellH }, () => new Array(cellW).fill(false));
  const g = font.glyph(cp);
  if (!g) return undefined;
  const y0 = top + font.fontAscent - g.ascent;
  for (let y = 0; y < g.rows.length; y++) {
    for (let x = 0; x < g.rows[y].length; x++) {
      const cx = left + g.lsb + x;
      const cy = y0 + y;
      if (g.rows[y][x] && cx >= 0 && cx < cellW && cy >= 0 && cy < cellH) cell[cy][cx] = true;
    }
  }
  return cell;
}

/** Nearest-neighbour rescale of a whole-cell glyph (box drawing and blocks, so their lines still meet the cell edges). */
function rescale(font, cp, fontW, fontH, cellW, cellH) {
  const src = place(font, cp, fontW, fontH, 0, 0);
  if (!src) return undefined;
  return Array.from({ length: cellH }, (_, y) =>
    Array.from({ length: cellW }, (_, x) => src[Math.floor(((y + 0.5) * fontH) / cellH)][Math.floor(((x + 0.5) * fontW) / cellW)]),
  );
}

/** Block elements drawn by rule (exact halves, 25/50/75 % shades) rather than stretched. */
function block(cp, h) {
  const rule = {
    0x2580: (_x, y) => y < h / 2,
    0x2584: (_x, y) => y >= h / 2,
    0x2588: () => true,
    0x258c: (x) => x < 4,
    0x2590: (x) => x >= 4,
    0x2591: (x, y) => (x + 2 * (y & 1)) % 4 === 0,
    0x2592: (x, y) => (x + y) % 2 === 0,
    0x2593: (x, y) => (x + 2 * (y & 1)) % 4 !== 0,
  }[cp];
  return rule && Array.from({ length: h }, (_, y) => Array.from({ length: 8 }, (_, x) => rule(x, y)));
}

const isWholeCell = (cp) => (cp >= 0x2500 && cp <= 0x259f) || cp === 0x25d8 || cp === 0x25d9;

function build(name, height, make) {
  const missing = [];
  const lines = [];
  for (let code = 0; code < 256; code++) {
    const cp = CP437[code].codePointAt(0);
    let cell = block(cp, height) ?? (code === 0 || code === 0xff || code === 0x20 ? Array.from({ length: height }, () => new Array(8).fill(false)) : make(cp));
    if (!cell) {
      missing.push(`${code.toString(16).padStart(2, '0')}h ${CP437[code]}`);
      // A hollow box, so a missing glyph is visible rather than blank.
      cell = Array.from({ length: height }, (_, y) => Array.from({ length: 8 }, (_, x) => y >= 1 && y < height - 1 && x >= 1 && x < 7 && (y === 1 || y === height - 2 || x === 1 || x === 6)));
    }
    const bytes = cell.map((row) => row.reduce((acc, on, x) => acc | (on ? 0x80 >> x : 0), 0));
    const shown = code >= 0x20 && code !== 0x7f ? ` ${CP437[code]}` : '';
    lines.push(`  '${bytes.map((v) => v.toString(16).padStart(2, '0')).join('')}', // ${code.toString(16).padStart(2, '0')}h${shown}`);
  }
  const file = `/**
 * GENERATED by make-fonts.mjs from the public-domain X11 misc-fixed fonts (see README.md). Do not edit.
 * The CP437 ${name} font: 256 glyphs × ${height} rows, one hex byte per row, bit 7 = leftmost pixel.
 */
import { decodeFont, type BitmapFont } from './bitmap-font.js';

export const ${name.toUpperCase()}: BitmapFont = decodeFont(${height}, [
${lines.join('\n')}
]);
`;
  writeFileSync(join(here, `${name}.ts`), file);
  console.log(`${name}: ${missing.length ? 'missing ' + missing.join(', ') : 'all 256 glyphs'}`);
}

const f8x13 = readPcf(join(sourceDir, '8x13.pcf.gz'));
const f5x8 = readPcf(join(sourceDir, '5x8.pcf.gz'));
// 8×16: 8x13 (ascent 11) two rows down puts the baseline on row 12 as on a VGA; box/block glyphs stretched 13 → 16.
build('font8x16', 16, (cp) => (isWholeCell(cp) ? rescale(f8x13, cp, 8, 13, 8, 16) : place(f8x13, cp, 8, 16, 2, 0)));
// 8×14: 8x13 one row down (baseline on row 11); box/block glyphs stretched 13 → 14.
build('font8x14', 14, (cp) => (isWholeCell(cp) ? rescale(f8x13, cp, 8, 13, 8, 14) : place(f8x13, cp, 8, 14, 1, 0)));
// 8×8: 5x8 one column in; box/block glyphs stretched 5 → 8 wide. Glyphs 5x8 lacks come from 8x13 squeezed to 8×8.
build('font8x8', 8, (cp) =>
  isWholeCell(cp) ? rescale(f5x8, cp, 5, 8, 8, 8) ?? rescale(f8x13, cp, 8, 13, 8, 8) : place(f5x8, cp, 8, 8, 0, 1) ?? rescale(f8x13, cp, 8, 13, 8, 8),
);
