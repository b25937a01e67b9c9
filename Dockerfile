# rally: one process per container; run several behind deploy/nginx (see docs/DEPLOY.md).
# Two stages: the build stage has the dev dependencies (esbuild, tsx) that make dist/ and the
# demo; the runtime stage has production dependencies only, the build's output, and no sources.
# Linted by dockerfilelint and checked against issue 19's list in test/unit/dockerImage.test.ts;
# CI boots the same dist/ with `node dist/index.js` (scripts/boot-dist.sh).

FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's prepare step (scripts/start.cjs) finds no sources in this layer yet: it builds nothing.
COPY scripts/start.cjs scripts/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:22-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/start.cjs scripts/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist dist
COPY --from=build /app/client-demo/dist client-demo/dist
# DATA_DIR (./data): PGlite's files and the development JWT secret, when run on embedded defaults.
RUN mkdir -p /app/data && chown node:node /app/data
# The node image's unprivileged user: the server needs no root (it listens on 2567).
USER node
EXPOSE 2567
# Liveness, as compose's and nginx's readiness use /readyz. No --start-period: dockerfilelint
# 1.8 misparses it, and three failed checks 10 s apart outlast a start (≈ 3 s) anyway.
HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||2567)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is PID 1 (exec form, no npm or shell wrapper), so `docker stop`'s SIGTERM reaches
# the server, which lets its rooms persist and exits 0 (src/index.ts installs the handler).
CMD ["node", "--enable-source-maps", "dist/index.js"]
