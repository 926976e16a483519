# syntax=docker/dockerfile:1
# sellerdesk container image: `docker build -t sellerdesk .`, or `docker compose up --build`.
# UNTESTED: no Docker engine runs on the development machine (see README.md, "Docker").

# --- build: the compiler and -dev packages of scripts/deps.sh (keep the two lists in step) ---
FROM debian:bookworm-slim AS build
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        build-essential pkg-config libulfius-dev libjansson-dev libjwt-dev libsodium-dev \
        libpq-dev libcurl4-gnutls-dev check libsubunit-dev nodejs npm \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# everything `make build` compiles: the server, the contract it embeds, and the test binaries;
# npm ci fetches the Redoc bundle that /docs serves (package.json pins it)
COPY Makefile openapi.yaml package.json package-lock.json ./
COPY docs/ docs/
COPY src/ src/
COPY api/ api/
COPY tests/ tests/
RUN make build

# --- runtime: shared libraries only, a non-root user ---
FROM debian:bookworm-slim
# curl is here for the HEALTHCHECK only
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
        libulfius2.7 libjansson4 libjwt0 libsodium23 libpq5 curl ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 sellerdesk \
 && useradd --system --uid 10001 --gid sellerdesk --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin sellerdesk
COPY --from=build /src/bin/sellerdesk /usr/local/bin/sellerdesk
COPY migrations/ /usr/share/sellerdesk/migrations/
# listen on all interfaces (the default) and find the migrations wherever the process starts
ENV SELLERDESK_MIGRATIONS_DIR=/usr/share/sellerdesk/migrations \
    SELLERDESK_BIND_ADDRESS=0.0.0.0 \
    SELLERDESK_PORT=8080
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fs "http://localhost:${SELLERDESK_PORT:-8080}/healthz" || exit 1
# SIGTERM (docker stop) lets in-flight requests finish, up to SELLERDESK_SHUTDOWN_GRACE (20 s)
STOPSIGNAL SIGTERM
ENTRYPOINT ["sellerdesk"]
CMD ["serve"]
