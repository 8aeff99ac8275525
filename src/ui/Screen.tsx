import { useEffect, useRef } from 'preact/hooks';
import { scancodes } from './keymap.js';

export type ScaleMode = 'integer' | 'fit';

export interface ScreenProps {
  /** Registers the function that draws a frame (called by the App for each frame message). */
  onReady(draw: (width: number, height: number, pixels: ArrayBuffer) => void): void;
  sendKeys(codes: number[]): void;
  sendMouse(dx: number, dy: number, dz: number, buttons: number): void;
  scale: ScaleMode;
}

/**
 * The VM's screen: a canvas scaled crisply (whole multiples) or to fit, taking the keyboard when focused
 * (KeyboardEvent.code → set-2 scancodes; keys held when focus leaves are released) and, while the
 * pointer is locked to it (the toolbar's "Capture mouse"; Esc releases), the PS/2 mouse.
 */
export function Screen({ onReady, sendKeys, sendMouse, scale }: ScreenProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const held = useRef(new Set<string>());
  const buttons = useRef(0);

  const layout = () => {
    const c = canvas.current;
    const b = box.current;
    if (!c || !b) return;
    const availableW = b.clientWidth;
    const availableH = document.fullscreenElement ? b.clientHeight : Math.max(window.innerHeight - 140, 200);
    let factor = Math.min(availableW / c.width, availableH / c.height);
    if (scale === 'integer') factor = Math.max(1, Math.floor(factor));
    c.style.width = `${Math.round(c.width * factor)}px`;
    c.style.height = `${Math.round(c.height * factor)}px`;
  };

  useEffect(() => {
    const c = canvas.current!;
    const ctx = c.getContext('2d', { alpha: false })!;
    onReady((width, height, pixels) => {
      if (c.width !== width || c.height !== height) {
        c.width = width;
        c.height = height;
        layout();
      }
      ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels), width, height), 0, 0);
    });
    const observer = new ResizeObserver(layout);
    observer.observe(box.current!);
    document.addEventListener('fullscreenchange', layout);
    return () => {
      observer.disconnect();
      document.removeEventListener('fullscreenchange', layout);
    };
  }, []);
  useEffect(layout, [scale]);

  const onKey = (event: KeyboardEvent, down: boolean) => {
    const codes = scancodes(event.code, down);
    if (!codes) return;
    event.preventDefault();
    if (down) held.current.add(event.code);
    else held.current.delete(event.code);
    sendKeys(codes);
  };
  const releaseAll = () => {
    for (const code of held.current) sendKeys(scancodes(code, false) ?? []);
    held.current.clear();
  };

  useEffect(() => {
    const locked = () => document.pointerLockElement === canvas.current;
    const onMove = (e: MouseEvent) => {
      if (locked()) sendMouse(e.movementX, e.movementY, 0, buttons.current);
    };
    const onButton = (e: MouseEvent) => {
      if (!locked()) return;
      const bit = e.button === 0 ? 1 : e.button === 2 ? 2 : e.button === 1 ? 4 : 0;
      buttons.current = e.type === 'mousedown' ? buttons.current | bit : buttons.current & ~bit;
      sendMouse(0, 0, 0, buttons.current);
    };
    const onWheel = (e: WheelEvent) => {
      if (locked()) sendMouse(0, 0, Math.sign(e.deltaY), buttons.current);
    };
    const onLockChange = () => {
      if (!locked() && buttons.current) sendMouse(0, 0, 0, (buttons.current = 0));
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

  return (
    <div class="screen-box" ref={box}>
      <canvas
        ref={canvas}
        class="screen"
        width={720}
        height={400}
        tabIndex={0}
        aria-label="VM screen: click to type"
        onKeyDown={(e) => onKey(e, true)}
        onKeyUp={(e) => onKey(e, false)}
        onBlur={releaseAll}
        onClick={() => canvas.current?.focus()}
        onContextMenu={(e) => document.pointerLockElement === canvas.current && e.preventDefault()}
      />
    </div>
  );
}
