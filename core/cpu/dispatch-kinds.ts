/** The decoder's kinds of main index (dispatch.ts `modrm` table), apart so the generated entries can import them. */
export const NO_MODRM = 0;
export const MODRM = 1;
export const GROUP = 2;
/** First bytes that are not opcodes of the one-byte map: a prefix, or the 0F escape. */
export const PREFIX = 3;
export const ESCAPE = 4;
