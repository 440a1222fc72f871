#!/bin/sh
# Makes the base image of `build-image.sh --local` on a machine that cannot pull from an
# image registry: a minimal Debian root filesystem made with debootstrap from the Debian mirror
# apt already uses, plus iproute2 (for tc), this machine's `node` binary and a `node` user
# (uid 1000, as in the official Node images), imported with `docker import`. Same Debian release
# as this machine, because the copied `node` is linked against this machine's glibc and libstdc++.
#
#   sudo testbed/docker/make-base-image.sh [--force] [--mirror URL] [IMAGE]
#
# IMAGE defaults to faasmesh/base:<codename>-node<major> (faasmesh/base:bookworm-node20 here).
# Does nothing when IMAGE exists already (--force makes it again). Needs root, debootstrap and a
# running Docker engine. Prints the image name as its last line.
set -eu

force=no
mirror=""
image=""
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=yes ;;
    --mirror) mirror="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "make-base-image: unknown option $1" >&2; exit 2 ;;
    *) image="$1" ;;
  esac
  shift
done

started=$(date +%s)
say () { echo "== base image: $* ($(( $(date +%s) - started )) s)"; }
fail () { echo "make-base-image: $*" >&2; exit 1; }

. /etc/os-release
suite="${VERSION_CODENAME:?/etc/os-release names no VERSION_CODENAME}"
node_bin=$(readlink -f "$(command -v node)") || fail "no node on PATH"
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
image="${image:-faasmesh/base:$suite-node$node_major}"

if [ "$force" = no ] && docker image inspect "$image" >/dev/null 2>&1; then
  say "$image exists, nothing to do"
  echo "$image"
  exit 0
fi
[ "$(id -u)" = 0 ] || fail "debootstrap needs root"
command -v debootstrap >/dev/null || fail "debootstrap is not installed (apt-get install debootstrap)"
docker info >/dev/null 2>&1 || fail "no Docker engine answers (start dockerd first)"

# The Debian mirror apt uses for $suite: the first enabled `deb` source listing exactly that suite
# (not -updates or -security), in one-line (sources.list, *.list) or deb822 (*.sources) form.
apt_mirror () {
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # one paragraph per source; fields may come in any order
    awk -v s="$suite" '
      function flush () { if (types ~ /(^| )deb( |$)/ && enabled != "no" && (" " suites " ") ~ (" " s " ") && uri != "") print uri; types = suites = uri = enabled = "" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      tolower($1) == "types:" { $1 = ""; types = $0 }
      tolower($1) == "suites:" { $1 = ""; suites = $0 }
      tolower($1) == "uris:" { uri = $2 }
      tolower($1) == "enabled:" { enabled = tolower($2) }
      END { flush() }' "$f"
  done
}
if [ -z "$mirror" ]; then
  mirror=$(apt_mirror | head -n 1)
  [ -n "$mirror" ] || fail "no deb source for $suite in /etc/apt/sources.list{,.d}: give one with --mirror URL"
fi

work=$(mktemp -d /var/tmp/faasmesh-base.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
rootfs="$work/rootfs"

say "debootstrap --variant=minbase --include=iproute2 $suite from $mirror"
debootstrap --variant=minbase --include=iproute2 "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; fail "debootstrap failed (log above)"; }

say "adding $node_bin (node $("$node_bin" --version)) and the node user"
install -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
chroot "$rootfs" /usr/local/bin/node --version >/dev/null || fail "the copied node does not run in the $suite root filesystem"
# by hand rather than useradd: minbase need not have passwd's tools, and the ids must be 1000
grep -q '^node:' "$rootfs/etc/group" || echo 'node:x:1000:' >>"$rootfs/etc/group"
grep -q '^node:' "$rootfs/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$rootfs/etc/passwd"
grep -q '^node:' "$rootfs/etc/shadow" || echo 'node:!:19000::::::' >>"$rootfs/etc/shadow"
mkdir -p "$rootfs/home/node" && chown 1000:1000 "$rootfs/home/node"

# nothing the image needs at run time: package caches and lists, documentation
rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*

say "docker import as $image"
tar -C "$rootfs" --numeric-owner -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  --message "debootstrap $suite from $mirror + node $("$node_bin" --version)" - "$image" >/dev/null
say "made $image, $(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }')"
echo "$image"
