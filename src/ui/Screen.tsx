import { useEffect, useRef } from 'preact/hooks';
import { scancodes } from './keymap.js';
import { usePointerLockMouse } from './pointer-lock.js';

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

  usePointerLockMouse(canvas, sendMouse);

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
