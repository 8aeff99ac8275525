/** The CP437 fonts (generated from the public-domain X11 misc-fixed fonts; README.md says how). */
export { type BitmapFont } from './bitmap-font.js';
export { FONT8X8 } from './font8x8.js';
export { FONT8X14 } from './font8x14.js';
export { FONT8X16 } from './font8x16.js';
