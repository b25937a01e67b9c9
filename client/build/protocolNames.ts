/**
 * The esbuild plugin that lets browser and library bundles use the server's name tables
 * (`DiceEvent`, `LobbyMessage`, `RoomEvent`, …) without bundling server code.
 *
 * A protocol file (`src/systems/<system>/protocol.ts`, `src/realtime/events.ts`) also holds zod
 * schemas and imports server modules. When a bundle imports one, this plugin hands esbuild only
 * its exported `export const <Name>Event = { key: "literal", … } as const` tables (and `…Message`), the one
 * place each name is spelled; everything else in the file (and everything it imports) never
 * reaches the bundle. A table that is not made of string literals fails the build, and so does
 * importing any other value from a protocol file (esbuild: "No matching export"). Types are
 * erased by esbuild and come from the same files through the declaration build.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import type { Plugin } from "esbuild";

const repoRoot = path.resolve(__dirname, "../..");
const PROTOCOL_FILE = /(^|[\\/])src[\\/](systems[\\/][^\\/]+[\\/]protocol|realtime[\\/]events)\.ts$/;
const TABLE_NAME = /^[A-Z][A-Za-z]*(Event|Message)$/;

/** A file whose name tables the plugin keeps (and nothing else). */
export const isProtocolFile = (file: string): boolean => PROTOCOL_FILE.test(path.normalize(file));

/** The `export const XEvent = {…} as const` tables of one protocol file, as plain JavaScript. */
export function nameTables(file: string): string {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    if (!statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) continue;
    for (const decl of statement.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name) || !TABLE_NAME.test(decl.name.text) || !decl.initializer) continue;
      // A table is `{ … } as const`; other exports that happen to end so (zod schemas) are not tables.
      const init = decl.initializer;
      if (!ts.isAsExpression(init) || init.type.getText(source) !== "const") continue;
      if (!ts.isObjectLiteralExpression(init.expression)) continue;
      const where = `${path.relative(repoRoot, file)}: ${decl.name.text}`;
      const entries = init.expression.properties.map((p) => {
        if (
          !ts.isPropertyAssignment(p) ||
          !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ||
          !ts.isStringLiteral(p.initializer)
        ) {
          throw new Error(`${where}: every entry must be \`key: "name"\` (a string literal)`);
        }
        return `${JSON.stringify(p.name.text)}: ${JSON.stringify(p.initializer.text)}`;
      });
      out.push(`export const ${decl.name.text} = Object.freeze({ ${entries.join(", ")} });`);
    }
  }
  return out.join("\n") + "\n";
}

export function protocolNames(): Plugin {
  return {
    name: "rally-protocol-names",
    setup(build) {
      build.onLoad({ filter: PROTOCOL_FILE }, (args) => ({
        contents: nameTables(args.path),
        loader: "js",
        resolveDir: path.dirname(args.path),
      }));
    },
  };
}
