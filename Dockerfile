# rally: one process per container; run several behind deploy/nginx (see docs/DEPLOY.md).
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# tsx (runs the TypeScript sources) and esbuild (builds the demo) are dev dependencies, which
# npm would leave out under NODE_ENV=production: install them, then switch to production.
RUN npm ci --no-audit --no-fund --include=dev
COPY . .
RUN npm run build:demo --if-present
ENV NODE_ENV=production
EXPOSE 2567
# node itself (tsx as a loader, no npx/tsx wrapper process) so `docker stop`'s SIGTERM
# reaches the server, which lets its rooms persist and exits 0 (src/index.ts).
CMD ["node", "--import", "tsx", "src/index.ts"]
