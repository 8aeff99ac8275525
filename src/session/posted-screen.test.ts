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
  });

  it('rejects what is not a session link', () => {
    for (const bad of ['http://h/', 'http://h/#session=short&secret=s&host=1', 'http://h/#session=abcdefgh12&host=1', 'http://h/#session=abcdefgh12&secret=s&host=x', 'http://h/#session=abc%20defgh12&secret=s&host=1', 'http://h/#session=abcdefgh12&secret=s&host=-4']) {
      expect(parseLink(bad)).toBeUndefined();
    }
  });
});
