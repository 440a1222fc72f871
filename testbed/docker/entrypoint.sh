#!/bin/sh
# Starts the daemon. Started as root (a testbed's compose file asks for it), it first installs
# the node's link shaping with tc netem when /shape/shape.sh exists and the kernel and the
# NET_ADMIN capability allow it (leaving /data/netem-active so the testbed does not shape twice),
# then drops to the `node` user. Started as `node`, it just runs the daemon (or any other faasmesh
# command: `token create --scope admin` makes the gateway token the daemon needs on 0.0.0.0).
set -eu
if [ "$(id -u)" = "0" ]; then
  rm -f /data/netem-active
  if [ -x /shape/shape.sh ] && /shape/shape.sh >/tmp/shape.log 2>&1; then
    touch /data/netem-active
  else
    echo "tc netem unavailable; the testbed will use the daemon's link shaper" >&2
  fi
  chown -R node:node /data
  exec setpriv --reuid=node --regid=node --init-groups node /app/bin/faasmesh.js "$@"
fi
exec node /app/bin/faasmesh.js "$@"
