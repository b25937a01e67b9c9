# rally: one process per container; run several behind deploy/nginx (see docs/DEPLOY.md).
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/start.cjs scripts/
# esbuild and tsx (which build dist/ and the demo) are dev dependencies, which npm would leave
# out under NODE_ENV=production: install them, then build, then switch to production.
# (npm ci's prepare step, scripts/start.cjs, finds no sources yet in this layer: it builds nothing.)
RUN npm ci --no-audit --no-fund --include=dev
COPY . .
RUN npm run build
ENV NODE_ENV=production
EXPOSE 2567
# node itself (no npm wrapper process) so `docker stop`'s SIGTERM reaches the server, which
# lets its rooms persist and exits 0 (src/index.ts).
CMD ["node", "--enable-source-maps", "dist/index.js"]
