#!/bin/sh
# The example clients under tce-run, as a user runs them: spapr-v2 and
# eeh-walk on powernv and pseries (VFIO v2), spapr-v1 and eeh-walk on the
# legacy machine (v1), each exiting 0 with every check of its account
# passed; eeh-walk's DMA error injection works on powernv and is refused
# with ERANGE by a pSeries hypervisor; spapr-v2 refuses the legacy machine
# (SET_IOMMU v2: EPERM) and spapr-v1 powernv; --stats reports at exit (the
# TCEs spapr-v2 maps and the bytes its device copies) and
# --log writes the report to its file; the Type1v2 client type1 runs under
# tce-run --type1 on powernv and pseries, and without --type1 exits 2 saying
# the host offers no Type1 (a POWER host). Prints TAP.
# Usage: test-examples.sh TCE_RUN_SH TCE_RUN EXAMPLES_DIR
set -u
wrap=$1
tce_run=$2
ex=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
result() { # result 0|1 name [detail]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
# run NAME MACHINE PROGRAM [GREP...]: exit 0, no FAIL line, and each pattern in the output;
# $run_opts (one option or none) goes to tce-run before --machine.
run_opts=
run() {
	name=$1 machine=$2 prog=$3
	shift 3
	out=$(timeout 120 "$wrap" "$tce_run" ${run_opts:+"$run_opts"} --machine "$machine" "$ex/$prog" 2>&1)
	rc=$?
	ok=0
	[ $rc -eq 0 ] || ok=1
	if printf '%s\n' "$out" | grep -q '^FAIL'; then ok=1; fi
	for pat in "$@"; do
		printf '%s\n' "$out" | grep -q -- "$pat" || ok=1
	done
	result $ok "$name" "exit $rc
$out"
}
echo "1..15"
run "spapr-v2 on powernv" powernv spapr-v2 'data verified' '^ok$'
run "spapr-v2 on pseries" pseries spapr-v2 'data verified' '^ok$'
run "spapr-v1 on legacy" legacy spapr-v1 'CMD copy of 32 KiB by DMA' 'DOORBELL copy of 32 KiB' '^ok (0 failed)'
run "eeh-walk on powernv (v2, DMA injection)" powernv eeh-walk 'sPAPR TCE v2' \
	'^ok    INJECT_ERR: a DMA read error' '^ok (0 failed)'
run "eeh-walk on pseries (v2, MMIO injection only)" pseries eeh-walk 'sPAPR TCE v2' \
	'ERANGE, this hypervisor injects MMIO errors only' '^ok (0 failed)'
run "eeh-walk on legacy (v1)" legacy eeh-walk 'sPAPR TCE v1' '^ok (0 failed)'

out=$(timeout 60 "$wrap" "$tce_run" --machine legacy "$ex/spapr-v2" 2>&1); rc=$?
case "$rc:$out" in
0:*) result 1 "spapr-v2 refused on legacy" "$out" ;;
*'SET_IOMMU: Operation not permitted'*) result 0 "spapr-v2 refused on legacy: SET_IOMMU(v2) EPERM" ;;
*) result 1 "spapr-v2 refused on legacy: SET_IOMMU(v2) EPERM" "$out" ;;
esac
out=$(timeout 60 "$wrap" "$tce_run" --machine powernv "$ex/spapr-v1" 2>&1); rc=$?
case "$rc:$out" in
0:*) result 1 "spapr-v1 refused on powernv" "$out" ;;
*'SET_IOMMU(v1)'*'Operation not permitted'*) result 0 "spapr-v1 refused on powernv: SET_IOMMU(v1) EPERM" ;;
*) result 1 "spapr-v1 refused on powernv: SET_IOMMU(v1) EPERM" "$out" ;;
esac

out=$(timeout 60 "$wrap" "$tce_run" --stats "$ex/spapr-v2" 2>&1); rc=$?
# spapr-v2 maps its 2 MiB buffer in 4 KiB pages (512 TCEs); the device copies 64 KiB, then
# 64 times 1 MiB for the throughput line: 65600 KiB each way.
sq=$(printf '%s\n' "$out" | tr -s ' ')
if [ $rc -eq 0 ] && printf '%s\n' "$sq" | grep -qx 'tce-run: ioctls 17, 0 refused' &&
	printf '%s\n' "$sq" | grep -qx 'tce-run: MAP_DMA 1' &&
	printf '%s\n' "$sq" | grep -qx 'tce-run: TCEs 512 mapped, 512 unmapped, peak 512' &&
	printf '%s\n' "$sq" | grep -q '^tce-run: DMA bytes 65600 KiB read, 65600 KiB written by the devices, [0-9.]* MB/s$' &&
	printf '%s\n' "$sq" | grep -qx 'tce-run: faults 0 DMA, 0 MMIO' &&
	printf '%s\n' "$sq" | grep -qx 'tce-run: BAR maps 1'; then
	result 0 "--stats: the report at exit (512 TCEs, 64 KiB + 64 MiB copied)"
else result 1 "--stats: the report at exit (512 TCEs, 64 KiB + 64 MiB copied)" "$out"; fi
out=$(timeout 60 "$wrap" "$tce_run" --log "$tmp/log" --machine pseries "$ex/spapr-v2" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'ioctls' "$tmp/log" 2>/dev/null && ! printf '%s\n' "$out" | grep -q '^tce-run:'; then
	result 0 "--log: the report in the file, nothing on stderr"
else result 1 "--log: the report in the file, nothing on stderr" "$out
$(cat "$tmp/log" 2>/dev/null)"; fi
out=$(timeout 60 "$wrap" "$tce_run" --explain --machine legacy "$ex/spapr-v1" 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q '^tce-run: .*ENOTTY\|^tce-run: .*Inappropriate ioctl'; then
	result 0 "--explain: the refused REGISTER_MEMORY explained on stderr"
else result 1 "--explain: the refused REGISTER_MEMORY explained on stderr" "$out"; fi
# Two device functions, two groups: the example takes its BDF argument.
out=$(timeout 60 "$wrap" "$tce_run" "$ex/spapr-v2" 0000:00:02.0 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s\n' "$out" | grep -q 'data verified'; then
	result 0 "spapr-v2 on the second function 0000:00:02.0"
else result 1 "spapr-v2 on the second function 0000:00:02.0" "$out"; fi

# The Type1v2 client: the capability chain it read, the IOVAs it chose, the copy, the unmaps.
run_opts=--type1
for m in powernv pseries; do
	run "type1 under tce-run --type1 on $m" $m type1 \
		'^IOMMU page sizes 0x[0-9a-f]* (smallest 4 KiB), [1-9][0-9]* IOVA range' \
		'^DMA mappings available: [1-9]' \
		'^dirty page tracking: page sizes 0x1000, bitmaps up to [1-9]' \
		'^IOVA \(as VA\|from the start of range\)' \
		'^device copied 64 KiB by DMA through the Type1 IOMMU: data verified$' \
		'^DMA through the Type1 IOMMU: [0-9.]* GB/s' \
		'^UNMAP_DMA of the destination: 1024 KiB unmapped$' \
		'^UNMAP_DMA(VFIO_DMA_UNMAP_FLAG_ALL): 1024 KiB unmapped$' '^ok$'
done
run_opts=
out=$(timeout 60 "$wrap" "$tce_run" "$ex/type1" 2>&1); rc=$?
if [ $rc -eq 2 ] && printf '%s\n' "$out" | grep -q 'offers no VFIO Type1 IOMMU' &&
	printf '%s\n' "$out" | grep -q 'tce-run --type1'; then
	result 0 "type1 without --type1: exit 2, the host offers no Type1"
else result 1 "type1 without --type1: exit 2, the host offers no Type1" "exit $rc
$out"; fi
