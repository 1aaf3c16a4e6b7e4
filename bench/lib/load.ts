// Closed-loop load: N concurrent client loops, each running one sign-in after another until the deadline,
// with per-sign-in latency, errors by step/status/code, and CPU accounting for the bench, the server and the rest.

import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** One sign-in by client loop `loop`; resolves to null on success or to an error key ("verify 400 …"). */
export type Iteration = (loop: number) => Promise<string | null>;

export interface CpuShare {
  /** Cores (1.0 = one core fully busy) used on average during the phase, by process. */
  server: number | null;
  bench: number;
  /** The benchmark's own PostgreSQL cluster (postmaster and backends); null when not known (external server). */
  database: number | null;
  /** Everything else the machine did (other processes, the kernel's own work): should be ~0. */
  foreign: number | null;
  idle: number;
  cores: number;
}

interface ProcSample {
  ppid: number;
  cpuMs: number;
}

/** utime + stime (all threads) of every process, from /proc; clock ticks assumed 100 Hz, as on every Linux build. */
function processTable(): Map<number, ProcSample> | null {
  const table = new Map<number, ProcSample>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), { ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * 10 });
    } catch {
      // the process ended meanwhile
    }
  }
  return table;
}

export interface PhaseResult {
  count: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  errors: Record<string, number>;
  errorCount: number;
  cpu: CpuShare;
}

/** Busy and idle CPU time of the whole machine in ms (kernel and exited processes included). */
function machineTimes(): { busy: number; idle: number } {
  try {
    // cpu  user nice system idle iowait irq softirq steal …  (clock ticks, 100 Hz)
    const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, idle, iowait, irq, softirq, steal] = f as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return { busy: (user + nice + system + irq + softirq + steal) * 10, idle: (idle + iowait) * 10 };
  } catch {
    const all = cpus().map((c) => c.times);
    return {
      busy: all.reduce((s, t) => s + t.user + t.nice + t.sys + t.irq, 0),
      idle: all.reduce((s, t) => s + t.idle, 0),
    };
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLoad(options: {
  concurrency: number;
  seconds: number;
  /** The server process, or processes (--servers). */
  serverPid: number | number[];
  /** The benchmark's own PostgreSQL postmaster, whose children are its backends. */
  postmasterPid?: number | null;
  iteration: Iteration;
}): Promise<PhaseResult> {
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let errorCount = 0;
  const machine0 = machineTimes();
  const bench0 = process.cpuUsage();
  const procs0 = processTable();
  const start = performance.now();
  const deadline = start + options.seconds * 1000;

  const loop = async (_: unknown, index: number) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let failure: string | null;
      try {
        failure = await options.iteration(index);
      } catch (error) {
        const cause = (error as { cause?: { code?: string } }).cause;
        failure = `exception ${cause?.code ?? (error as Error).message.slice(0, 120)}`;
      }
      if (failure === null) {
        latencies.push(performance.now() - t0);
      } else {
        errors[failure] = (errors[failure] ?? 0) + 1;
        errorCount++;
        // A dead or refusing server must not turn the loop into a busy spin.
        if (failure.startsWith('exception')) await sleep(20);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));

  const elapsedMs = performance.now() - start;
  const machine1 = machineTimes();
  const bench1 = process.cpuUsage(bench0);
  const procs1 = processTable();
  const cores = cpus().length;
  const wall = elapsedMs;
  const idle = (machine1.idle - machine0.idle) / wall;
  const busy = (machine1.busy - machine0.busy) / wall;
  const bench = (bench1.user + bench1.system) / 1000 / wall;
  let server: number | null = null;
  let database: number | null = null;
  let foreign: number | null = null;
  const serverPids = new Set([options.serverPid].flat());
  if (procs0 && procs1) {
    server = 0;
    database = options.postmasterPid ? 0 : null;
    for (const [pid, after] of procs1) {
      const delta = (after.cpuMs - (procs0.get(pid)?.cpuMs ?? 0)) / wall;
      if (serverPids.has(pid)) server += delta;
      else if (pid === process.pid) continue;
      else if (options.postmasterPid && (pid === options.postmasterPid || after.ppid === options.postmasterPid)) {
        database! += delta;
      }
    }
    // Whatever the machine did besides us (other processes, including ones that came and went, and the kernel).
    foreign = Math.max(0, busy - bench - server - (database ?? 0));
  }
  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    count: latencies.length,
    seconds: elapsedMs / 1000,
    perSecond: latencies.length / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: latencies.length ? sum / latencies.length : Number.NaN,
    errors,
    errorCount,
    cpu: {
      server,
      bench,
      database,
      foreign,
      idle: Math.max(0, idle),
      cores,
    },
  };
}

/** Runs fn over items with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** CPU (cores) the machine spent over `ms` on anything but our processes: other people's work on a shared box. */
export async function foreignLoad(
  ours: { serverPid?: number | number[]; postmasterPid?: number | null },
  ms = 500,
): Promise<number | null> {
  const ourMs = () => {
    const table = processTable();
    if (!table) return null;
    let sum = 0;
    for (const [pid, p] of table) {
      const mine =
        pid === process.pid ||
        (ours.serverPid !== undefined && [ours.serverPid].flat().includes(pid)) ||
        (ours.postmasterPid && (pid === ours.postmasterPid || p.ppid === ours.postmasterPid));
      if (mine) sum += p.cpuMs;
    }
    return sum;
  };
  const machine0 = machineTimes();
  const ours0 = ourMs();
  await sleep(ms);
  const machine1 = machineTimes();
  const ours1 = ourMs();
  if (ours0 === null || ours1 === null) return null;
  return Math.max(0, (machine1.busy - machine0.busy - (ours1 - ours0)) / ms);
}

/** Waits (up to maxSeconds) until other processes use less than `threshold` cores; returns the last reading. */
export async function waitForQuiet(
  ours: { serverPid?: number | number[]; postmasterPid?: number | null },
  options: { threshold: number; maxSeconds: number; onWait: (load: number) => void },
): Promise<number | null> {
  const deadline = Date.now() + options.maxSeconds * 1000;
  let warned = false;
  for (;;) {
    const load = await foreignLoad(ours);
    if (load === null || load < options.threshold || Date.now() > deadline) return load;
    if (!warned) options.onWait(load);
    warned = true;
  }
}
