/**
 * `--profile`: a CPU profile of the Ferry worker (CDP `Profiler` on its
 * target) around each first-round Ferry scenario, written to
 * bench/results/profiles/<scenario>.cpuprofile (open it in DevTools), with
 * the top functions by self time printed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { WorkerCdp } from './workerCdp.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export function workerProfiler(outDir: string): (name: string, cdp: WorkerCdp) => Promise<() => Promise<void>> {
  return async (name, cdp) => {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    return async () => {
      const { profile } = await cdp.send<{ profile: Profile }>('Profiler.stop');
      await mkdir(outDir, { recursive: true });
      await writeFile(join(outDir, `${name}.cpuprofile`), JSON.stringify(profile));
      console.log(`\n[profile ${name}] ${summarize(profile)}`);
    };
  };
}

/** Self time per function (ms) from the samples, top 15, and the idle share. */
function summarize(p: Profile): string {
  const byNode = new Map<number, ProfileNode>(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byNode.get(samples[i] as number);
    if (!node) continue;
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1000);
  }
  const total = (p.endTime - p.startTime) / 1000;
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return `${total.toFixed(0)} ms wall\n${rows.map(([k, ms]) => `  ${ms.toFixed(1).padStart(8)} ms  ${((ms / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n')}`;
}
