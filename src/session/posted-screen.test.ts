import { describe, expect, it } from 'vitest';
import { PostedScreen } from './posted-screen.js';
import { ScreenHost, ScreenView } from './screen.js';
import { formatLink, parseLink } from './session.js';

describe('PostedScreen (the host page whose VM runs in a Worker)', () => {
  it('marks the tiles whose pixels changed and feeds a viewer the same pixels and text', () => {
    const posted = new PostedScreen();
    const width = 100;
    const height = 40;
    const frame = new Uint8ClampedArray(width * height * 4).fill(255);
    posted.frame(width, height, frame.buffer.slice(0));
    posted.screenText('C:\\> dir\nok');
    const out = new Uint8ClampedArray(width * height * 4);
    const dirty = new Uint8Array(4 * 2);
    expect(posted.render(out, dirty)).toEqual({ width, height, changed: true });
    expect([...dirty]).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
    frame.set([1, 2, 3, 255], (35 * width + 70) * 4); // tile (2, 1)
    posted.frame(width, height, frame);
    expect(posted.render(out, dirty).changed).toBe(true);
    expect([...dirty]).toEqual([0, 0, 0, 0, 0, 0, 1, 0]);
    expect(posted.render(out, dirty).changed).toBe(false);

    const host = new ScreenHost(posted);
    const view = new ScreenView(() => {});
    host.addPeer('v', { send: (m) => view.receive(m), bufferedAmount: 0 });
    host.tick();
    expect(view.text()).toBe('C:\\> dir\nok');
    expect(Buffer.compare(Buffer.from(view.pixels.buffer), Buffer.from(frame.buffer))).toBe(0);
    posted.screenText('');
    host.tick();
    expect(view.mode?.text).toBe(false);
    expect(view.text()).toBe('');
  });

  it('passes the Worker\'s cells and cursor on: guests get colours and the cursor, not only text', () => {
    const posted = new PostedScreen();
    posted.frame(720, 400, new Uint8ClampedArray(720 * 400 * 4));
    const cells = new Uint16Array(80 * 25).fill(0x0720);
    cells[0] = 0x1f41; // 'A', white on blue
    cells[1] = 0x4e42; // 'B', yellow on red
    const cursor = { row: 3, col: 7, visible: true, startLine: 14, endLine: 15 };
    posted.screenText('AB', { cols: 80, rows: 25, cells, cursor });
    const host = new ScreenHost(posted);
    const view = new ScreenView(() => {});
    host.addPeer('v', { send: (m) => view.receive(m), bufferedAmount: 0 });
    host.tick();
    expect(view.text().startsWith('AB\n')).toBe(true);
    expect([view.cells[0], view.cells[1], view.cells[2]]).toEqual([0x1f41, 0x4e42, 0x0720]);
    expect(view.cursor).toEqual(cursor);
    // The cursor moves: the guest follows. Cells that do not fit their size fall back to the text.
    posted.screenText('AB', { cols: 80, rows: 25, cells, cursor: { ...cursor, row: 4 } });
    host.tick();
    expect(view.cursor.row).toBe(4);
    posted.screenText('AB', { cols: 80, rows: 25, cells: new Uint16Array(10), cursor });
    host.tick();
    expect(view.cells[0]).toBe(0x0741);
    expect(view.cursor.visible).toBe(false);
  });

  it('ignores a frame shorter than its size says', () => {
    const posted = new PostedScreen();
    posted.frame(10, 10, new Uint8ClampedArray(10));
    expect(posted.render(new Uint8ClampedArray(4), new Uint8Array(1)).width).toBe(1);
  });
});

describe('session links', () => {
  it('round-trip, with and without the full-control key', () => {
    const full = formatLink('http://h:8086/?x=1#old', { room: 'abcdefgh12', secret: 's3cret', host: 1234, key: 'k', signal: 'ws://r:1/signal' });
    expect(full.startsWith('http://h:8086/?x=1#session=abcdefgh12')).toBe(true);
    expect(parseLink(full)).toEqual({ room: 'abcdefgh12', secret: 's3cret', host: 1234, key: 'k', signal: 'ws://r:1/signal' });
    expect(parseLink(formatLink('http://h/', { room: 'abcdefgh12', secret: 's', host: 7 }))).toEqual({ room: 'abcdefgh12', secret: 's', host: 7, key: undefined, signal: undefined });
    const invite = formatLink('http://h/', { room: 'abcdefgh12', secret: 's', host: 7, invite: 3, key: 'k', view: true });
    expect(invite).toBe('http://h/#session=abcdefgh12&secret=s&host=7&invite=3&key=k&view=1');
    expect(parseLink(invite)).toMatchObject({ invite: 3, key: 'k', view: true });
  });

  it('rejects what is not a session link', () => {
    for (const bad of ['http://h/', 'http://h/#session=short&secret=s&host=1', 'http://h/#session=abcdefgh12&host=1', 'http://h/#session=abcdefgh12&secret=s&host=x', 'http://h/#session=abc%20defgh12&secret=s&host=1', 'http://h/#session=abcdefgh12&secret=s&host=-4', 'http://h/#session=abcdefgh12&secret=s&host=4&invite=0', 'http://h/#session=abcdefgh12&secret=s&host=4&invite=x']) {
      expect(parseLink(bad)).toBeUndefined();
    }
  });
});
