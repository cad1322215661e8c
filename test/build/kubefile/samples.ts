/** Realistic Kubefiles for the golden and fuzz tests (kept as code so the fixtures live beside the tests). */

/** A sealos application image: plain Dockerfile syntax plus the sealos labels and ENV. */
export const SEALOS_APP = `FROM scratch
LABEL sealos.io.type="application" \\
      sealos.io.version="v1.0.0" \\
      init="init.sh" clean="clean.sh"
ENV criData=/var/lib/containerd \\
    registryData=/var/lib/registry
ENV NAMESPACE=ingress-nginx
COPY charts ./charts
COPY manifests ./manifests
COPY registry ./registry
COPY images/shim ./images/shim
CMD ["helm upgrade -i ingress-nginx charts/ingress-nginx -n \${NAMESPACE} --create-namespace"]
`;

/** A sealer Kubefile with its cluster-image instructions. */
export const SEALER_APPS = `# A cluster image carrying two apps, sealer style.
FROM docker.io/sealerio/kubernetes:v1.22.15
KUBEVERSION >=1.22.0 <1.27.0
LABEL "cluster.alpha.sealer.io/cluster-runtime-type"="kubernetes"
CNI calico local://calico.yaml
CSI openebs https://openebs.github.io/charts/openebs-operator.yaml
APP mysql local://mysql.yaml
APP redis local://charts/redis helm://bitnami/redis@18.1.0
APPENV mysql MYSQL_ROOT_PASSWORD=secret STORAGE_CLASS=openebs-hostpath
APPCMDS mysql ["kubectl apply -f mysql.yaml -n db"]
APPCMDS redis ["helm install redis charts/redis --set auth.enabled=false"]
LAUNCH ["calico", "mysql", "redis"]
`;

/** A multi-stage Dockerfile using most of the syntax: directives, heredocs, exec/shell forms, flags. */
export const MULTI_STAGE = `# syntax=docker/dockerfile:1.7
# escape=\\

ARG GO_VERSION=1.22
ARG TARGETOS TARGETARCH
FROM --platform=$BUILDPLATFORM golang:\${GO_VERSION}-alpine AS build
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=bind,source=go.mod,target=go.mod \\
    go mod download
COPY --link . .
RUN <<EOF
set -eux
CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app ./cmd/app
EOF

FROM alpine:3.20 AS runtime
COPY --from=build --chown=1000:1000 --chmod=0755 /out/app /usr/local/bin/app
COPY <<-"CONF" /etc/app/config.yaml
\tlisten: :8080
\tlog: info
\tCONF
ENV APP_HOME=/var/lib/app PATH=/usr/local/bin:$PATH
EXPOSE 8080/tcp
VOLUME ["/var/lib/app"]
USER 1000:1000
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD ["wget", "-qO-", "http://localhost:8080/healthz"]
STOPSIGNAL SIGTERM
SHELL ["/bin/sh", "-eu", "-c"]
ONBUILD COPY . /app/plugins
ENTRYPOINT ["/usr/local/bin/app"]
CMD ["serve", "--config", "/etc/app/config.yaml"]
`;

export const SAMPLES: Record<string, string> = {
  'sealos-app': SEALOS_APP,
  'sealer-apps': SEALER_APPS,
  'multi-stage': MULTI_STAGE,
};
