#!/usr/bin/env node
// Session benchmarks (cli/bench-session.ts): node scripts/bench-session.mjs [--runs N] [--seconds N] [--browser] [--samples N]
// Bundled at start (scripts/bundle.mjs), like cli/co86.mjs, so the machine runs at its usual speed.
//
// The Node benchmarks (document soak, bytes per viewer, viewers at 30 fps) run `--runs` times (default 3);
// each run's JSON lines are printed as they come, then one line per benchmark and scenario with the median
// of every numeric field (`median: true`, `runs`, and each run's headline value in `perRun`). The load
// average before and after is printed too: figures from a loaded machine say so. The browser latency
// benchmark (--browser) runs once: it is already the median of --samples keypresses.
import { loadavg } from 'node:os';
import { importBundled } from './bundle.mjs';

const { benchSession } = await importBundled('cli/bench-session.ts');
const args = process.argv.slice(2);
const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const runs = Math.max(1, Number(option('--runs')) || 3);
const nodeArgs = args.filter((a, i) => a !== '--browser' && a !== '--runs' && args[i - 1] !== '--runs');
const load = () => loadavg().map((v) => +v.toFixed(2));

/** Runs `fn` and returns the JSON lines it logged (also passed through to the console). */
async function captured(fn) {
  const lines = [];
  const log = console.log;
  console.log = (...parts) => {
    log(...parts);
    try {
      const value = JSON.parse(parts.join(' '));
      if (value && typeof value === 'object' && value.bench) lines.push(value);
    } catch {
      // not a JSON result line
    }
  };
  try {
    await fn();
  } finally {
    console.log = log;
  }
  return lines;
}

/** The median, rounded as the values are (whole numbers stay whole; others to 3 decimals). */
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return values.every(Number.isInteger) ? Math.round(m) : +m.toFixed(3);
};

/** The field each benchmark is about, listed per run beside the median. */
const HEADLINE = { 'session-bytes-per-viewer': 'bytesPerSecond', 'session-viewers-at-30fps': 'served', 'session-doc-size-soak': 'events' };

/** One line from the runs of one benchmark and scenario: numbers are medians, everything else from the first run. */
function medianLine(lines) {
  const out = { ...lines[0], median: true, runs: lines.length };
  for (const [key, value] of Object.entries(lines[0])) {
    if (typeof value === 'number') out[key] = median(lines.map((l) => l[key]));
    if (key === 'results' && Array.isArray(value)) {
      // Viewer counts: the median cost per frame at each count all runs reached.
      out.results = value
        .map((row) => ({ ...row, rows: lines.map((l) => l.results?.find((r) => r.viewers === row.viewers)).filter(Boolean) }))
        .filter((row) => row.rows.length === lines.length)
        .map(({ rows, ...row }) => ({ ...row, msPerFrame: median(rows.map((r) => r.msPerFrame)), guestSlowdownPercent: median(rows.map((r) => r.guestSlowdownPercent)) }));
    }
  }
  const headline = HEADLINE[lines[0].bench];
  if (headline) out.perRun = lines.map((l) => l[headline]);
  return out;
}

const loadBefore = load();
const started = Date.now();
const groups = new Map();
if (!args.includes('--browser-only')) {
  for (let run = 1; run <= runs; run++) {
    console.log(JSON.stringify({ bench: 'session-run', run, of: runs, loadAverage: load() }));
    for (const line of await captured(() => benchSession(nodeArgs))) {
      const key = `${line.bench}\u0000${line.scenario ?? ''}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(line);
    }
  }
  for (const lines of groups.values()) console.log(JSON.stringify(medianLine(lines)));
}
if (args.includes('--browser') || args.includes('--browser-only')) await benchSession(['--browser-only', ...(option('--samples') ? ['--samples', option('--samples')] : [])]);
console.log(JSON.stringify({ bench: 'session-load', loadAverageBefore: loadBefore, loadAverageAfter: load(), seconds: Math.round((Date.now() - started) / 1000) }));
