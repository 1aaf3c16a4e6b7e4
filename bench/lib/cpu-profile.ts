// Summarises a V8 .cpuprofile (node --cpu-prof) of the server over a time window: where the main thread's time
// went, by package and by function (self and inclusive time).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  windowMs: number;
  sampledMs: number;
  byArea: { area: string; ms: number; share: number }[];
  selfTop: { fn: string; ms: number; share: number }[];
  inclusiveTop: { fn: string; ms: number; share: number }[];
}

const ROOT = new URL('../../', import.meta.url).href;

function area(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('node:')) return 'node: core';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + 14).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith(`${ROOT}src/`)) return `passless ${url.slice(ROOT.length).split('/').slice(0, 2).join('/')}`;
  return url;
}

function label(frame: ProfileNode['callFrame']): string {
  const where = frame.url
    ? frame.url
        .replace(ROOT, '')
        .replace(/^.*\/node_modules\//, '')
        .replace(/^file:\/\//, '')
    : '';
  return `${frame.functionName || '(anonymous)'}${where ? ` ${where}:${frame.lineNumber + 1}` : ''}`;
}

/** window: [from, to] in the monotonic clock, microseconds (process.hrtime.bigint() / 1000). */
export function summariseProfile(path: string, window?: { from: number; to: number }, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const areaMs = new Map<string, number>();
  const selfMs = new Map<string, number>();
  const inclMs = new Map<string, number>();
  let t = profile.startTime;
  let sampled = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (window && (t < window.from || t > window.to)) continue;
    // The delta to the next sample is the time this sample stands for.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    sampled += ms;
    const node = byId.get(profile.samples[i]!)!;
    const a = area(node.callFrame);
    areaMs.set(a, (areaMs.get(a) ?? 0) + ms);
    const self = label(node.callFrame);
    selfMs.set(self, (selfMs.get(self) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (frame.functionName === '(root)') continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclMs.set(key, (inclMs.get(key) ?? 0) + ms);
    }
  }
  const rank = (m: Map<string, number>) =>
    [...m].sort((x, y) => y[1] - x[1]).map(([k, ms]) => ({ k, ms: Math.round(ms), share: sampled ? ms / sampled : 0 }));
  return {
    windowMs: window ? (window.to - window.from) / 1000 : (profile.endTime - profile.startTime) / 1000,
    sampledMs: Math.round(sampled),
    byArea: rank(areaMs).map(({ k, ms, share }) => ({ area: k, ms, share })),
    selfTop: rank(selfMs)
      .slice(0, top)
      .map(({ k, ms, share }) => ({ fn: k, ms, share })),
    inclusiveTop: rank(inclMs)
      .filter(({ k }) => !k.startsWith('('))
      .slice(0, top)
      .map(({ k, ms, share }) => ({ fn: k, ms, share })),
  };
}
