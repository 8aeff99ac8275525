import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { createBios } from '../../../bios/index.js';
import { Machine, MemoryBlockDevice } from '../../../core/index.js';
import { scancodes } from '../../ui/keymap.js';
import { screenCells } from '../../ui/page-handle.js';
import type { ControlMode } from '../control.js';
import { sessionDemoFloppy } from '../demo.js';
import { sessionHandle } from '../handle.js';
import { GuestScreen, SessionPanel } from '../panel.js';
import { hostSession, joinSession, parseLink, type GuestSession, type HostSession } from '../session.js';

/**
 * A page for the session e2e test and benchmark (served by Vite at /session/demo-page/): without a session
 * link it is a host running the session demo floppy on the page's own thread (small and fast); with one
 * it is a guest. `?signal=ws://…/signal` picks the relay. window.co86 as DESIGN §4 describes.
 */

const signalUrl = new URLSearchParams(location.search).get('signal') ?? undefined;

function Host() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [session, setSession] = useState<HostSession>();
  const machine = useRef<Machine>();
  useEffect(() => {
    const m = new Machine({ memoryMB: 4, firmware: createBios(), floppies: [new MemoryBlockDevice(sessionDemoFloppy())] });
    machine.current = m;
    let stopped = false;
    const run = () => {
      if (stopped) return;
      const start = performance.now();
      while (performance.now() - start < 8) {
        m.runSlice(50_000);
        if (m.cpu.halted && m.timeToNextEvent() > 0) break;
      }
      setTimeout(run, m.cpu.halted ? Math.min(4, m.timeToNextEvent() / 1e6) : 0);
    };
    run();
    const c = canvas.current!;
    const ctx = c.getContext('2d', { alpha: false })!;
    let pixels = new Uint8ClampedArray(4);
    const draw = () => {
      const { width, height } = m.vga.renderSize();
      if (pixels.length !== width * height * 4) pixels = new Uint8ClampedArray(width * height * 4);
      if (m.vga.render(pixels).changed || c.width !== width) {
        c.width = width;
        c.height = height;
        ctx.putImageData(new ImageData(pixels, width, height), 0, 0);
      }
    };
    const drawTimer = setInterval(draw, 33);
    let current: HostSession | undefined;
    /** What guests' mouse events fed to the machine (the demo's guest OS does not read the PS/2 mouse). */
    const mouse = { events: 0, dx: 0, dy: 0, dz: 0, buttonsSeen: 0 };
    const start = (options: { mode?: ControlMode; turnMs?: number }) => {
      current = hostSession({
        source: m.vga,
        onInput: (event) => {
          if (event.kind === 'keys') m.keyboard.sendScancodes(event.codes);
          else {
            m.mouseMove(event.dx, event.dy, event.dz, event.buttons);
            mouse.events++;
            mouse.dx += event.dx;
            mouse.dy += event.dy;
            mouse.dz += event.dz;
            mouse.buttonsSeen |= event.buttons;
          }
        },
        mode: options.mode,
        turnMs: options.turnMs,
        name: 'host',
        signalUrl,
        baseUrl: location.href,
      });
      setSession(current);
      return current;
    };
    const handle = sessionHandle({ host: () => current, start });
    window.co86 = {
      ...handle,
      screenText: () => m.screenText(),
      screenCells: () => screenCells(m.vga.displayMode().text ? m.vga.textScreen() : undefined),
      state: () => {
        const state = { running: true, mode: m.vga.displayMode().text ? 'text' : 'graphics', mips: 0, fps: 30, role: 'host' as const, peers: current?.state().participants ?? 0, phase: 'running' };
        return { ...state, session: { ...handle.session(), dropped: current?.control.dropped ?? 0, mouse: { ...mouse } } };
      },
    };
    return () => {
      stopped = true;
      clearInterval(drawTimer);
      current?.close();
    };
  }, []);
  const onKey = (event: KeyboardEvent, down: boolean) => {
    const codes = scancodes(event.code, down);
    if (!codes) return;
    event.preventDefault();
    machine.current?.keyboard.sendScancodes(codes);
  };
  return (
    <main>
      <canvas ref={canvas} class="screen" tabIndex={0} onKeyDown={(e) => onKey(e, true)} onKeyUp={(e) => onKey(e, false)} aria-label="VM screen" />
      <SessionPanel session={session} onShare={(mode) => (window.co86.share as (o: object) => string)({ mode })} />
    </main>
  );
}

function Guest({ session }: { session: GuestSession }) {
  return (
    <main>
      <GuestScreen session={session} />
      <SessionPanel session={session} />
    </main>
  );
}

const link = parseLink(location.hash);
if (link) {
  const guest = joinSession(location.href, { signalUrl });
  const handle = sessionHandle({ guest });
  window.co86 = {
    ...handle,
    screenText: () => guest.screenText(),
    screenCells: () => screenCells(guest.textCells()),
    state: () => {
      const state = { running: guest.view.synced, mode: guest.view.mode?.text ? 'text' : 'graphics', mips: 0, fps: 30, role: 'guest' as const, peers: guest.state().participants, phase: 'running' };
      return { ...state, session: handle.session() };
    },
  };
  render(<Guest session={guest} />, document.getElementById('app')!);
} else {
  render(<Host />, document.getElementById('app')!);
}
