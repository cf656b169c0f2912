#!/usr/bin/env bash
# Instructions per request of a whole server (uvicorn + app) under callgrind, driven by wrk:
# a figure the machine's load cannot move (docs/performance.md, "Instructions per request").
#
#   benchmarks/callgrind.sh mock|mocklog|bare [PORT] [SECONDS]     (ROWS="get_one list patch post")
#
# Starts the server under `valgrind --tool=callgrind --instr-atstart=no` on 127.0.0.1:PORT, and per
# row: 3 s of unrecorded warm-up, counters zeroed, counting on, wrk with 1 connection for SECONDS
# (default 40), counting off, a dump; prints instructions per completed request. Counts user-space
# instructions only (not the kernel's socket work), and valgrind counts `rep movsb` per byte, so
# large copies look dearer than they are. Needs valgrind and wrk (Debian packages). Slow: a server
# under callgrind answers a few dozen requests per second.
set -euo pipefail
kind=${1:?mock, mocklog or bare}
port=${2:-47390}
seconds=${3:-40}
rows=${ROWS:-get_one list patch post}
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
work=$(mktemp -d /tmp/callgrind-XXXXXX)
export PYTHONPATH=$root PYTHONHASHSEED=0
token=dev-token-org-a
contacts=/api/v1/crm/contacts
one=$contacts/cont_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
case $kind in
  mock) cmd=("$python" -m mock_server --generate 20 --log-level warning) ;;
  mocklog) cmd=("$python" -m mock_server --generate 20 --log-level info) ;;
  bare)
    "$python" -c "import json, sys; from benchmarks.run import capture_bodies; \
sys.stdout.write(json.dumps(capture_bodies(), ensure_ascii=False))" > "$work/bodies.json"
    cmd=("$python" -m benchmarks.bare_app --bodies "$work/bodies.json" --log-level warning) ;;
  *) echo "unknown server kind: $kind" >&2; exit 2 ;;
esac
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.%p" \
  "${cmd[@]}" --host 127.0.0.1 --port "$port" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  curl -s -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port$contacts" && break
  sleep 1
done
for row in $rows; do
  case $row in
    get_one) script=get.lua; target=$one ;;
    list) script=get.lua; target="$contacts?limit=50" ;;
    patch) script=patch.lua; target=$one ;;
    post) script=post.lua; target=$contacts ;;
    *) echo "unknown row: $row" >&2; exit 2 ;;
  esac
  run=(wrk -t1 -c1 --timeout 60s -s "$root/benchmarks/lua/$script" "http://127.0.0.1:$port$target")
  "${run[@]}" -d3s -- "$token" > /dev/null 2>&1
  callgrind_control -z "$server" > /dev/null 2>&1
  callgrind_control -i on "$server" > /dev/null 2>&1
  requests=$("${run[@]}" -d"${seconds}s" -- "$token" 2>&1 | grep -o '[0-9]* requests in' | awk '{print $1}')
  callgrind_control -i off "$server" > /dev/null 2>&1
  callgrind_control -d "$row" "$server" > /dev/null 2>&1
  dump=$(ls -t "$work"/cg."$server"* | head -1)
  total=$(grep -E '^totals:' "$dump" | awk '{print $2}')
  echo "$kind $row: $requests requests, $((total / requests)) instructions per request"
done
