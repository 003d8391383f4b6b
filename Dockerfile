# syntax=docker/dockerfile:1
# The modelgate image: `docker build -t modelgate .`, then run it with a config mounted at
# /etc/modelgate/modelgate.yaml (docs/deploy.md). The build stage installs the npm packages and bundles
# the gateway (scripts/build.ts); the runtime stage holds Node and the bundle only.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies only: the bundle is built with them (tsx, esbuild) and from them; the dev tools (buf,
# vitest, playwright) are for tests and code generation.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/ scripts/
COPY gen/ gen/
COPY src/ src/
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
# dist/ is the whole program: every npm package is bundled into it except esbuild, which only the
# playground loads, so this image serves no playground (keep `server.playground: false`). package.json
# marks /app as modelgate's package root (src/package-root.ts).
COPY --from=build /src/package.json ./
COPY --from=build /src/dist/ dist/
# The environment and node flags of `npm start` and bin/modelgate.mjs (its header says why each is there).
ENV MALLOC_ARENA_MAX=2 \
    MODELGATE_CONFIG=/etc/modelgate/modelgate.yaml
# The official image's `node` user, by number so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# The gateway drains on SIGTERM: health turns NOT_SERVING, running calls get server.shutdownGraceMs.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--max-semi-space-size=16", "--no-allocation-site-pretenuring", "--expose-gc", "dist/modelgate.mjs"]
CMD ["serve"]
