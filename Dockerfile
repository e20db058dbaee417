# syntax=docker/dockerfile:1
# Multi-stage build of the inspector. Build: Swift on Debian 12 with the -dev packages; run: Debian 12
# slim with only the shared libraries, the binary (Swift runtime linked statically), rules, model and
# default policy/topics.
FROM swift:6.1-bookworm AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      pkg-config libpcre2-dev librdkafka-dev libhiredis-dev libcurl4-openssl-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product shieldflow && cp "$(swift build -c release --show-bin-path)/shieldflow" /shieldflow

FROM debian:bookworm-slim
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libpcre2-8-0 librdkafka1 libhiredis0.14 libcurl4 ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home shieldflow
COPY --from=build /shieldflow /usr/local/bin/shieldflow
COPY rules /opt/shieldflow/rules
COPY models /opt/shieldflow/models
COPY policy.yaml topics.yaml /opt/shieldflow/
WORKDIR /opt/shieldflow
USER shieldflow
ENV SHIELDFLOW_RULES=/opt/shieldflow/rules SHIELDFLOW_POLICY=/opt/shieldflow/policy.yaml
EXPOSE 9400
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/9400 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200 OK' <&3"]
ENTRYPOINT ["shieldflow"]
CMD ["run"]
