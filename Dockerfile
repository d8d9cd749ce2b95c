# syntax=docker/dockerfile:1
# mesos-dns-ts image. The build stage compiles src/ to dist/; the runtime stage holds only the
# production dependencies, dist/ and a default config, and runs as the unprivileged `node` user.
#
#   docker build -t mesos-dns-ts:0.1.0 .
#   docker run --network host --cap-add NET_BIND_SERVICE \
#     -v /etc/mesos-dns:/etc/mesos-dns:ro mesos-dns-ts:0.1.0
#   docker run ... mesos-dns-ts:0.1.0 -config=/etc/mesos-dns/config.json -zk=zk://10.0.0.1:2181/mesos
#
# Port 53 as a non-root user: the node binary carries the file capability
# cap_net_bind_service=+ep (set below), which the kernel grants only if the container's bounding
# set holds CAP_NET_BIND_SERVICE. Docker's default set does; runtimes started with
# `--cap-drop ALL` (or Kubernetes `drop: [ALL]`) must add it back: `--cap-add NET_BIND_SERVICE`.
# `--security-opt no-new-privileges` makes the kernel ignore file capabilities: then instead
# lower the port floor, `--sysctl net.ipv4.ip_unprivileged_port_start=53` (not possible with
# --network host, where the host's own sysctl applies), or serve a port >= 1024 with -port=N.
# Side effect of the file capability: Node runs in secure mode and ignores NODE_OPTIONS and
# NODE_EXTRA_CA_CERTS; pass Node flags on the command line instead.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# libcap2-bin only lends setcap for this step; the capability stays on the binary.
RUN apt-get update \
  && apt-get install -y --no-install-recommends libcap2-bin \
  && setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")" \
  && apt-get purge -y libcap2-bin \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin/check-node.cjs ./bin/
# The default config suits host networking on a Mesos master (ZooKeeper on 127.0.0.1:2181);
# mount your own over /etc/mesos-dns or override keys with flags after the image name.
COPY deploy/config.json /etc/mesos-dns/config.json
# Files stay root-owned (read-only to the service); the process runs as uid 1000.
USER node
EXPOSE 53/udp 53/tcp 8123/tcp
# Slim images have no curl: Node's fetch does the check. It assumes the default httpport 8123
# and an HTTPListener that includes 127.0.0.1 (0.0.0.0 does).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8123/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["-config=/etc/mesos-dns/config.json"]
