import fs from "node:fs";
import { computeTargets, renderMarkdown, type BenchResult } from "./lib/report";

/**
 * Re-render a saved run's markdown (and its targets) from its JSON, e.g. after the report's
 * layout changed:  npx tsx bench/render.ts bench/results/<time>.json [--write]
 */
const file = process.argv[2];
if (!file) {
  console.error("usage: tsx bench/render.ts <result.json> [--write]");
  process.exit(2);
}
const result = JSON.parse(fs.readFileSync(file, "utf8")) as BenchResult;
const steps = (result.settings.fanoutSteps as number[] | undefined) ?? [];
result.targets = computeTargets(result, steps);
const markdown = renderMarkdown(result, steps);
if (process.argv.includes("--write")) {
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + "\n");
  fs.writeFileSync(file.replace(/\.json$/, ".md"), markdown + "\n");
  console.log(`rewrote ${file} and its .md`);
} else {
  console.log(markdown);
}
