import { describe, expect, it } from 'vitest';
import {
  BROADCAST_MAC_KEY,
  frameLengthProblem,
  isGroupMacKey,
  isValidRoomName,
  macKeyAt,
  macKeyToString,
  parseMac,
  parseSignalMessage,
  relayNetUrl,
  relaySignalUrl,
  writeMacKey,
} from './index.js';

describe('relay wire formats', () => {
  it('round-trips MAC addresses through their integer keys', () => {
    for (const text of ['00:00:00:00:00:01', '52:54:00:12:34:56', 'ff:ff:ff:ff:ff:ff', '01:00:5e:7f:ff:fa', 'fe:dc:ba:98:76:54']) {
      const key = parseMac(text)!;
      expect(macKeyToString(key)).toBe(text);
      const bytes = new Uint8Array(8);
      writeMacKey(key, bytes, 1);
      expect(macKeyAt(bytes, 1)).toBe(key);
      expect(isGroupMacKey(key)).toBe((parseInt(text.slice(0, 2), 16) & 1) === 1);
    }
    expect(parseMac('ff:ff:ff:ff:ff:ff')).toBe(BROADCAST_MAC_KEY);
    expect(parseMac('52-54-00-12-34-56')).toBe(parseMac('52:54:00:12:34:56'));
    expect(parseMac('52:54:00:12:34')).toBeNull();
    expect(parseMac('52:54:00:12:34:5g')).toBeNull();
  });

  it('checks frame lengths', () => {
    expect(frameLengthProblem(13)).toBe('runt');
    expect(frameLengthProblem(14)).toBeNull();
    expect(frameLengthProblem(1518)).toBeNull();
    expect(frameLengthProblem(1519)).toBe('giant');
  });

  it('validates room names and builds URLs', () => {
    for (const good of ['a', 'lab-1', 'Room_2.x', 'x'.repeat(64)]) expect(isValidRoomName(good), good).toBe(true);
    for (const bad of ['', '.', '..', '.x', '-x', 'a b', 'a/b', 'a%20', 'é', 'x'.repeat(65)]) expect(isValidRoomName(bad), bad).toBe(false);
    expect(relayNetUrl('http://127.0.0.1:8086/', 'lab')).toBe('ws://127.0.0.1:8086/net/lab');
    expect(relayNetUrl('https://relay.example', 'lab')).toBe('wss://relay.example/net/lab');
    expect(relaySignalUrl('http://h:1')).toBe('ws://h:1/signal');
    expect(() => relayNetUrl('http://h', '../x')).toThrow(/room/);
  });

  it('parses the y-webrtc signalling messages', () => {
    expect(parseSignalMessage('{"type":"subscribe","topics":["a",1,"b"]}')).toEqual({ ok: true, message: { type: 'subscribe', topics: ['a', 'b'] } });
    expect(parseSignalMessage('{"type":"unsubscribe","topics":[]}')).toEqual({ ok: true, message: { type: 'unsubscribe', topics: [] } });
    expect(parseSignalMessage('{"type":"publish","topic":"a","data":{"x":1}}')).toEqual({ ok: true, message: { type: 'publish', topic: 'a', data: { x: 1 } } });
    expect(parseSignalMessage('{"type":"ping"}')).toEqual({ ok: true, message: { type: 'ping' } });
    expect(parseSignalMessage('{"type":"ping"')).toEqual({ ok: false, reason: 'badJson' });
    for (const bad of ['null', '[]', '{"type":"publish"}', '{"type":"publish","topic":""}', '{"type":"subscribe","topics":"a"}', '{"type":"pong"}']) {
      expect(parseSignalMessage(bad), bad).toEqual({ ok: false, reason: 'badMessage' });
    }
  });
});
