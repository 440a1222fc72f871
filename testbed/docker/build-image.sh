#!/bin/sh
# Builds the faasmesh daemon image, the one `faasmesh testbed compose` projects run.
#
#   testbed/docker/build-image.sh [--local | --registry] [IMAGE]     (IMAGE default faasmesh:latest)
#
# --registry: testbed/docker/Dockerfile, from node:20-bookworm-slim, `npm ci` and the build in
#   the image (needs an image registry and the npm registry).
# --local: no registry at all (root): the base image from make-base-image.sh (debootstrap from
#   apt's Debian mirror + this machine's node), and the tree already built in this checkout
#   (`npm ci` has run; `npm run build` after any change) copied in with production dependencies
#   only, by testbed/docker/Dockerfile.local. The checkout itself is not changed: the pruning
#   happens in a staged copy.
# Neither: --registry when the node image can be had (present or pulled), else --local.
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd)
node_image=node:20-bookworm-slim
mode=""
image=faasmesh:latest
while [ $# -gt 0 ]; do
  case "$1" in
    --local) mode=local ;;
    --registry) mode=registry ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-image: unknown option $1" >&2; exit 2 ;;
    *) image="$1" ;;
  esac
  shift
done

started=$(date +%s)
say () { echo "== image: $* ($(( $(date +%s) - started )) s)"; }
fail () { echo "build-image: $*" >&2; exit 1; }
docker info >/dev/null 2>&1 || fail "no Docker engine answers (is dockerd running, and may this user use it?)"

if [ -z "$mode" ]; then
  if docker image inspect "$node_image" >/dev/null 2>&1 || docker pull -q "$node_image" >/dev/null 2>&1; then mode=registry; else mode=local; fi
  say "building from $([ "$mode" = registry ] && echo "$node_image" || echo "a local base image: $node_image cannot be pulled")"
fi

if [ "$mode" = registry ]; then
  docker build -f "$repo/testbed/docker/Dockerfile" -t "$image" "$repo"
else
  for part in dist/daemon/src build/fib.wasm node_modules bin/faasmesh.js; do
    [ -e "$repo/$part" ] || fail "$repo/$part is missing: run \`npm ci\` (or \`npm run build\`) in the checkout first"
  done
  base=$("$repo/testbed/docker/make-base-image.sh" | tail -n 1)
  ctx=$(mktemp -d /var/tmp/faasmesh-image.XXXXXX)
  trap 'rm -rf "$ctx"' EXIT INT TERM
  say "staging the built tree in $ctx"
  app="$ctx/tree/app"
  mkdir -p "$app" "$ctx/tree/usr/local/bin" "$ctx/data"
  cp "$repo/package.json" "$repo/package-lock.json" "$app/"
  cp -a "$repo/bin" "$repo/build" "$repo/node_modules" "$app/"
  # the compiled daemon, protocols and testbed, without tests and benchmarks
  tar -C "$repo" -c --exclude='dist/*/test' --exclude='dist/bench' dist | tar -C "$app" -x
  cp "$repo/testbed/docker/entrypoint.sh" "$ctx/tree/usr/local/bin/faasmesh-entrypoint"
  chmod 0755 "$ctx/tree/usr/local/bin/faasmesh-entrypoint"
  # what npm ci --omit=dev would leave, from what is installed: no registry needed
  (cd "$app" && npm prune --omit=dev --offline --no-audit --no-fund >"$ctx/prune.log" 2>&1) ||
    { cat "$ctx/prune.log" >&2; fail "npm prune --omit=dev failed in the staged copy"; }
  rm -f "$ctx/prune.log"
  say "docker build -f testbed/docker/Dockerfile.local --build-arg BASE_IMAGE=$base ($(du -sm "$ctx" | cut -f1) MB of context)"
  docker build -q -f "$repo/testbed/docker/Dockerfile.local" --build-arg "BASE_IMAGE=$base" -t "$image" "$ctx" >/dev/null
fi
say "built $image, $(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }')"
