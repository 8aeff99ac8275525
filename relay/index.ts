/**
 * The co86 relay: a virtual Ethernet switch per room with a built-in DHCP router, y-webrtc signalling,
 * counters, and the built app — one Node process. The `co86 relay` command wires startRelay to the CLI.
 */
export { startRelay, type RelayOptions, type RunningRelay } from './server.js';
export { DEFAULT_RELAY_LIMITS, type RelayLimits } from './limits.js';
export { DEFAULT_ROUTER_CONFIG, type RouterConfig } from './router.js';
export { benchRelay, type RelayBenchResult } from './bench.js';
export type { RelayStats, DropReason } from './protocol/index.js';
