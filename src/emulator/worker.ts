/// <reference lib="webworker" />
import { createBios } from '../../bios/index.js';
import { Machine, MemoryBlockDevice } from '../../core/index.js';
import { demoFloppy } from './demo-disk.js';
import type { FromWorker, ToWorker } from './messages.js';

/** The emulator thread: runs the machine in slices and posts the screen ~30 times a second. */
const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (message: FromWorker) => scope.postMessage(message);

const SCREEN_INTERVAL_MS = 33;
const STATUS_INTERVAL_MS = 500;

function start(): void {
  const machine = new Machine({ memoryMB: 16, firmware: createBios(), floppies: [new MemoryBlockDevice(demoFloppy())] });
  let serialOut: number[] = [];
  machine.onSerial = (byte) => serialOut.push(byte);
  scope.onmessage = (event: MessageEvent<ToWorker>) => {
    const message = event.data;
    if (message.type === 'keys') machine.keyboard.sendScancodes(message.scancodes);
    else if (message.type === 'serial') for (const b of message.bytes) machine.uart.receive(b);
  };
  post({ type: 'status', running: true, mips: 0, instructions: 0 });
  let lastText = '';
  let lastScreen = 0;
  let lastStatus = performance.now();
  let lastInstructions = 0;
  const frame = () => {
    const sliceStart = performance.now();
    try {
      while (performance.now() - sliceStart < 12) {
        machine.runSlice(50_000);
        if (machine.cpu.halted) break;
      }
    } catch (e) {
      post({ type: 'status', running: false, mips: 0, instructions: machine.instructions, error: String((e as Error).message ?? e) });
      return;
    }
    const now = performance.now();
    if (serialOut.length) {
      post({ type: 'serial', bytes: serialOut });
      serialOut = [];
    }
    if (now - lastScreen >= SCREEN_INTERVAL_MS) {
      lastScreen = now;
      const text = machine.screenText();
      const { cursor } = machine.vga.textScreen();
      if (text !== lastText) post({ type: 'screen', text, cursor });
      lastText = text;
    }
    if (now - lastStatus >= STATUS_INTERVAL_MS) {
      const instructions = machine.instructions;
      post({ type: 'status', running: true, mips: (instructions - lastInstructions) / ((now - lastStatus) * 1000), instructions });
      lastStatus = now;
      lastInstructions = instructions;
    }
    setTimeout(frame, machine.cpu.halted ? 4 : 0);
  };
  frame();
}

start();
