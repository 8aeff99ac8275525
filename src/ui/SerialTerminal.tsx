import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef } from 'preact/hooks';

export interface SerialTerminalProps {
  /** Registers the function that writes COM1 output into the terminal. */
  onReady(write: (bytes: Uint8Array) => void): void;
  /** Bytes typed into the terminal, for COM1's receiver. */
  send(bytes: number[]): void;
}

/** COM1 as a terminal (xterm.js): the guest's serial console, both ways. */
export function SerialTerminal({ onReady, send }: SerialTerminalProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const term = new Terminal({ convertEol: false, fontSize: 13, rows: 16, scrollback: 5000, theme: { background: '#0b0c0f' } });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host.current!);
    fit.fit();
    const encoder = new TextEncoder();
    const typed = term.onData((data) => send([...encoder.encode(data)]));
    onReady((bytes) => term.write(bytes));
    const observer = new ResizeObserver(() => fit.fit());
    observer.observe(host.current!);
    return () => {
      observer.disconnect();
      typed.dispose();
      term.dispose();
    };
  }, []);
  return <div class="serial" ref={host} aria-label="serial console (COM1)" />;
}
