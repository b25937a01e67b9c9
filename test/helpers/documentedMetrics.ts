import fs from "node:fs";
import path from "node:path";

/** A series as README.md's metrics table documents it. */
export interface DocumentedSeries {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary";
  labels: string[];
}

/**
 * The documented series: the rows of the table under README.md's `### Metrics` heading, the
 * one place they are listed. The metrics test and the dashboard check both read them here.
 */
export function documentedSeries(readme = path.join(__dirname, "../../README.md")): DocumentedSeries[] {
  const text = fs.readFileSync(readme, "utf8");
  const section = /^### Metrics\n([\s\S]*?)(?=^#{1,3} )/m.exec(text)?.[1];
  if (!section) throw new Error("README.md has no `### Metrics` section");
  const rows: DocumentedSeries[] = [];
  for (const line of section.split("\n")) {
    const cells = /^\|\s*`(rally_[a-z_]+)`\s*\|\s*(\w+)\s*\|([^|]*)\|/.exec(line);
    if (!cells) continue;
    rows.push({
      name: cells[1],
      type: cells[2] as DocumentedSeries["type"],
      // The label names are the first backquoted word of each comma-separated part.
      labels: cells[3]
        .split(",")
        .map((part) => /`(\w+)`/.exec(part)?.[1])
        .filter((l): l is string => !!l),
    });
  }
  if (rows.length === 0) throw new Error("README.md's metrics table lists no rally_ series");
  return rows;
}
