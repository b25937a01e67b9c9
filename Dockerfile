# rally: one process per container; run several behind deploy/nginx (see docs/DEPLOY.md).
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:demo --if-present
EXPOSE 2567
CMD ["npx", "tsx", "src/index.ts"]
