/** Block devices beyond the in-memory one of core/block.ts: copy-on-write overlays and lazily fetched images. */
export { CowBlockDevice } from './cow.js';
export { RangeBlockDevice, type RangeSource, type RangeBlockDeviceOptions } from './range.js';
