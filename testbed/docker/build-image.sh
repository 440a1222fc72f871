#!/bin/sh
# Builds the faasmesh daemon image, the one `faasmesh testbed compose` projects run.
#
#   testbed/docker/build-image.sh [--local | --registry] [IMAGE]     (IMAGE default faasmesh:latest)
#
# --registry: testbed/docker/Dockerfile, from node:20-bookworm-slim, `npm ci` and the build in
#   the image (needs an image registry and the npm registry).
# --local: no registry at all (root): the base image from make-base-image.sh (debootstrap from
#   apt's Debian mirror + this machine's node) with the tree already built in this checkout
#   (`npm ci` has run; `npm run build` after any change) added, production dependencies only,
#   as one layer made by `docker import`. The checkout itself is not changed: the pruning
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
  # One layer, no builder: with the vfs storage driver (all this machine has) every Dockerfile
  # instruction, even ENV, creates a container, which copies the whole filesystem; that made
  # the build take 3.6 to 7 minutes. Instead the base's filesystem (one layer: make-base-image.sh
  # imports it) is taken out with `docker save`, the staged tree appended, and the whole
  # imported with the runtime stage of testbed/docker/Dockerfile as --change instructions.
  [ "$(docker image inspect -f '{{len .RootFS.Layers}}' "$base")" = 1 ] || fail "$base has more than one layer: make it again with make-base-image.sh --force"
  say "extracting the filesystem of $base"
  docker save "$base" | tar -C "$ctx" -x --wildcards '*/layer.tar' || fail "docker save $base failed"
  mv "$ctx"/*/layer.tar "$ctx/image.tar"
  say "appending the staged tree ($(du -sm "$ctx/tree" | cut -f1) MB)"
  # owned by root as a Dockerfile COPY would make them, /data by the node user (uid 1000)
  tar -C "$ctx/tree" -r -f "$ctx/image.tar" --numeric-owner --owner=0 --group=0 app usr/local/bin/faasmesh-entrypoint
  tar -C "$ctx" -r -f "$ctx/image.tar" --numeric-owner --owner=1000 --group=1000 --no-recursion data
  say "docker import as $image"
  # keep in step with the runtime stage of testbed/docker/Dockerfile (the base's PATH is not
  # inherited: an imported image starts with no configuration)
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV FAASMESH_DATA_DIR=/data FAASMESH_API_LISTEN=0.0.0.0:8787 FAASMESH_LIBP2P_LISTEN=/ip4/0.0.0.0/tcp/4001' \
    --change 'WORKDIR /app' \
    --change 'EXPOSE 8787 4001' \
    --change 'VOLUME /data' \
    --change 'USER node' \
    --change 'HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 CMD timeout -s KILL 5 node -e "fetch('"'"'http://127.0.0.1:8787/v1/health'"'"', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"' \
    --change 'ENTRYPOINT ["faasmesh-entrypoint"]' \
    --change 'CMD ["daemon"]' \
    --message "faasmesh from $repo on $base" "$ctx/image.tar" "$image" >/dev/null
fi
say "built $image, $(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }')"
