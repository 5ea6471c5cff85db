# syntax=docker/dockerfile:1
# raqib agent image: build the TypeScript in one stage, run the JavaScript in a slim one.
#   docker build -t raqib .
#   docker run -d -p 9470:9470 -v raqib-data:/var/lib/raqib -v ./my.yaml:/etc/raqib/raqib.yaml:ro raqib

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY agent ./agent
RUN npm run build

FROM node:24-bookworm-slim
# Heap flags measured in docs/performance.md (RSS ~190–210 MiB at 10,000 checks); raise
# --max-old-space-size beyond ~40,000 checks. Two malloc arenas instead of glibc's 8 per core:
# ~24 MiB less RSS at 20,000 checks at the same CPU. One V8 marking thread (on the ENTRYPOINT:
# NODE_OPTIONS does not take it) leaves the main thread a core while the heap is marked.
# test/bench/lib/node-flags.ts holds the same.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=512" \
    MALLOC_ARENA_MAX=2 \
    RAQIB_CONFIG=/etc/raqib/raqib.yaml \
    RAQIB_LISTEN=0.0.0.0:9470 \
    RAQIB_DATA_DIR=/var/lib/raqib
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/agent ./dist/agent
COPY config/raqib.yaml /etc/raqib/raqib.yaml
RUN mkdir -p /var/lib/raqib && chown node:node /var/lib/raqib
USER node
VOLUME ["/var/lib/raqib"]
EXPOSE 9470
# No curl in the image: Node's own fetch asks /healthz on the port RAQIB_LISTEN names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.RAQIB_LISTEN||'').split(':').pop()||'9470';fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--concurrent-marking-max-worker-num=1", "/app/dist/agent/main.js"]
CMD ["run", "--config", "/etc/raqib/raqib.yaml"]
