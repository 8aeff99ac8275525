import { describe, expect, it } from 'vitest';
import { createBios } from '../../bios/index.js';
import { Machine, MemoryBlockDevice } from '../../core/index.js';
import { scancodes } from '../ui/keymap.js';
import { DEMO_BANNER, demoFloppy, echoFloppy } from './demo-disk.js';

function press(machine: Machine, ...codes: string[]): void {
  for (const code of codes) machine.keyboard.sendScancodes([...scancodes(code, true)!, ...scancodes(code, false)!]);
}

describe('the demo floppies (one builder)', () => {
  it('the app demo greets on the screen and COM1, echoes keys, and skips control keys', async () => {
    const machine = new Machine({ memoryMB: 4, firmware: createBios(), floppies: [new MemoryBlockDevice(demoFloppy())] });
    let serial = '';
    machine.onSerial = (b) => (serial += String.fromCharCode(b));
    expect(await machine.runUntil(() => /^>$/m.test(machine.screenText()), { timeoutMs: 30_000 })).toBe(true);
    expect(machine.screenText().split('\n')).toContain(DEMO_BANNER);
    press(machine, 'KeyH', 'Backspace', 'Tab', 'KeyI', 'Enter');
    expect(await machine.runUntil(() => /^> hi\n>$/m.test(machine.screenText()), { timeoutMs: 10_000 })).toBe(true);
    expect(serial).toContain(`${DEMO_BANNER}\r\n> hi\r\n> `);
  });

  it('refuses a banner the assembler cannot quote', () => {
    expect(() => echoFloppy({ banner: 'say "hi"' })).toThrow(/double quote/);
  });
});
