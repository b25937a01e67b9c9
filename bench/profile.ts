import fs from "node:fs";
import path from "node:path";

/**
 * Summarize a V8 `.cpuprofile` (from `npm run bench -- --profile`): where the process spent
 * its time, by function (self and inclusive) and by package or source file.
 *
 *   npx tsx bench/profile.ts bench/results/profiles/fanout-rally-3100.cpuprofile [--top 25] [--filter src/]
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith("--"));
if (!file) {
  console.error("usage: tsx bench/profile.ts <file.cpuprofile> [--top N] [--filter text]");
  process.exit(2);
}
const top = Number(args[args.indexOf("--top") + 1]) || 25;
const filter = args.includes("--filter") ? args[args.indexOf("--filter") + 1] : undefined;

const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Self time per node from the samples and their time deltas (µs).
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const root = path.resolve(__dirname, "..");
const where = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, "").replace(root + "/", "");
  return url ? `${url}:${n.callFrame.lineNumber + 1}` : "(native)";
};
const label = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"} ${where(n)}`;
const bucket = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\//, "");
  if (!url) return n.callFrame.functionName.startsWith("(") ? n.callFrame.functionName : "(native/V8)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return url;
  return path.relative(root, url);
};

const selfByFn = new Map<string, number>();
const selfByBucket = new Map<string, number>();
const inclusiveByFn = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
  selfByBucket.set(bucket(n), (selfByBucket.get(bucket(n)) ?? 0) + us);
  // Inclusive: charge every distinct function on the stack once.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const key = label(byId.get(cur)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusiveByFn.set(key, (inclusiveByFn.get(key) ?? 0) + us);
  }
}

const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  [...map.entries()]
    .filter(([k]) => !filter || k.includes(filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .forEach(([k, us]) => console.log(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`));
};

const idle = [...self.entries()]
  .filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)")
  .reduce((a, [, us]) => a + us, 0);
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((idle / total) * 100).toFixed(1)} % idle`);
print("Self time by package / file", selfByBucket);
print("Self time by function", selfByFn);
print("Inclusive time by function", inclusiveByFn);
