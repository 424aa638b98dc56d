#!/bin/sh
# `make helm-lint`: lints the chart and renders it with its default and
# production values, then checks what the renders must (and must not)
# hold. HELM is the helm command (the Makefile's: helm from the module
# proxy).
set -eu
helm=${HELM:-helm}
chart=${CHART:-deploy/helm/webhookd}
prod="-f $chart/values-production.yaml"
# The defaults name no image (none is published): `make image`'s tag.
img="--set image.repository=webhookd --set image.tag=dev"
kube="--kube-version 1.30.0"
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

fail() {
  echo "helm-lint: $*" >&2
  exit 1
}
# has FILE WANT PATTERN: FILE has WANT lines matching PATTERN.
has() {
  n=$(grep -c -E -e "$3" "$1" || true)
  [ "$n" = "$2" ] || fail "$(basename "$1"): $n lines match '$3', want $2"
}

$helm lint --strict "$chart" $img
$helm lint --strict "$chart" $prod
$helm template webhookd "$chart" $kube $img > "$d/default.yaml"
$helm template webhookd "$chart" $kube $prod > "$d/production.yaml"
$helm template webhookd "$chart" $kube $prod --api-versions monitoring.coreos.com/v1/ServiceMonitor > "$d/production-crd.yaml"
$helm template webhookd "$chart" --kube-version 1.26.0 $img > "$d/kube-1.26.yaml"

for f in default production; do
  # NetworkPolicy on by default: one for the ingress pods, one for the workers.
  has "$d/$f.yaml" 2 '^kind: NetworkPolicy$'
  # Both PDBs let a drain evict pods that are not ready.
  has "$d/$f.yaml" 2 '^  unhealthyPodEvictionPolicy: AlwaysAllow$'
  # Both hook jobs end and are cleaned up.
  has "$d/$f.yaml" 2 '^  activeDeadlineSeconds: [0-9]+$'
  has "$d/$f.yaml" 2 '^  ttlSecondsAfterFinished: [0-9]+$'
done
# The codec: off by default (an empty token, no codec rule); with a token
# from its Secret in production, and admitted from codecFrom only.
grep -A1 -e '- name: WEBHOOKD_CODEC_AUTH_TOKEN$' "$d/default.yaml" | grep -q -e 'value: ""' ||
  fail "default.yaml: the worker's WEBHOOKD_CODEC_AUTH_TOKEN is not empty"
grep -A4 -e '- name: WEBHOOKD_CODEC_AUTH_TOKEN$' "$d/production.yaml" | grep -q -e 'name: webhookd-codec' ||
  fail "production.yaml: WEBHOOKD_CODEC_AUTH_TOKEN is not from the Secret webhookd-codec"
has "$d/default.yaml" 0 'kubernetes.io/metadata.name: temporal$'
has "$d/production.yaml" 1 'kubernetes.io/metadata.name: auth-proxy$'
# A ServiceMonitor only where its CRD is served.
has "$d/production.yaml" 0 '^kind: ServiceMonitor$'
has "$d/production-crd.yaml" 1 '^kind: ServiceMonitor$'
# The eviction policy only where the API has it (Kubernetes 1.27 on).
has "$d/kube-1.26.yaml" 0 'unhealthyPodEvictionPolicy'

# Rendering fails, with a message saying what to set: no image, a codec
# without a token.
if $helm template webhookd "$chart" $kube > /dev/null 2> "$d/err"; then
  fail "rendered without image.repository"
fi
grep -q 'image.repository is required' "$d/err" || fail "without image.repository: $(cat "$d/err")"
if $helm template webhookd "$chart" $kube $img --set codec.enabled=true > /dev/null 2> "$d/err"; then
  fail "rendered with codec.enabled and no codec.authTokenSecret.name"
fi
grep -q 'codec.authTokenSecret.name is required with codec.enabled' "$d/err" || fail "codec without a token: $(cat "$d/err")"

echo "$chart: lint and template pass (default and production values); NetworkPolicy, PDB eviction policy, job deadlines, codec token, ServiceMonitor only with its CRD, and the image and codec failures checked"
