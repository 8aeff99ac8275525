import type { Clock } from '../clock.js';

/** A clock for device tests: time moves only when the test says so. */
export class TestClock implements Clock {
  constructor(public t = 0) {}
  now(): number {
    return this.t;
  }
  advance(ns: number): number {
    this.t += ns;
    return this.t;
  }
}
