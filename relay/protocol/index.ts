/** Wire formats shared by the relay and the browser app. Pure TypeScript: no Node or DOM APIs. */
export * from './ethernet.js';
export * from './net.js';
export * from './signalling.js';
export * from './stats.js';
