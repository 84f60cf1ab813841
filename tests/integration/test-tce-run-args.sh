#!/bin/sh
# tce-run's own arguments and machine: every error is one line on stderr
# starting "tce-run:" and a non-zero exit, before the program runs (no
# argument, an unknown option, an option without its value, a missing,
# garbage or malformed machine file, a program that does not exist);
# --help is usage on stdout and exit 0; a machine given as .dts or .dtb
# runs; the program's exit status is tce-run's. Prints TAP.
# Usage: test-tce-run-args.sh TCE_RUN_SH TCE_RUN SOURCE_DIR
set -u
wrap=$1
tce_run=$2
src=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
result() { # result 0|1 name [detail]
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
# refused NAME PATTERN ARGS...: non-zero exit, nothing on stdout, one stderr line matching.
refused() {
	name=$1 pat=$2
	shift 2
	"$wrap" "$tce_run" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/out" ] &&
		grep -q "^tce-run: .*$pat" "$tmp/err"; then
		result 0 "$name"
	else
		result 1 "$name" "exit $rc, $lines stderr lines:
$(cat "$tmp/err" "$tmp/out")"
	fi
}
echo "1..16"
refused "no program" "no program"
refused "unknown option" "unknown option '--bogus'" --bogus true
refused "--machine without its value" "--machine needs a value" --machine
refused "--log without its value" "--log needs a value" --log
refused "a machine file that does not exist" "machine $tmp/none.dtb" --machine "$tmp/none.dtb" true
head -c 4096 /dev/urandom >"$tmp/garbage.dtb"
refused "a machine file of garbage" "machine $tmp/garbage.dtb" --machine "$tmp/garbage.dtb" true
printf '/dts-v1/;\n/ { compatible = "libtce,pseries"; };\n' >"$tmp/empty.dts"
refused "a .dts machine without PHBs" "machine $tmp/empty.dts" --machine "$tmp/empty.dts" true
printf 'not a device tree {' >"$tmp/junk.dts"
"$wrap" "$tce_run" --machine "$tmp/junk.dts" true >"$tmp/out" 2>"$tmp/err"; rc=$?
lines=$(wc -l <"$tmp/err")
if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -q "^tce-run: machine $tmp/junk.dts" "$tmp/err"; then
	result 0 "a .dts that does not compile"
else result 1 "a .dts that does not compile" "exit $rc, $lines stderr lines:
$(cat "$tmp/err")"; fi
refused "a program that does not exist" "$tmp/nonesuch" "$tmp/nonesuch"

out=$("$wrap" "$tce_run" --help 2>"$tmp/err"); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '^usage: tce-run' && [ ! -s "$tmp/err" ]; then
	result 0 "--help: usage on stdout, exit 0"
else result 1 "--help: usage on stdout, exit 0" "$out"; fi

"$wrap" "$tce_run" -- sh -c 'exit 3' 2>"$tmp/err"; rc=$?
if [ $rc -eq 3 ]; then result 0 "the program's exit status is tce-run's"
else result 1 "the program's exit status is tce-run's" "exit $rc $(cat "$tmp/err")"; fi

# The program sees the emulated nodes (a shell's test -c goes through stat).
"$wrap" "$tce_run" --machine pseries sh -c 'test -c /dev/vfio/vfio && test -d /sys/kernel/iommu_groups/0/devices' 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ]; then result 0 "a shell under tce-run sees /dev/vfio/vfio and the iommu groups"
else result 1 "a shell under tce-run sees /dev/vfio/vfio and the iommu groups" "exit $rc $(cat "$tmp/err")"; fi

if command -v dtc >/dev/null; then
	for m in powernv pseries; do
		if "$wrap" "$tce_run" --machine "$src/src/hw/machines/$m.dts" -- sh -c 'test -c /dev/vfio/0' 2>"$tmp/err"; then
			result 0 "a .dts machine ($m.dts) runs"
		else result 1 "a .dts machine ($m.dts) runs" "$(cat "$tmp/err")"; fi
	done
else
	echo "ok $((n + 1)) - a .dts machine runs # SKIP dtc is not installed"
	echo "ok $((n + 2)) - a .dts machine runs # SKIP dtc is not installed"
	n=$((n + 2))
fi

# A program killed before its exit handlers leaves its testbed; the next
# program under tce-run removes it, and its own goes when it exits.
mkdir "$tmp/tb"
TMPDIR="$tmp/tb" "$wrap" "$tce_run" --machine pseries -- \
	sh -c 'test -c /dev/vfio/0 && kill -KILL $$' 2>/dev/null
left=$(ls "$tmp/tb")
TMPDIR="$tmp/tb" "$wrap" "$tce_run" --machine pseries -- sh -c 'test -c /dev/vfio/0' 2>"$tmp/err"
case $left in
tce-run.[0-9]*.??????) [ ! -e "$tmp/tb/$left" ]; result $? "a killed program's testbed is removed by the next run" "left: $left, now: $(ls "$tmp/tb")" ;;
*) result 1 "a killed program's testbed is removed by the next run" "the killed program left: '$left'" ;;
esac
mkdir "$tmp/tb2"
TMPDIR="$tmp/tb2" "$wrap" "$tce_run" --machine pseries -- \
	sh -c 'test -c /dev/vfio/0; sleep 3' 2>/dev/null &
bg=$!
sleep 1
live=$(ls "$tmp/tb2")
TMPDIR="$tmp/tb2" "$wrap" "$tce_run" --machine pseries -- sh -c 'test -c /dev/vfio/0' 2>/dev/null
[ -n "$live" ] && [ -d "$tmp/tb2/$live" ]
result $? "a running program's testbed is kept by the next run" "before: '$live', after: $(ls "$tmp/tb2")"
wait $bg
