import { defineConfig } from "tsup";
import { protocolNames } from "./build/protocolNames";

/**
 * ESM + CJS with declarations. The server's protocol files contribute their name tables only
 * (protocolNames), and their types are bundled into dist/index.d.ts, so the package stands
 * alone: its runtime needs @colyseus/sdk, its types also @colyseus/schema and zod.
 */
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  platform: "neutral",
  target: "es2022",
  dts: true,
  clean: true,
  sourcemap: true,
  treeshake: false,
  external: ["@colyseus/sdk"],
  esbuildPlugins: [protocolNames()],
  tsconfig: "tsconfig.json",
});
