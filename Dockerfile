# Builds the lienket binary and runs it on a slim Debian image as an unprivileged user.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml clippy.toml ./
COPY entity entity
COPY migration migration
COPY src src
RUN cargo build --release --locked --bin lienket

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/lienket lienket
COPY --from=build /src/target/release/lienket /usr/local/bin/lienket
USER lienket
WORKDIR /var/lib/lienket
ENV LIENKET_BIND=0.0.0.0:8080 \
    LIENKET_DATA_DIR=/var/lib/lienket/data \
    LIENKET_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["lienket"]
CMD ["serve"]
