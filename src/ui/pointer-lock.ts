import { useEffect, useRef } from 'preact/hooks';
import type { RefObject } from 'preact';

/** Relative motion (DOM movementX/Y), wheel steps (deltaY's sign), buttons (bit 0 left, 1 right, 2 middle). */
export type SendMouse = (dx: number, dy: number, dz: number, buttons: number) => void;

/**
 * While the pointer is locked to `canvas` (see `capturePointer`; Esc releases), its motion, buttons and wheel
 * go to `send` — the host's PS/2 mouse in the Worker, or a guest's batch for the session's host. Buttons
 * held when the lock ends are released.
 */
export function usePointerLockMouse(canvas: RefObject<HTMLCanvasElement>, send: SendMouse): void {
  const sendRef = useRef(send);
  sendRef.current = send;
  useEffect(() => {
    let buttons = 0;
    const out: SendMouse = (dx, dy, dz, b) => sendRef.current(dx, dy, dz, b);
    const locked = () => !!canvas.current && document.pointerLockElement === canvas.current;
    const onMove = (e: MouseEvent) => {
      if (locked()) out(e.movementX, e.movementY, 0, buttons);
    };
    const onButton = (e: MouseEvent) => {
      if (!locked()) return;
      const bit = e.button === 0 ? 1 : e.button === 2 ? 2 : e.button === 1 ? 4 : 0;
      buttons = e.type === 'mousedown' ? buttons | bit : buttons & ~bit;
      out(0, 0, 0, buttons);
    };
    const onWheel = (e: WheelEvent) => {
      if (locked()) out(0, 0, Math.sign(e.deltaY), buttons);
    };
    const onLockChange = () => {
      if (!locked() && buttons) out(0, 0, 0, (buttons = 0));
    };
    document.addEventListener('mousemove', onMove);
    document.addEventListener('mousedown', onButton);
    document.addEventListener('mouseup', onButton);
    document.addEventListener('wheel', onWheel);
    document.addEventListener('pointerlockchange', onLockChange);
    return () => {
      document.removeEventListener('mousemove', onMove);
      document.removeEventListener('mousedown', onButton);
      document.removeEventListener('mouseup', onButton);
      document.removeEventListener('wheel', onWheel);
      document.removeEventListener('pointerlockchange', onLockChange);
    };
  }, []);
}

/** Lock the pointer to `canvas` (and give it the keyboard); the browser may refuse without a click. */
export function capturePointer(canvas: HTMLCanvasElement | null | undefined): void {
  canvas?.focus();
  void Promise.resolve(canvas?.requestPointerLock()).catch(() => {});
}
