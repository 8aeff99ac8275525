/**
 * VGA register sets of the text modes (values from the IBM VGA technical reference tables; 720×400,
 * 9×16 character cells) and the programming sequence that loads one through the card's ports.
 */
import type { IoBus } from '../core/index.js';

export interface TextMode {
  cols: number;
  rows: number;
  mono: boolean;
  misc: number;
  seq: readonly number[];
  crtc: readonly number[];
  gc: readonly number[];
  ac: readonly number[];
  /** CGA mode-select value the BDA keeps at 465h. */
  modeControl: number;
}

const SEQ_80 = [0x03, 0x00, 0x03, 0x00, 0x02];
const SEQ_40 = [0x03, 0x08, 0x03, 0x00, 0x02];
const CRTC_80 = [
  0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00, 0x00, 0x00, 0x00,
  0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
];
const CRTC_40 = [0x2d, 0x27, 0x28, 0x90, 0x2b, 0xa0, ...CRTC_80.slice(6, 0x13), 0x14, ...CRTC_80.slice(0x14)];
const CRTC_MONO = [...CRTC_80.slice(0, 0x14), 0x0f, ...CRTC_80.slice(0x15)];
const GC_COLOUR = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff];
const GC_MONO = [0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0a, 0x00, 0xff];
const AC_COLOUR = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00];
const AC_MONO = [0x00, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x08, 0x10, 0x18, 0x18, 0x18, 0x18, 0x18, 0x18, 0x18, 0x0e, 0x00, 0x0f, 0x08, 0x00];

const colour40 = { cols: 40, rows: 25, mono: false, misc: 0x67, seq: SEQ_40, crtc: CRTC_40, gc: GC_COLOUR, ac: AC_COLOUR };
const colour80 = { cols: 80, rows: 25, mono: false, misc: 0x67, seq: SEQ_80, crtc: CRTC_80, gc: GC_COLOUR, ac: AC_COLOUR };

export const TEXT_MODES: Readonly<Record<number, TextMode>> = {
  0x00: { ...colour40, modeControl: 0x2c },
  0x01: { ...colour40, modeControl: 0x28 },
  0x02: { ...colour80, modeControl: 0x2d },
  0x03: { ...colour80, modeControl: 0x29 },
  0x07: { cols: 80, rows: 25, mono: true, misc: 0x66, seq: SEQ_80, crtc: CRTC_MONO, gc: GC_MONO, ac: AC_MONO, modeControl: 0x29 },
};

/** Loads a mode's registers: sequencer held in reset meanwhile, CRTC unlocked, attribute flip-flop reset. */
export function programMode(io: IoBus, mode: TextMode): void {
  io.write8(0x3c4, 0x00);
  io.write8(0x3c5, 0x01);
  for (let i = 1; i < mode.seq.length; i++) {
    io.write8(0x3c4, i);
    io.write8(0x3c5, mode.seq[i]);
  }
  io.write8(0x3c2, mode.misc);
  io.write8(0x3c4, 0x00);
  io.write8(0x3c5, mode.seq[0]);
  const crtc = mode.mono ? 0x3b4 : 0x3d4;
  io.write8(crtc, 0x11);
  io.write8(crtc + 1, mode.crtc[0x11] & 0x7f);
  mode.crtc.forEach((value, i) => {
    io.write8(crtc, i);
    io.write8(crtc + 1, value);
  });
  mode.gc.forEach((value, i) => {
    io.write8(0x3ce, i);
    io.write8(0x3cf, value);
  });
  io.read8(crtc + 6);
  mode.ac.forEach((value, i) => {
    io.write8(0x3c0, i);
    io.write8(0x3c0, value);
  });
  io.write8(0x3c0, 0x20); // palette address source: the display reads the palette again
  io.write8(0x3c6, 0xff);
  io.write8(0x3c8, 0);
  // The 64 EGA colours, rgbRGB (lower case = one third, upper case = two thirds of full scale).
  for (let i = 0; i < 64; i++) {
    const level = (hi: number, lo: number) => ((i >> hi) & 1) * 42 + ((i >> lo) & 1) * 21;
    io.write8(0x3c9, level(2, 5));
    io.write8(0x3c9, level(1, 4));
    io.write8(0x3c9, level(0, 3));
  }
}
