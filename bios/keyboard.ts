/**
 * The keyboard half of the BIOS: INT 09h's scancode handling (shift states in 40:17h/18h/96h, key codes
 * into the buffer 40:1Eh…3Dh) and INT 16h. All state is in the BDA.
 */
import { Flag, Reg, Reg8, type FirmwareHost } from '../core/index.js';
import { BDA_BASE, Bda, bda16, bda8, setBda16, setBda8, setLiveFlag, setResultFlag } from './guest.js';
import { ALT_GREY, KEYMAP, KEYPAD_DIGIT } from './keymap.js';

// 40:17h
const RIGHT_SHIFT = 0x01;
const LEFT_SHIFT = 0x02;
const CTRL = 0x04;
const ALT = 0x08;
const SCROLL_ON = 0x10;
const NUM_ON = 0x20;
const CAPS_ON = 0x40;
const INSERT_ON = 0x80;
// 40:18h
const LEFT_CTRL_DOWN = 0x01;
const LEFT_ALT_DOWN = 0x02;
const SYSREQ_DOWN = 0x04;
// 40:96h
const LAST_E1 = 0x01;
const LAST_E0 = 0x02;
const RIGHT_CTRL_DOWN = 0x04;
const RIGHT_ALT_DOWN = 0x08;

/** INT 09h: AL = the scancode. Sets CF (live) when it was Ctrl+Break, so the ROM calls INT 1Bh. */
export function keyboardIrq(host: FirmwareHost): void {
  setLiveFlag(host, Flag.CF, false);
  const code = host.cpu.get8(Reg8.AL);
  const flags3 = bda8(host, Bda.KbdFlags3);
  if (code === 0xe0 || code === 0xe1) {
    setBda8(host, Bda.KbdFlags3, (flags3 & ~(LAST_E0 | LAST_E1)) | (code === 0xe0 ? LAST_E0 : LAST_E1));
    return;
  }
  const e0 = (flags3 & LAST_E0) !== 0;
  if (flags3 & LAST_E1) {
    // Pause: E1 1D 45 E1 9D C5. Swallowed; the sequence ends with 45/C5.
    if ((code & 0x7f) === 0x45) setBda8(host, Bda.KbdFlags3, flags3 & ~LAST_E1);
    return;
  }
  setBda8(host, Bda.KbdFlags3, flags3 & ~LAST_E0);
  const release = (code & 0x80) !== 0;
  const scan = code & 0x7f;
  if (e0 && (scan === 0x2a || scan === 0x36)) return; // the keyboard's fake shifts around grey keys
  if (modifier(host, scan, release, e0)) return;
  if (release) return;

  const f1 = bda8(host, Bda.KbdFlags1);
  if ((f1 & CTRL) && (f1 & ALT) && scan === 0x53) {
    host.memory.write16(BDA_BASE + Bda.ResetFlag, 0x1234);
    host.requestReset();
    return;
  }
  if ((f1 & CTRL) && scan === 0x46) {
    setBda16(host, Bda.KbdHead, bda16(host, Bda.KbdTail));
    pushKey(host, 0);
    setBda8(host, Bda.BreakFlag, 0x80);
    setLiveFlag(host, Flag.CF, true);
    return;
  }
  if (scan === 0x52 && !(f1 & (CTRL | ALT)) && (e0 || !numericKeypad(f1))) setBda8(host, Bda.KbdFlags1, f1 ^ INSERT_ON);
  if ((f1 & ALT) && !(f1 & CTRL) && !e0 && scan in KEYPAD_DIGIT) {
    setBda8(host, Bda.AltKeypad, (bda8(host, Bda.AltKeypad) * 10 + KEYPAD_DIGIT[scan]) & 0xff);
    return;
  }
  const keyCode = translate(scan, e0, f1);
  if (keyCode >= 0) pushKey(host, keyCode);
}

function numericKeypad(f1: number): boolean {
  return ((f1 & NUM_ON) !== 0) !== ((f1 & (LEFT_SHIFT | RIGHT_SHIFT)) !== 0);
}

/** Shift, Ctrl, Alt and the locks. Returns true when the scancode was one of them. */
function modifier(host: FirmwareHost, scan: number, release: boolean, e0: boolean): boolean {
  let f1 = bda8(host, Bda.KbdFlags1);
  let f2 = bda8(host, Bda.KbdFlags2);
  let f3 = bda8(host, Bda.KbdFlags3);
  const hold = (bits: number, on: boolean, value: number) => (on ? value | bits : value & ~bits);
  switch (scan) {
    case 0x2a:
      f1 = hold(LEFT_SHIFT, !release, f1);
      break;
    case 0x36:
      f1 = hold(RIGHT_SHIFT, !release, f1);
      break;
    case 0x1d:
      if (e0) f3 = hold(RIGHT_CTRL_DOWN, !release, f3);
      else f2 = hold(LEFT_CTRL_DOWN, !release, f2);
      f1 = hold(CTRL, (f2 & LEFT_CTRL_DOWN) !== 0 || (f3 & RIGHT_CTRL_DOWN) !== 0, f1);
      break;
    case 0x38: {
      if (e0) f3 = hold(RIGHT_ALT_DOWN, !release, f3);
      else f2 = hold(LEFT_ALT_DOWN, !release, f2);
      f1 = hold(ALT, (f2 & LEFT_ALT_DOWN) !== 0 || (f3 & RIGHT_ALT_DOWN) !== 0, f1);
      const entered = bda8(host, Bda.AltKeypad);
      if (release && !(f1 & ALT) && entered) {
        setBda8(host, Bda.AltKeypad, 0);
        pushKey(host, entered);
      }
      break;
    }
    case 0x3a:
    case 0x45:
    case 0x46: {
      if (scan === 0x46 && (f1 & CTRL)) return false; // Ctrl+ScrollLock is Break
      if (scan === 0x45 && e0) return false; // never sent; keep it a key
      const lock = scan === 0x3a ? CAPS_ON : scan === 0x45 ? NUM_ON : SCROLL_ON;
      if (!release && !(f2 & lock)) f1 ^= lock; // toggles once per press, not on typematic repeats
      f2 = hold(lock, !release, f2); // 40:18h uses the same bit positions for "lock key held"
      break;
    }
    case 0x54: // SysRq
      f2 = hold(SYSREQ_DOWN, !release, f2);
      break;
    default:
      return false;
  }
  setBda8(host, Bda.KbdFlags1, f1);
  setBda8(host, Bda.KbdFlags2, f2);
  setBda8(host, Bda.KbdFlags3, f3);
  return true;
}

/** The key code of a make scancode in the current shift state, or -1 for none. */
function translate(scan: number, e0: boolean, f1: number): number {
  const alt = (f1 & ALT) !== 0;
  const ctrl = (f1 & CTRL) !== 0;
  const shift = (f1 & (LEFT_SHIFT | RIGHT_SHIFT)) !== 0;
  if (e0) {
    // Grey keys: the cursor block keeps its own codes (AL=E0h), keypad Enter and / get AH=E0h.
    if (scan === 0x1c) return alt ? 0xa600 : ctrl ? 0xe00a : 0xe00d;
    if (scan === 0x35) return alt ? 0xa400 : ctrl ? 0x9500 : 0xe02f;
    const row = KEYMAP[scan];
    if (!row?.keypad) return -1;
    if (alt) return ALT_GREY[scan] ?? -1;
    return ((ctrl ? row.ctrl : row.normal) & 0xff00) | 0xe0;
  }
  const row = KEYMAP[scan];
  if (!row) return -1;
  let code: number;
  if (alt) code = row.alt;
  else if (ctrl) code = row.ctrl;
  else if (row.keypad) code = numericKeypad(f1) ? row.shift : row.normal;
  else if (row.letter) code = shift !== ((f1 & CAPS_ON) !== 0) ? row.shift : row.normal;
  else code = shift ? row.shift : row.normal;
  return code === 0 ? -1 : code;
}

function nextSlot(host: FirmwareHost, offset: number): number {
  const next = offset + 2;
  return next >= bda16(host, Bda.KbdEnd) ? bda16(host, Bda.KbdStart) : next;
}

/** Appends a key to the buffer; false when it is full (the key is lost, as on a PC). */
export function pushKey(host: FirmwareHost, code: number): boolean {
  const tail = bda16(host, Bda.KbdTail);
  const next = nextSlot(host, tail);
  if (next === bda16(host, Bda.KbdHead)) return false;
  host.memory.write16(BDA_BASE + tail, code);
  setBda16(host, Bda.KbdTail, next);
  return true;
}

/**
 * The key at the head of the buffer as function `fn` (00h/01h: the 84-key view, 10h/11h: enhanced) sees it,
 * or -1. The 84-key view drops keys that keyboard did not have and maps grey keys to their old codes.
 */
function peekKey(host: FirmwareHost, enhanced: boolean, take: boolean): number {
  for (;;) {
    const head = bda16(host, Bda.KbdHead);
    if (head === bda16(host, Bda.KbdTail)) return -1;
    let code = host.memory.read16(BDA_BASE + head);
    let keep = true;
    if (!enhanced) {
      const ah = code >> 8;
      const al = code & 0xff;
      if (ah === 0xe0) code = (al === 0x0d || al === 0x0a ? 0x1c00 : 0x3500) | al;
      else if (al === 0xe0 && ah !== 0) code &= 0xff00;
      keep = ah < 0x85;
    }
    if (take || !keep) setBda16(host, Bda.KbdHead, nextSlot(host, head));
    if (keep) return code;
  }
}

/** INT 16h AH=00h/10h, from the ROM's wait loop: AX = key and ZF=0, or ZF=1 when there is none yet. */
export function keyboardRead(host: FirmwareHost): void {
  const code = peekKey(host, host.cpu.get8(Reg8.AH) === 0x10, true);
  if (code >= 0) host.cpu.set16(Reg.EAX, code);
  setLiveFlag(host, Flag.ZF, code < 0);
}

/** INT 16h, all functions but the waiting reads. */
export function int16(host: FirmwareHost): void {
  const cpu = host.cpu;
  const ah = cpu.get8(Reg8.AH);
  switch (ah) {
    case 0x01:
    case 0x11: {
      const code = peekKey(host, ah === 0x11, false);
      if (code >= 0) cpu.set16(Reg.EAX, code);
      setResultFlag(host, Flag.ZF, code < 0);
      return;
    }
    case 0x02:
      cpu.set8(Reg8.AL, bda8(host, Bda.KbdFlags1));
      return;
    case 0x05:
      cpu.set8(Reg8.AL, pushKey(host, cpu.get16(Reg.ECX)) ? 0 : 1);
      return;
    case 0x09: // functionality: 0Ah and 10h-12h supported
      cpu.set8(Reg8.AL, 0x60);
      return;
    case 0x0a: // keyboard ID: MF2
      cpu.set16(Reg.EBX, 0xab41);
      return;
    case 0x12: {
      const f2 = bda8(host, Bda.KbdFlags2);
      const f3 = bda8(host, Bda.KbdFlags3);
      const high =
        (f2 & LEFT_CTRL_DOWN) | (f2 & LEFT_ALT_DOWN) | (f3 & RIGHT_CTRL_DOWN) | (f3 & RIGHT_ALT_DOWN) | (f2 & 0x70) | (f2 & SYSREQ_DOWN ? 0x80 : 0);
      cpu.set8(Reg8.AL, bda8(host, Bda.KbdFlags1));
      cpu.set8(Reg8.AH, high);
      return;
    }
    default:
      return;
  }
}
