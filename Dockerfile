# syntax=docker/dockerfile:1
# Multi-stage build of the webhookd binary (ingress, worker, migrate and
# setup share it). The builder's Go is the exact version go.mod names: the
# image sets GOTOOLCHAIN=local, so an older cached golang:1.26 image would
# refuse to build.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/webhookd ./cmd/webhookd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/webhookd /usr/local/bin/webhookd
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/webhookd"]
