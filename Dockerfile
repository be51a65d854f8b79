# One image per part of Emporium, all from this file: pick the part with --target.
#
#   docker build --target catalog -t emporium/catalog:dev .
#   podman build --format docker --target catalog --build-arg BASE=localhost/emporium-node-base -t emporium/catalog:dev .
#
# Targets: gateway catalog inventory orders payments notifications identity (services) and
# payment-provider smtp-sink partner-webhooks (sandboxes). Every target shares the `build` and
# `parts` stages, so building all ten costs one `npm ci` and one TypeScript build.
# Behind a TLS-intercepting proxy, give npm the proxy's CA for the install step only (never kept
# in a layer): --secret id=npm_ca,src=/path/to/ca.pem. See deploy/podman/README.md.

# A current Node LTS on Debian. Any image with node, npm, groupadd and useradd on the PATH works
# (CI builds with a local base made by deploy/podman/setup.sh: no registry there).
ARG BASE=node:22-bookworm-slim

# ---------------------------------------------------------------------------------------------
# build: every dependency (dev included), then the TypeScript build of the whole workspace.
FROM ${BASE} AS build
WORKDIR /src
# Manifests first: the install layer stays cached until a package.json or the lockfile changes.
# Every workspace must be listed (npm ci refuses a lockfile that names a missing one).
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY platform/auth/package.json platform/auth/
COPY platform/config/package.json platform/config/
COPY platform/db/package.json platform/db/
COPY platform/errors/package.json platform/errors/
COPY platform/http-client/package.json platform/http-client/
COPY platform/messaging/package.json platform/messaging/
COPY platform/observability/package.json platform/observability/
COPY platform/service/package.json platform/service/
COPY platform/testing/package.json platform/testing/
COPY services/catalog/package.json services/catalog/
COPY services/gateway/package.json services/gateway/
COPY services/identity/package.json services/identity/
COPY services/inventory/package.json services/inventory/
COPY services/notifications/package.json services/notifications/
COPY services/orders/package.json services/orders/
COPY services/payments/package.json services/payments/
COPY sandboxes/partner-webhooks/package.json sandboxes/partner-webhooks/
COPY sandboxes/payment-provider/package.json sandboxes/payment-provider/
COPY sandboxes/smtp-sink/package.json sandboxes/smtp-sink/
COPY tools/bench/package.json tools/bench/
COPY tools/cli/package.json tools/cli/
COPY tools/deploy/package.json tools/deploy/
COPY tools/test-runner/package.json tools/test-runner/
# No install scripts: the only production one (protobufjs) merely checks versions, and the
# embedded PostgreSQL binaries that have one are left out of the images.
RUN --mount=type=secret,id=npm_ca,required=false \
    if [ -f /run/secrets/npm_ca ]; then export NPM_CONFIG_CAFILE=/run/secrets/npm_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn
COPY tsconfig.base.json tsconfig.build.json ./
COPY contracts/ contracts/
COPY platform/ platform/
COPY services/ services/
COPY sandboxes/ sandboxes/
COPY tools/cli/ tools/cli/
RUN npm run build

# ---------------------------------------------------------------------------------------------
# parts: for each part, its compiled JavaScript and its production dependencies only (no
# TypeScript, tests, declarations or dev tools), laid out as /parts/<part>/ = the image's /app.
FROM build AS parts
COPY deploy/podman/collect-parts.mjs /usr/local/lib/collect-parts.mjs
RUN node /usr/local/lib/collect-parts.mjs /parts \
      services/gateway services/catalog services/inventory services/orders services/payments \
      services/notifications services/identity \
      sandboxes/payment-provider sandboxes/smtp-sink sandboxes/partner-webhooks

# ---------------------------------------------------------------------------------------------
# runtime: what every part's image has in common.
FROM ${BASE} AS runtime
# A fixed uid that owns nothing in the image: the code is root's and read-only to the process.
RUN groupadd --system --gid 10001 emporium \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin emporium
WORKDIR /app
ENV NODE_ENV=production
# Node needs no writable path; anything temporary goes to /tmp (an emptyDir or tmpfs when the
# root filesystem is read-only).
ENV TMPDIR=/tmp
USER 10001:10001
# SIGTERM starts the drain (readiness fails, requests and messages finish, exit 0). With podman
# or docker, run with --init: a signal that arrives before the service installs its handler is
# otherwise ignored by node as PID 1, and nothing reaps zombies.
STOPSIGNAL SIGTERM
# No curl in the image: node asks the liveness endpoint on the part's PORT.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT)+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# ---------------------------------------------------------------------------------------------
# One target per part. PORT is each part's default; the platform may set another.
FROM runtime AS gateway
COPY --from=parts /parts/gateway/ /app/
ENV PORT=3000
EXPOSE 3000
CMD ["node", "services/gateway/dist/main.js"]

FROM runtime AS catalog
COPY --from=parts /parts/catalog/ /app/
ENV PORT=3001
EXPOSE 3001
CMD ["node", "services/catalog/dist/main.js"]

FROM runtime AS inventory
COPY --from=parts /parts/inventory/ /app/
ENV PORT=3002
EXPOSE 3002
CMD ["node", "services/inventory/dist/main.js"]

FROM runtime AS orders
COPY --from=parts /parts/orders/ /app/
ENV PORT=3003
EXPOSE 3003
CMD ["node", "services/orders/dist/main.js"]

FROM runtime AS payments
COPY --from=parts /parts/payments/ /app/
ENV PORT=3004
EXPOSE 3004
CMD ["node", "services/payments/dist/main.js"]

FROM runtime AS notifications
COPY --from=parts /parts/notifications/ /app/
ENV PORT=3005
EXPOSE 3005
CMD ["node", "services/notifications/dist/main.js"]

FROM runtime AS identity
COPY --from=parts /parts/identity/ /app/
ENV PORT=3006
EXPOSE 3006
CMD ["node", "services/identity/dist/main.js"]

FROM runtime AS payment-provider
COPY --from=parts /parts/payment-provider/ /app/
ENV PORT=4010
EXPOSE 4010
CMD ["node", "sandboxes/payment-provider/dist/main.js"]

FROM runtime AS smtp-sink
COPY --from=parts /parts/smtp-sink/ /app/
ENV PORT=4025 SMTP_SINK_SMTP_PORT=2525
EXPOSE 4025 2525
CMD ["node", "sandboxes/smtp-sink/dist/main.js"]

FROM runtime AS partner-webhooks
COPY --from=parts /parts/partner-webhooks/ /app/
ENV PORT=4030
EXPOSE 4030
CMD ["node", "sandboxes/partner-webhooks/dist/main.js"]
