#!/bin/sh
# tcectl end to end: the demo passes every check on both platforms (its JSON
# summary says so), `tcectl machine` prints the built-in machines and refuses
# malformed or missing device trees with a clear message, and loads a .dts
# (tcectl runs dtc, the library reads only blobs). Prints TAP.
# Usage: test-tcectl.sh TCECTL SOURCE_DIR
set -u
tcectl=$1
src=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
result() { # result OK|FAIL name [detail]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		failed=$((failed + 1)); echo "not ok $n - $2"; [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
echo "1..10"

out=$("$tcectl" demo --json 2>&1); rc=$?
last=$(printf '%s\n' "$out" | tail -1)
case "$rc:$last" in
0:*'"demo":"ok"'*'"failed":0'*) result OK "demo --json: every check passed" ;;
*) result FAIL "demo --json: every check passed" "$out" ;;
esac

out=$("$tcectl" demo 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '55 checks, 0 failed' &&
	printf '%s' "$out" | grep -q 'ok   (5) the device copied between two malloc.ed buffers of this process'; then
	result OK "demo: readable report";
else result FAIL "demo: readable report" "$out"; fi

out=$("$tcectl" machine 2>&1)
# Three PEs: dma-test, the VF, the I/OAT channel with its own default window.
if printf '%s' "$out" | grep -q 'PE 1: 1 window slot (SR-IOV VF)' && printf '%s' "$out" | grep -q 'LIOBN 0x80000000' &&
	printf '%s' "$out" | grep -q 'PE 2: 2 window slots, default window 2048 MiB' &&
	printf '%s' "$out" | grep -q 'LIOBN 0x80000200' &&
	printf '%s' "$out" | grep -q '0000:00:03.0: PE 2, id 8086:0b00 (I/OAT DMA channel)' &&
	! printf '%s' "$out" | grep -q '0000:00:04.0'; then
	result OK "machine: the built-in pseries machine"; else result FAIL "machine: the built-in pseries machine" "$out"; fi

out=$("$tcectl" machine --platform powernv --json 2>&1)
if printf '%s' "$out" | grep -q '"platform":"powernv"' &&
	printf '%s' "$out" | grep -q '{"pe":2,"slots":2,"frozen":false,"faults":0,"recovered":0,' &&
	printf '%s' "$out" | grep -q '{"device":"0000:00:03.0","pe":2,"id":"8086:0b00"}]}$'; then
	result OK "machine --json: powernv";
else result FAIL "machine --json: powernv" "$out"; fi

printf '/dts-v1/;\n/ { compatible = "libtce,pseries"; };\n' > "$tmp/bad.dts"
out=$("$tcectl" machine --dts "$tmp/bad.dts" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'device tree: /: memory:'; then result OK "machine: a malformed tree is named";
else result FAIL "machine: a malformed tree is named" "$out"; fi

printf 'not a device tree {' > "$tmp/junk.dts"
out=$("$tcectl" machine --dts "$tmp/junk.dts" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'dtc could not compile it'; then result OK "machine: a .dts dtc rejects";
else result FAIL "machine: a .dts dtc rejects" "$out"; fi

out=$("$tcectl" machine --dts "$tmp/missing.dts" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'ENOENT'; then result OK "machine: a missing file";
else result FAIL "machine: a missing file" "$out"; fi
out=$("$tcectl" machine --dts "$src/src/hw/machines/powernv.dts" --json 2>&1); rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q '"platform":"powernv"'; then result OK "machine --dts: dtc compiles the built-in source";
else result FAIL "machine --dts: dtc compiles the built-in source" "$out"; fi

out=$("$tcectl" machine --dtb "$tmp" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'EISDIR'; then result OK "machine --dtb: a directory is EISDIR";
else result FAIL "machine --dtb: a directory is EISDIR" "$out"; fi

out=$("$tcectl" machine --dtb "$src/src/hw/machines/pseries.dts" 2>&1); rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q 'EINVAL'; then result OK "machine --dtb: a .dts given as a blob is refused";
else result FAIL "machine --dtb: a .dts given as a blob is refused" "$out"; fi
[ "$failed" -eq 0 ]
