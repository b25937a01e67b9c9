import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { registry } from "../../src/metrics";
import { documentedSeries } from "../helpers/documentedMetrics";

/**
 * deploy/grafana/rally-dashboard.json (issue 19): a Grafana dashboard model whose Prometheus
 * data source is a template variable, whose panels are laid out on Grafana's 24-column grid,
 * and whose queries name only series README.md documents (or Node's default metrics, which
 * the README names by prefix) — and chart every documented one.
 */

interface Target {
  expr: string;
  refId: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

const file = path.join(__dirname, "../../deploy/grafana/rally-dashboard.json");
const dashboard = JSON.parse(fs.readFileSync(file, "utf8")) as {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query: unknown; definition?: string }> };
};

/**
 * The metric names a PromQL expression (or a variable's `label_values(metric, label)`) selects:
 * every `name{…}`, since rally's queries always filter by instance.
 */
const selectedMetrics = (expr: string) =>
  [...expr.matchAll(/([a-zA-Z_:][\w:]*)\s*\{|^label_values\(\s*([a-zA-Z_:][\w:]*)/g)].map((m) => m[1] ?? m[2]);

describe("the Grafana dashboard (deploy/grafana)", () => {
  const documented = documentedSeries();

  it("is a dashboard model with its Prometheus data source as a variable", () => {
    assert.equal(typeof dashboard.title, "string");
    assert.match(dashboard.uid, /^[\w-]{1,40}$/);
    assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36);
    const ds = dashboard.templating.list.find((v) => v.type === "datasource");
    assert.ok(ds, "a datasource variable");
    assert.equal(ds.query, "prometheus");
    const source = { type: "prometheus", uid: `\${${ds.name}}` };
    const charts = dashboard.panels.filter((p) => p.type !== "row");
    assert.ok(charts.length >= 8);
    for (const panel of charts) {
      assert.deepEqual(panel.datasource, source, panel.title);
      assert.ok(panel.targets?.length, `${panel.title}: no query`);
      for (const t of panel.targets) assert.deepEqual(t.datasource, source, `${panel.title} ${t.refId}`);
    }
  });

  it("lays its panels out on the 24-column grid, with unique ids and no overlap", () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, "unique panel ids");
    const taken = new Set<string>();
    for (const { title, gridPos: g } of dashboard.panels) {
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.y >= 0 && g.h > 0, title);
      for (let x = g.x; x < g.x + g.w; x++)
        for (let y = g.y; y < g.y + g.h; y++) {
          assert.ok(!taken.has(`${x},${y}`), `${title} overlaps another panel at ${x},${y}`);
          taken.add(`${x},${y}`);
        }
    }
  });

  it("queries only documented series and Node's default metrics, and charts every documented series", async () => {
    const nodeDefaults = new Set(
      (await registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => /^(process|nodejs)_/.test(n)),
    );
    const histogramSuffix = /_(bucket|sum|count)$/;
    const seriesOf = (name: string) => {
      const base = name.replace(histogramSuffix, "");
      const hist = documented.find((s) => s.name === base && s.type === "histogram");
      return hist ? base : name;
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    for (const v of dashboard.templating.list)
      if (v.definition) exprs.push({ title: `$${v.name}`, expr: v.definition });
    const charted = new Set<string>();
    for (const { title, expr } of exprs) {
      const names = selectedMetrics(expr);
      assert.ok(names.length > 0, `${title}: no metric selected in ${expr}`);
      for (const name of names) {
        const series = seriesOf(name);
        if (series.startsWith("rally_")) {
          assert.ok(
            documented.some((s) => s.name === series),
            `${title}: ${name} is not in README.md's metrics table`,
          );
          charted.add(series);
        } else {
          assert.ok(nodeDefaults.has(series.replace(histogramSuffix, "")), `${title}: ${name} is not exported`);
        }
      }
    }
    assert.deepEqual(
      documented.map((s) => s.name).filter((n) => !charted.has(n)),
      [],
      "documented series the dashboard does not chart",
    );
  });
});
