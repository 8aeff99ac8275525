import { describe, expect, it } from 'vitest';
import { Machine } from '../../machine.js';
import { formatMac, parseMac, randomMac } from './mac.js';

const firmware = { rom: new Uint8Array(0x10000) };

function pciConfig(machine: Machine, slot: number, offset: number, value?: number): number {
  machine.io.write32(0xcf8, 0x80000000 | (slot << 11) | offset);
  if (value !== undefined) machine.io.write32(0xcfc, value);
  return machine.io.read32(0xcfc);
}

/** Sends a 60-byte frame through the card's ports, as a driver does (word mode, remote write, transmit). */
function transmitThroughPorts(machine: Machine, base: number, frame: Uint8Array): void {
  const io = machine.io;
  io.write8(base, 0x21);
  io.write8(base + 0x0e, 0x49);
  io.write8(base + 0x0a, frame.length);
  io.write8(base + 0x0b, 0);
  io.write8(base + 0x08, 0x00);
  io.write8(base + 0x09, 0x40);
  io.write8(base, 0x12);
  for (let i = 0; i < frame.length; i += 2) io.write16(base + 0x10, frame[i] | (frame[i + 1] << 8));
  io.write8(base + 0x04, 0x40);
  io.write8(base + 0x05, frame.length);
  io.write8(base + 0x06, 0);
  io.write8(base, 0x26);
}

describe('the machine with a network card', () => {
  it('has no card unless the config asks for one', () => {
    const machine = new Machine({ firmware });
    expect(machine.nic).toBeUndefined();
    expect(pciConfig(machine, 3, 0)).toBe(0xffffffff);
    expect(machine.receiveFrame(new Uint8Array(60))).toBe(false);
  });

  it('puts the RTL8029 at PCI slot 3; frames go out through onFrame and come in through receiveFrame', () => {
    const machine = new Machine({ firmware, nic: { mac: '52:54:00:12:34:56' } });
    expect(pciConfig(machine, 3, 0)).toBe(0x802910ec);
    pciConfig(machine, 3, 0x10, 0xc100);
    pciConfig(machine, 3, 0x04, 0x0001);
    const sent: Uint8Array[] = [];
    machine.onFrame = (f) => sent.push(f);
    const frame = new Uint8Array(60).fill(0xff, 0, 6);
    frame.set([0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 6);
    transmitThroughPorts(machine, 0xc100, frame);
    expect(sent).toEqual([frame]);
    // Give the receiver (started by the transmit command, CR 26h) a ring, and take a broadcast.
    const io = machine.io;
    io.write8(0xc101, 0x46);
    io.write8(0xc102, 0x80);
    io.write8(0xc103, 0x46);
    io.write8(0xc10c, 0x04);
    io.write8(0xc100, 0x62);
    io.write8(0xc107, 0x47);
    io.write8(0xc100, 0x22);
    expect(machine.receiveFrame(frame)).toBe(true);
    io.write8(0xc100, 0x62);
    expect(io.read8(0xc107)).toBe(0x48);
    // The card's state rides in snapshots.
    const snapshot = machine.saveState();
    expect(snapshot.devices.ne2000).toBeDefined();
    const other = new Machine({ firmware, nic: { mac: '52:54:00:12:34:56' } });
    other.loadState(snapshot);
    expect(other.io.read8(0xc107)).toBe(0x48);
  });

  it('puts the ISA card at 300h when asked', () => {
    const machine = new Machine({ firmware, nic: { mac: Uint8Array.of(2, 0, 0, 0, 0, 1), bus: 'isa' } });
    const sent: Uint8Array[] = [];
    machine.onFrame = (f) => sent.push(f);
    transmitThroughPorts(machine, 0x300, new Uint8Array(60).fill(0xff, 0, 6));
    expect(sent).toHaveLength(1);
    expect(pciConfig(machine, 3, 0)).toBe(0xffffffff);
  });

  it('takes MACs as text or bytes, random ones locally administered, and refuses bad ones clearly', () => {
    expect(formatMac(parseMac('52-54-00-AB-cd-0f'))).toBe('52:54:00:ab:cd:0f');
    const mac = randomMac();
    expect(mac[0] & 3).toBe(2);
    expect(formatMac(mac)).not.toBe(formatMac(randomMac()));
    expect(() => parseMac('52:54:00:12:34')).toThrow(/not a MAC address/);
    expect(() => parseMac('01:00:5e:00:00:01')).toThrow(/multicast/);
    expect(() => new Machine({ firmware, nic: { mac: 'nonsense' } })).toThrow(/not a MAC address/);
    const random = new Machine({ firmware, nic: {} });
    expect(random.nic!.chip.mac[0] & 3).toBe(2);
  });
});
