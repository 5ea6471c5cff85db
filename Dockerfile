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
# ping for icmp checks (iputils-ping, with Debian's NET_RAW file capability). What the container
# must allow for user node to use it: docs/operations.md, "ICMP checks".
RUN apt-get update \
    && apt-get install -y --no-install-recommends iputils-ping \
    && rm -rf /var/lib/apt/lists/*
# The node flags and MALLOC_ARENA_MAX the agent runs with are in config/node-flags, which the
# entry point bin/raqib applies (as `npm start` does, and the benchmark reads). A flag set in
# NODE_OPTIONS (docker run -e NODE_OPTIONS=--max-old-space-size=1024) or a variable set with -e
# wins over the file's.
ENV NODE_ENV=production \
    RAQIB_CONFIG=/etc/raqib/raqib.yaml \
    RAQIB_LISTEN=0.0.0.0:9470 \
    RAQIB_DATA_DIR=/var/lib/raqib
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/agent ./dist/agent
COPY --chmod=0755 bin/raqib ./bin/raqib
COPY config/node-flags ./config/node-flags
COPY config/raqib.yaml /etc/raqib/raqib.yaml
RUN mkdir -p /var/lib/raqib && chown node:node /var/lib/raqib
USER node
VOLUME ["/var/lib/raqib"]
EXPOSE 9470
# No curl in the image: Node's own fetch asks /healthz on the port RAQIB_LISTEN names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=(process.env.RAQIB_LISTEN||'').split(':').pop()||'9470';fetch('http://127.0.0.1:'+p+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/app/bin/raqib"]
CMD ["run", "--config", "/etc/raqib/raqib.yaml"]
