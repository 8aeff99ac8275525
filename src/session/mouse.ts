import { LIMITS, type InputEvent } from './control.js';

type MouseEvent = Extract<InputEvent, { kind: 'mouse' }>;

/**
 * A guest's mouse, batched for the control document: pointer-lock motion comes at the display's rate
 * (60–240 events a second), far above what the host accepts (LIMITS.mousePerSecond), so motion and wheel
 * steps add up and leave at most once per `LIMITS.mouseBatchMs`. A button change leaves at once (after the
 * motion before it), so clicks and drags keep their order and position. Large sums are split into events
 * within the protocol's bounds rather than clipped.
 */
export class MouseBatch {
  private dx = 0;
  private dy = 0;
  private dz = 0;
  private buttons = 0;
  private pending = false;

  constructor(private readonly send: (event: MouseEvent) => void) {}

  /** The mouse moved or a button changed; true when motion is waiting for `flush()`. */
  move(dx: number, dy: number, dz: number, buttons: number): boolean {
    buttons &= 7;
    if (buttons !== this.buttons) {
      this.flush();
      this.buttons = buttons;
      this.add(dx, dy, dz);
      this.pending = true;
      this.flush();
      return false;
    }
    this.add(dx, dy, dz);
    return this.pending;
  }

  /** Send what has added up. */
  flush(): void {
    if (!this.pending) return;
    do {
      const dx = clamp(this.dx, LIMITS.mouseDelta);
      const dy = clamp(this.dy, LIMITS.mouseDelta);
      const dz = clamp(this.dz, LIMITS.wheelSteps);
      this.dx -= dx;
      this.dy -= dy;
      this.dz -= dz;
      this.send({ kind: 'mouse', dx, dy, dz, buttons: this.buttons });
    } while (this.dx || this.dy || this.dz);
    this.pending = false;
  }

  private add(dx: number, dy: number, dz: number): void {
    const x = whole(dx);
    const y = whole(dy);
    const z = whole(dz);
    if (!x && !y && !z) return;
    // A batch never holds more than a few events' worth: a hostile or runaway source cannot make a flood.
    this.dx = clamp(this.dx + x, MAX_BATCH);
    this.dy = clamp(this.dy + y, MAX_BATCH);
    this.dz = clamp(this.dz + z, LIMITS.wheelSteps * 4);
    this.pending = true;
  }
}

const MAX_BATCH = LIMITS.mouseDelta * 4;

function whole(v: number): number {
  return Number.isFinite(v) ? Math.trunc(v) : 0;
}

function clamp(v: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, v));
}
