#!/bin/sh
# The Docker CI stage (.ci/run runs it after the tests): the daemon image built on this machine
# with no image registry, and a 4-node `testbed compose` scenario (testbed/scenarios/docker-smoke.yaml)
# run end to end by its run.sh against a real Docker engine. Checks that every node joined the
# mesh, the workload completed with results collected, the kill, partition, heal and restart
# events were all applied, and that after `down` no container, network or volume of the project
# is left. Needs root and a built checkout (`npm ci`, `npm run build`).
#
#   testbed/docker/ci-stage.sh
#
# Installs docker.io, debootstrap and docker-compose (apt-get) when missing, and starts
# `dockerd --storage-driver=vfs` when no engine answers (stopped again at the end). The last line
# is `docker stage: passed` (exit 0), `docker stage: failed: <why>` (exit 1) or, when the stage
# cannot run here (not root, the packages cannot be installed, dockerd does not start),
# `docker stage: SKIPPED: <why>` (exit 0). Every step is bounded; the whole stage by
# FAASMESH_DOCKER_STAGE_BUDGET_S (default 690 s). The base image is kept between runs (it only
# changes with Debian and node); the daemon image is built from this tree every time.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
image=faasmesh:ci-stage
project=docker-smoke
scenario=testbed/scenarios/docker-smoke.yaml
started=$(date +%s)
deadline=$(( started + ${FAASMESH_DOCKER_STAGE_BUDGET_S:-690} ))
# kept for tearing down (down, stopping dockerd) when a step used up the budget
reserve_s=75

elapsed () { echo $(( $(date +%s) - started )); }
say () { echo "== docker stage: $* ($(elapsed) s)"; }
# a step's time limit: its own cap, or what is left of the budget when that is less
cap () { left=$(( deadline - reserve_s - $(date +%s) )); [ "$left" -lt "$1" ] && echo "$(( left > 1 ? left : 1 ))" || echo "$1"; }

result=""
work=""
dockerd_pid=""
finish () {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$work" ] && [ -x "$work/project/run.sh" ] && [ "${downed:-no}" = no ]; then
    timeout -k 10 90 "$work/project/run.sh" down >/dev/null 2>&1 || true
  fi
  if [ -n "$dockerd_pid" ]; then
    # containers, networks and volumes of the project are gone; images stay in /var/lib/docker
    kill -TERM "$dockerd_pid" 2>/dev/null
    i=0
    while kill -0 "$dockerd_pid" 2>/dev/null && [ "$i" -lt 30 ]; do sleep 1; i=$(( i + 1 )); done
    kill -KILL "$dockerd_pid" 2>/dev/null || true
    say "stopped the dockerd it started"
  fi
  [ -n "$result" ] || result="failed: stopped early (exit status $status)"
  if [ -n "$work" ]; then
    case "$result" in
      passed|SKIPPED*) rm -rf "$work" ;;
      *) echo "== docker stage: the project, its run's output and results are kept in $work" ;;
    esac
  fi
  echo "docker stage: $result"
  case "$result" in passed|SKIPPED*) exit 0 ;; *) exit 1 ;; esac
}
trap finish EXIT
trap 'result="failed: interrupted"; exit 130' INT TERM
skip () { result="SKIPPED: $*"; exit 0; }
fail () { result="failed: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "not root (the Docker engine with the vfs storage driver and debootstrap need root)"
for part in dist/daemon/src/index.js dist/testbed/src/cli.js build/fib.wasm node_modules bin/faasmesh.js; do
  [ -e "$part" ] || fail "$repo/$part is missing: run \`npm ci\` and \`npm run build\` first"
done

missing=""
command -v dockerd >/dev/null 2>&1 || missing="$missing docker.io"
command -v debootstrap >/dev/null 2>&1 || missing="$missing debootstrap"
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing="$missing docker-compose"
if [ -n "$missing" ]; then
  say "installing$missing"
  { timeout "$(cap 120)" apt-get update -qq && timeout "$(cap 300)" apt-get install -y -qq --no-install-recommends $missing; } >/dev/null 2>&1 ||
    skip "could not install$missing with apt-get"
fi

if docker info >/dev/null 2>&1; then
  say "using the Docker engine that answers ($(docker info -f '{{.Driver}}' 2>/dev/null) storage driver)"
else
  work=$(mktemp -d /var/tmp/faasmesh-docker-stage.XXXXXX)
  say "starting dockerd --storage-driver=vfs (log: $work/dockerd.log)"
  # its own pid file: one a killed dockerd left in /var/run must not stop this one
  dockerd --storage-driver=vfs --pidfile "$work/dockerd.pid" >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  i=0
  until docker info >/dev/null 2>&1; do
    if ! kill -0 "$dockerd_pid" 2>/dev/null || [ "$i" -ge 60 ]; then
      why=$(grep -iE 'level=(error|fatal)' "$work/dockerd.log" | tail -n 1 | sed 's/.*msg="\{0,1\}//; s/"\{0,1\}$//' | cut -c1-160)
      skip "dockerd did not start within 60 s${why:+: $why}"
    fi
    sleep 1; i=$(( i + 1 ))
  done
fi
[ -n "$work" ] || work=$(mktemp -d /var/tmp/faasmesh-docker-stage.XXXXXX)

t=$(date +%s)
say "base image (debootstrap, kept between runs)"
timeout -k 10 "$(cap 420)" testbed/docker/make-base-image.sh >"$work/base.log" 2>&1 ||
  { tail -n 20 "$work/base.log"; fail "the base image could not be made (make-base-image.sh)"; }
base_s=$(( $(date +%s) - t ))
t=$(date +%s)
say "image $image from this tree (build-image.sh --local)"
previous=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
timeout -k 10 "$(cap 300)" testbed/docker/build-image.sh --local "$image" >"$work/image.log" 2>&1 ||
  { tail -n 20 "$work/image.log"; fail "the image could not be built (build-image.sh --local)"; }
# the last run's image, untagged now: with vfs each one holds its whole filesystem
[ -z "$previous" ] || [ "$previous" = "$(docker image inspect -f '{{.Id}}' "$image")" ] || docker rmi "$previous" >/dev/null 2>&1 || true
image_s=$(( $(date +%s) - t ))
say "base image $base_s s, image $image_s s, $(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }')"

node bin/faasmesh.js testbed compose "$scenario" -o "$work/project" >"$work/compose.log" 2>&1 ||
  { cat "$work/compose.log"; fail "testbed compose $scenario failed"; }
labelled () { docker "$1" ls -q --filter "label=com.docker.compose.project=$project" 2>/dev/null; }
# what an earlier, interrupted stage may have left, so that what is left afterwards is this run's
timeout -k 10 90 "$work/project/run.sh" down >/dev/null 2>&1 || true
docker volume ls -q | sort >"$work/volumes.before"

say "run.sh: up, drive $scenario, down"
export FAASMESH_IMAGE="$image"
t=$(date +%s)
{ timeout -k 20 "$(cap 360)" "$work/project/run.sh"; echo $? >"$work/run.status"; } 2>&1 | tee "$work/run.log" | sed 's/^/   | /'
downed=yes
run_status=$(cat "$work/run.status" 2>/dev/null || echo 1)
run_s=$(( $(date +%s) - t ))

# the project after run.sh's own `down`
left=""
[ -z "$(docker ps -aq --filter "label=com.docker.compose.project=$project")" ] || left="$left containers"
[ -z "$(labelled network)$(docker network ls --format '{{.Name}}' | grep "^${project}_" || true)" ] || left="$left networks"
[ -z "$(labelled volume)$(docker volume ls -q | sort | comm -13 "$work/volumes.before" -)" ] || left="$left volumes"

[ "$run_status" = 0 ] || fail "run.sh exited with status $run_status after $run_s s"
# the run's own record: its output (the events it applied) and its results directory
why=$(node - "$work/project" "$work/run.log" <<'EOF'
const { readFileSync, existsSync } = require('node:fs')
const [dir, logFile] = process.argv.slice(2)
const log = readFileSync(logFile, 'utf8')
const scenario = JSON.parse(readFileSync(`${dir}/scenario.json`, 'utf8'))
const problems = []
// joined: the attached run waits until every node sees all the others before it deploys
const names = JSON.parse(readFileSync(`${dir}/mesh.json`, 'utf8')).nodes.map((n) => n.name)
const joined = existsSync(`${dir}/results/nodes.json`) ? JSON.parse(readFileSync(`${dir}/results/nodes.json`, 'utf8')) : []
if (!log.includes(`attached to ${names.length} nodes`) || joined.length !== names.length || !/^deployed /m.test(log)) problems.push(`not every node joined (${joined.length} of ${names.length} in results/nodes.json)`)
// results: the invocation records and the summary
const file = `${dir}/results/invocations.jsonl`
const records = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) : []
const ok = records.filter((r) => r.outcome === 'ok')
const executors = new Set(ok.map((r) => r.executor))
if (!existsSync(`${dir}/results/summary.csv`)) problems.push('no results/summary.csv')
if (ok.length === 0) problems.push(`no invocation succeeded (${records.length} records in results/invocations.jsonl)`)
// events: the line the driver prints once an event is applied, for every event of the scenario
const expected = scenario.events.map((e) =>
  'kill' in e ? `t=${e.at}s: killed ${e.kill}`
    : 'restart' in e ? `t=${e.at}s: restarted ${e.restart}`
      : 'partition' in e ? `t=${e.at}s: partitioned ${e.partition[0].join(',')} | ${e.partition[1].join(',')}`
        : `t=${e.at}s: healed`)
const lines = log.split('\n').map((l) => l.trim())
const missing = expected.filter((m) => !lines.includes(m))
const failed = lines.filter((l) => /^event at .* failed/.test(l))
if (missing.length > 0) problems.push(`events not applied: ${missing.join('; ')}`)
if (failed.length > 0) problems.push(failed.join('; '))
process.stderr.write(`== docker stage: ${names.length} nodes joined; ${records.length} sent, ${ok.length} ok, run on ${executors.size} nodes; ${expected.length - missing.length} of ${expected.length} events applied\n`)
process.stdout.write(problems.join('; '))
EOF
) || fail "the results could not be checked"
[ -z "$why" ] || fail "$why"
[ -z "$left" ] || fail "after down the project still has$left"
say "run.sh took $run_s s; after down no container, network or volume of $project is left"
result=passed
