# SPDX-License-Identifier: GPL-2.0-only
# panoptesd container image. The build stage runs the same scripts as CI
# (scripts/deps, then scripts/build), limited to what the image ships: the
# packages of the build profile (no runc, qemu, prometheus or Python test
# packages) and the plain tree (no ASan/UBSan tree). The runtime stage holds
# the binary (its BPF programs are embedded) and its shared libraries, nothing
# else.
#   docker build -t panoptesd .      (docs/deploy.md)

FROM debian:12 AS build
WORKDIR /src
COPY . .
RUN scripts/deps build && scripts/build --plain

FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
	&& apt-get install -y --no-install-recommends \
		libbpf1 libyaml-0-2 libelf1 zlib1g libmicrohttpd12 libgrpc29 libprotobuf-c1 \
		ca-certificates \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/panoptesd /usr/local/bin/panoptesd
COPY --from=build /src/build/panoptesctl /usr/local/bin/panoptesctl
# 50051: gRPC API; 2112: /metrics, /healthz, /readyz
EXPOSE 50051 2112
ENTRYPOINT ["/usr/local/bin/panoptesd"]
