#!/usr/bin/env bash
# gotest.sh JOBS MODULE... — `go test $GOTESTFLAGS ./...` in every module,
# JOBS modules at a time. Each module's output is kept apart and printed
# whole when the module ends, under "== test MODULE", so parallel runs do not
# interleave. Modules start in the order given: list the slow ones first.
# Exits 1 naming the modules that failed.
set -uo pipefail
jobs=$1
shift
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {
	local m=$1 f
	f=$out/$(printf '%s' "$m" | tr '/.' '__').log
	local start=$SECONDS
	if (cd "$m" && go test ${GOTESTFLAGS:-} ./...) >"$f" 2>&1; then
		echo ok >"$f.rc"
	else
		echo fail >"$f.rc"
	fi
	# One module's block at a time on stdout.
	flock "$out/print.lock" bash -c 'echo "== test $1 ($2 s)"; cat "$3"' _ "$m" "$((SECONDS - start))" "$f"
}
export -f run
export out
printf '%s\n' "$@" | xargs -P "$jobs" -I{} bash -c 'run "$1"' _ {}
failed=""
for m in "$@"; do
	f=$out/$(printf '%s' "$m" | tr '/.' '__').log
	[[ $(cat "$f.rc" 2>/dev/null) == ok ]] || failed="$failed $m"
done
if [[ -n $failed ]]; then
	echo "FAILED modules:$failed"
	exit 1
fi
