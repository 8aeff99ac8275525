/**
 * Scancode set 1 (what the 8042 delivers with translation on) → the 16-bit key codes INT 16h returns
 * (scan code << 8 | ASCII), per shift state, as the IBM PC/AT BIOS and its enhanced-keyboard successors
 * define them. Built once from the keyboard's rows; read-only.
 */

/** Key codes by scancode, for the states normal, shift, ctrl, alt (0 = the combination gives no key). */
export interface KeyRow {
  normal: number;
  shift: number;
  ctrl: number;
  alt: number;
  /** Letters follow Caps Lock; keypad keys follow Num Lock. */
  letter: boolean;
  keypad: boolean;
}

const key = (scan: number, ch: string | number) => (scan << 8) | (typeof ch === 'number' ? ch : ch.charCodeAt(0));

function buildKeymap(): (KeyRow | undefined)[] {
  const map: (KeyRow | undefined)[] = new Array(0x80).fill(undefined);
  const set = (scan: number, normal: number, shift: number, ctrl: number, alt: number, extra: Partial<KeyRow> = {}) =>
    (map[scan] = { normal, shift, ctrl, alt, letter: false, keypad: false, ...extra });

  // The typing rows: characters unshifted / shifted.
  const rows: [number, string, string][] = [
    [0x02, '1234567890-=', '!@#$%^&*()_+'],
    [0x10, 'qwertyuiop[]', 'QWERTYUIOP{}'],
    [0x1e, "asdfghjkl;'`", 'ASDFGHJKL:"~'],
    [0x2b, '\\zxcvbnm,./', '|ZXCVBNM<>?'],
  ];
  const ctrlChars: Record<string, number> = { '[': 0x1b, ']': 0x1d, '\\': 0x1c, '-': 0x1f, '6': 0x1e };
  for (const [first, lower, upper] of rows) {
    for (let i = 0; i < lower.length; i++) {
      const scan = first + i;
      const c = lower[i];
      const isLetter = c >= 'a' && c <= 'z';
      const isDigitRow = first === 0x02;
      const ctrl = isLetter ? key(scan, c.charCodeAt(0) & 0x1f) : c === '2' ? key(scan, 0) : c in ctrlChars ? key(scan, ctrlChars[c]) : 0;
      const alt = isDigitRow ? (0x78 + i) << 8 : scan << 8;
      set(scan, key(scan, c), key(scan, upper[i]), ctrl, alt, { letter: isLetter });
    }
  }
  set(0x56, key(0x56, '\\'), key(0x56, '|'), 0, 0); // the 102nd key
  set(0x01, key(0x01, 0x1b), key(0x01, 0x1b), key(0x01, 0x1b), 0x0100);
  set(0x0e, key(0x0e, 0x08), key(0x0e, 0x08), key(0x0e, 0x7f), 0x0e00);
  set(0x0f, key(0x0f, 0x09), 0x0f00, 0x9400, 0xa500);
  set(0x1c, key(0x1c, 0x0d), key(0x1c, 0x0d), key(0x1c, 0x0a), 0x1c00);
  set(0x39, key(0x39, ' '), key(0x39, ' '), key(0x39, ' '), key(0x39, ' '));
  set(0x37, key(0x37, '*'), key(0x37, '*'), 0x9600, 0x3700);
  set(0x4a, key(0x4a, '-'), key(0x4a, '-'), 0x8e00, 0x4a00);
  set(0x4e, key(0x4e, '+'), key(0x4e, '+'), 0x9000, 0x4e00);
  for (let i = 0; i < 10; i++) set(0x3b + i, (0x3b + i) << 8, (0x54 + i) << 8, (0x5e + i) << 8, (0x68 + i) << 8);
  set(0x57, 0x8500, 0x8700, 0x8900, 0x8b00);
  set(0x58, 0x8600, 0x8800, 0x8a00, 0x8c00);
  // Keypad: digits with Num Lock (or Shift), else the cursor keys; Ctrl gives its own codes.
  const digits = '789-456+1230.';
  const ctrlPad = [0x7700, 0x8d00, 0x8400, 0, 0x7300, 0x8f00, 0x7400, 0, 0x7500, 0x9100, 0x7600, 0x9200, 0x9300];
  for (let i = 0; i < digits.length; i++) {
    const scan = 0x47 + i;
    if (scan === 0x4a || scan === 0x4e) continue;
    set(scan, scan << 8, key(scan, digits[i]), ctrlPad[i], 0, { keypad: true });
  }
  return map;
}

export const KEYMAP: readonly (KeyRow | undefined)[] = buildKeymap();

/** Alt with the grey (E0-prefixed) cursor keys, by scancode 47h-53h. */
export const ALT_GREY: Readonly<Record<number, number>> = {
  0x47: 0x9700, 0x48: 0x9800, 0x49: 0x9900, 0x4b: 0x9b00, 0x4d: 0x9d00, 0x4f: 0x9f00, 0x50: 0xa000, 0x51: 0xa100, 0x52: 0xa200, 0x53: 0xa300,
};

/** Keypad digit values for Alt+keypad entry, by scancode. */
export const KEYPAD_DIGIT: Readonly<Record<number, number>> = {
  0x47: 7, 0x48: 8, 0x49: 9, 0x4b: 4, 0x4c: 5, 0x4d: 6, 0x4f: 1, 0x50: 2, 0x51: 3, 0x52: 0,
};
