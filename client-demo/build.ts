/**
 * Build the browser demo into client-demo/dist/: type-check it first with its own strict
 * tsconfig (which pulls the server's protocol types, so a contract change breaks the build),
 * then bundle it with esbuild. `npm run build:demo`; `npm start` runs it before the server.
 *
 * `--watch`: rebuild the bundle on change (type errors are then only reported, not fatal).
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import * as esbuild from "esbuild";
import { isProtocolFile, protocolNames } from "../client/build/protocolNames";

const root = __dirname;
const dist = path.join(root, "dist");
const watch = process.argv.includes("--watch");

function typeCheck(): boolean {
  const configPath = path.join(root, "tsconfig.json");
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, "\n"));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
  if (diagnostics.length === 0) return true;
  const host: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => process.cwd(),
    getNewLine: () => "\n",
  };
  console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
  console.error(`client-demo: ${diagnostics.length} type error(s)`);
  return false;
}

const options: esbuild.BuildOptions = {
  entryPoints: [path.join(root, "src/main.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  outfile: path.join(dist, "app.js"),
  sourcemap: true,
  minify: !watch,
  logLevel: "warning",
  legalComments: "none",
  metafile: true,
  // The demo uses @rally/client from source (client/dist/ may not be built yet), and the
  // protocol files give it their name tables only.
  alias: { "@rally/client": path.join(root, "../client/src/index.ts") },
  plugins: [protocolNames()],
};

/**
 * The demo imports only TYPES from the server (erased by esbuild), and the name tables of the
 * protocol files (through @rally/client, reduced to those tables). Any other value import would
 * drag server code into the browser bundle: refuse it.
 */
function assertNoServerCode(metafile: esbuild.Metafile | undefined): void {
  const server = path.relative(process.cwd(), path.join(root, "../src")) + path.sep;
  const leaked = Object.keys(metafile?.inputs ?? {}).filter(
    (input) => path.normalize(input).startsWith(server) && !isProtocolFile(input),
  );
  if (leaked.length) {
    throw new Error(`client-demo: server code would be bundled (use \`import type\`): ${leaked.join(", ")}`);
  }
}

function copyStatic(): void {
  for (const file of ["index.html", "styles.css"]) {
    fs.copyFileSync(path.join(root, "src", file), path.join(dist, file));
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const ok = typeCheck();
  if (!ok && !watch) process.exit(1);
  fs.rmSync(dist, { recursive: true, force: true });
  fs.mkdirSync(dist, { recursive: true });
  copyStatic();
  if (watch) {
    const context = await esbuild.context(options);
    await context.watch();
    console.log("client-demo: watching for changes");
    return;
  }
  const result = await esbuild.build(options);
  assertNoServerCode(result.metafile);
  console.log(`client-demo: built ${path.relative(process.cwd(), dist)} in ${Date.now() - started} ms`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
