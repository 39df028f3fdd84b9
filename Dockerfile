# syntax=docker/dockerfile:1
# idc-token-gateway: multi-stage image.
#   deps    production dependencies only (npm ci --omit=dev), reused by the runtime stage
#   build   all dependencies; compiles src/ to dist/ (tsc) and bundles the explorer to dist/explorer
#   runtime Node LTS slim, NODE_ENV=production, non-root user `node`, dist/ + production node_modules
# The same image runs the emulator: `docker run … idc-token-gateway node dist/emulator/main.js`.
# Node 24 is the current LTS line; the code also supports Node 20+ (package.json engines).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY explorer ./explorer
COPY scripts ./scripts
RUN npm run build && npm run build:explorer \
 && test -f dist/main.js && test -f dist/emulator/main.js

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0
# The heap budget. V8 sizes its old space from the machine's (or cgroup's) memory and collects lazily
# up to it: under load the gateway's RSS grew past 300 MB with a live set under 70 MB. A 160 MB old
# space keeps the peak near 150 MB (the defaults' response cache, 10,000 entries or 64 MB, fits, and
# main.ts warns when CACHE_MAX_BYTES does not); the young generation is pinned at Node's usual 16 MB
# semi-space, which a small old space would otherwise shrink (2x slower in bench/http-micro.ts).
# Override NODE_OPTIONS to give a replica more memory.
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=16"
WORKDIR /app
# package.json is read at run time (the gateway's version); the files stay root-owned and read-only to `node`.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 4000
# main.ts handles SIGTERM (drains, then exits 0); Docker's default stop signal is SIGTERM.
STOPSIGNAL SIGTERM
# Liveness: /healthz answers 200 while the process serves HTTP. Node's global fetch; no curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
