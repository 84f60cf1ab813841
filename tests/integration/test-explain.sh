#!/bin/sh
# tce-run --explain and --log end to end: explain-client makes three mistakes
# (MAP_DMA before SET_IOMMU, MAP_DMA in no window, a device DMA write into a
# READ-only mapping) and each must be explained on stderr with --explain,
# always in the --log file, and never on stderr without --explain; --stats
# counts the DMA fault and the EEH operation. Prints TAP.
# Usage: test-explain.sh TCE_RUN EXPLAIN_CLIENT
set -u
run=$1
client=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# An ASan build preloads an instrumented shim ahead of the runtime.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
export ASAN_OPTIONS
n=0 failed=0
result() { # result OK|FAIL name [detail]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		failed=$((failed + 1)); echo "not ok $n - $2"; [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
echo "1..6"

l1='MAP_DMA: EINVAL: no IOMMU type set on this container; VFIO_SET_IOMMU must follow GROUP_SET_CONTAINER'
l2='MAP_DMA: ENXIO: iova 0x1000000000 is in no DMA window; the only window is [0, 2 GiB) 4 KiB pages'
l3='DMA write fault at bus 0x200000: TCE allows READ only; PE 0 frozen (device 0000:00:01.0)'
has_all() { # has_all FILE PREFIX: every line, exactly, once
	for l in "$l1" "$l2" "$l3"; do
		[ "$(grep -cFx -- "$2$l" "$1")" = 1 ] || return 1
	done
}

"$run" --explain --log "$tmp/log" "$client" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && grep -qx 'explain-client: ok' "$tmp/out"; then result OK "the client gets the errnos it expects"
else result FAIL "the client gets the errnos it expects" "rc $rc: $(cat "$tmp/out" "$tmp/err")"; fi
if has_all "$tmp/err" 'tce-run: '; then result OK "--explain: each refusal and the fault on stderr"
else result FAIL "--explain: each refusal and the fault on stderr" "$(cat "$tmp/err")"; fi
# counts FILE: the report's counts of explain-client (spaces squeezed).
counts() {
	tr -s ' ' <"$1" >"$1.sq"
	for l in 'tce-run: ioctls 10, 2 refused' 'tce-run: MAP_DMA 3, 2 refused (ENXIO 1, EINVAL 1)' \
		'tce-run: TCEs 512 mapped, 0 unmapped, peak 512' 'tce-run: faults 1 DMA, 0 MMIO' \
		'tce-run: EEH ops 1'; do
		grep -qFx -- "$l" "$1.sq" || return 1
	done
	grep -q '^tce-run: DMA bytes 4 KiB read, 0 bytes written by the devices' "$1.sq"
}
if has_all "$tmp/log" '' && counts "$tmp/log"; then
	result OK "--log: the same lines and the counts"
else result FAIL "--log: the same lines and the counts" "$(cat "$tmp/log")"; fi

"$run" --log "$tmp/log2" "$client" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && ! grep -q 'MAP_DMA\|fault' "$tmp/err"; then result OK "without --explain: stderr stays quiet"
else result FAIL "without --explain: stderr stays quiet" "rc $rc: $(cat "$tmp/err")"; fi
if has_all "$tmp/log2" ''; then result OK "--log alone still explains"
else result FAIL "--log alone still explains" "$(cat "$tmp/log2")"; fi

"$run" --stats "$client" >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ] && counts "$tmp/err" &&
	! grep -q 'MAP_DMA: ' "$tmp/err"; then result OK "--stats: the fault and the EEH operation counted"
else result FAIL "--stats: the fault and the EEH operation counted" "rc $rc: $(cat "$tmp/err")"; fi
[ $failed -eq 0 ]
