#!/bin/sh
# tce-run --stats end to end: stats-client's every count is known (see its
# header), and the report must say exactly those numbers, on powernv and
# pseries, on stderr with --stats and in the file with --log (then nothing
# on stderr). Prints TAP.
# Usage: test-stats.sh TCE_RUN_SH TCE_RUN STATS_CLIENT
set -u
wrap=$1
run=$2
client=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
result() { # result OK|FAIL name [detail]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		failed=$((failed + 1)); echo "not ok $n - $2"; [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
echo "1..6"

# The report's lines for stats-client, each exactly once (spaces squeezed).
want='tce-run: ioctls 20, 3 refused
tce-run: SET_IOMMU 1
tce-run: MAP_DMA 3
tce-run: UNMAP_DMA 5, 1 refused (EINVAL)
tce-run: SPAPR_REGISTER_MEMORY 1
tce-run: SPAPR_TCE_CREATE 3, 1 refused (ENOSPC)
tce-run: SPAPR_TCE_REMOVE 1
tce-run: EEH_PE_OP 1
tce-run: GROUP_SET_CONTAINER 1
tce-run: GROUP_GET_DEVICE_FD 1
tce-run: DEVICE_GET_REGION_INFO 2
tce-run: (other requests) 1, 1 refused (ENOTTY)
tce-run: TCEs 1024 mapped, 1024 unmapped, peak 768
tce-run: faults 0 DMA, 1 MMIO
tce-run: EEH ops 2
tce-run: BAR maps 1'
dma='^tce-run: DMA bytes 24 KiB read, 24 KiB written by the devices, [0-9.]* MB/s$'
# check FILE: every wanted line once, the DMA line, and no other request line.
check() {
	tr -s ' ' <"$1" >"$1.sq"
	printf '%s\n' "$want" | while IFS= read -r l; do
		[ "$(grep -cFx -- "$l" "$1.sq")" = 1 ] || { echo "missing: $l"; return 1; }
	done || return 1
	grep -q -- "$dma" "$1.sq" || { echo "missing: the DMA line"; return 1; }
	[ "$(grep -c '^tce-run:     [^ ]' "$1")" = 11 ] || { echo "other request lines"; return 1; }
	grep -q '^tce-run: stats of pid [0-9]* over [0-9.]* s$' "$1.sq"
}

for m in powernv pseries; do
	timeout 120 "$wrap" "$run" --stats --machine $m "$client" >"$tmp/out" 2>"$tmp/err"; rc=$?
	if [ $rc -eq 0 ] && grep -qx 'stats-client: ok' "$tmp/out"; then result OK "$m: the client runs"
	else result FAIL "$m: the client runs" "rc $rc: $(cat "$tmp/out" "$tmp/err")"; fi
	why=$(check "$tmp/err")
	if [ $? -eq 0 ]; then result OK "$m: --stats reports the known counts"
	else result FAIL "$m: --stats reports the known counts" "$why
$(cat "$tmp/err")"; fi
done

timeout 120 "$wrap" "$run" --log "$tmp/log" "$client" >"$tmp/out" 2>"$tmp/err"; rc=$?
why=$(check "$tmp/log"); ok=$?
if [ $rc -eq 0 ] && [ $ok -eq 0 ]; then result OK "--log: the report in the file"
else result FAIL "--log: the report in the file" "rc $rc: $why
$(cat "$tmp/log" 2>/dev/null)"; fi
if ! grep -q '^tce-run:' "$tmp/err"; then result OK "--log without --stats: nothing on stderr"
else result FAIL "--log without --stats: nothing on stderr" "$(cat "$tmp/err")"; fi
[ $failed -eq 0 ]
