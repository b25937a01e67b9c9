// ESLint flat config: typescript-eslint's type-aware recommended rules over every TypeScript file
// of the project, eslint-config-prettier last so that formatting is Prettier's alone.
import eslint from "@eslint/js";
import tseslint from "typescript-eslint";
import prettier from "eslint-config-prettier";

/**
 * Event names must come from the typed event tables (issue 15), never be raw strings at the call
 * site: the name is the first argument of `broadcastEvent(type, payload)` and the second of
 * `sendTo(client, type, payload)`, `delivery.toUser(userId, type, payload)` and
 * `delivery.toTopic(topic, type, payload)`.
 */
const RAW_STRING = `:matches(Literal[raw=/^["']/], TemplateLiteral)`;
const eventNameLiteralRule = [
  "error",
  {
    selector: `CallExpression:matches([callee.name="broadcastEvent"], [callee.property.name="broadcastEvent"]) > ${RAW_STRING}:first-child`,
    message: "Event names come from the room's typed event table, not a raw string.",
  },
  {
    selector: `CallExpression:matches([callee.name=/^(sendTo|toUser|toTopic)$/], [callee.property.name=/^(sendTo|toUser|toTopic)$/]) > ${RAW_STRING}:nth-child(2)`,
    message: "Event names come from the typed event tables, not a raw string.",
  },
];

/**
 * The demo and the load-test bots talk to rooms through @rally/client, whose typed `on`, `send`
 * and `request` take names from the same tables (`LobbyEvent.x`, `DiceMessage.y`): a raw string
 * as the name (the first argument of `.on`/`.onMessage`/`.send`/`.request`) is refused there.
 */
const clientNameLiteralRule = [
  "error",
  {
    selector: `CallExpression[callee.property.name=/^(on|onMessage|send|request)$/] > ${RAW_STRING}:first-child`,
    message: "Event and message names come from @rally/client's typed tables (e.g. LobbyEvent.x), not a raw string.",
  },
];

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "node_modules/**",
      "data/**",
      "test-artifacts/**",
      "bench/results/**",
      // The demo's bundler script is outside both tsconfigs (client-demo/tsconfig.json holds
      // the browser code only); it is plain esbuild plumbing.
      "client-demo/build.ts",
    ],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked against its nearest tsconfig.json: the root one for the server,
        // tests, scripts and benches; client-demo/tsconfig.json (DOM types) for the demo.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // The tree writes `!` after an index access it knows is in range (the convention of
      // noUncheckedIndexedAccess, which tsconfig does not turn on yet): this rule calls each of
      // those ~700 unnecessary. Turn it back on together with noUncheckedIndexedAccess.
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      // A leading underscore marks a parameter or binding kept for its position or to omit a
      // key from a rest object (`const { password: _p, ...safe } = row`).
      "@typescript-eslint/no-unused-vars": [
        "error",
        {
          argsIgnorePattern: "^_",
          varsIgnorePattern: "^_",
          caughtErrorsIgnorePattern: "^_",
          destructuredArrayIgnorePattern: "^_",
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Tests read wire payloads (REST bodies, room messages, state snapshots) as untyped JSON on
    // purpose: asserting their shape is the test. Typing every response only to satisfy the
    // no-unsafe-* family would add casts that assert nothing; so these rules are off in test/.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // The server logs through pino (src/logger.ts), never the console.
    files: ["src/**/*.ts"],
    rules: { "no-console": "error" },
  },
  {
    files: ["src/**/*.ts"],
    rules: { "no-restricted-syntax": eventNameLiteralRule },
  },
  {
    files: ["client-demo/src/**/*.ts", "loadtest/**/*.ts"],
    rules: { "no-restricted-syntax": clientNameLiteralRule },
  },
  {
    files: ["**/*.cjs", "**/*.mjs", "**/*.js"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: "readonly",
        module: "writable",
        process: "readonly",
        console: "readonly",
        __dirname: "readonly",
      },
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
