#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench-instr.sh: instructions per operation of every single-thread B1
# variant of `tce-bench alloc` (spec performance.md §6.1 item 6, §6.4 B1).
# tce-bench --callgrind runs each 1-page alloc+free loop once after a warm-up
# with a small op count; callgrind (started with --instr-atstart=no) counts
# only between CALLGRIND_START/STOP_INSTRUMENTATION around each loop and
# dumps one part per loop, labelled with the loop. Counts are deterministic,
# so CI may gate on them (+-3 %); wall time under valgrind means nothing.
# The HARNESS row is the benchmark loop and its ops-table calls with an
# allocator that does nothing; "net" is a variant's count minus it, the
# allocator's own path, which the targets (issue 12 G1) are judged on.
#
# Usage: tools/bench/bench-instr.sh [path/to/tce-bench]
#   default binary: build/tools/bench/tce-bench (relative to the repository)
#   BENCH_INSTR_TSV=file  also write "case<TAB>variant<TAB>instr_per_op" lines
# Exit: 0 on success, 1 if the run failed, 2 if valgrind or the binary is missing.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
bench=${1:-$root/build/tools/bench/tce-bench}

if ! command -v valgrind >/dev/null 2>&1; then
	echo "bench-instr: valgrind is not installed" >&2
	exit 2
fi
if [ ! -x "$bench" ]; then
	echo "bench-instr: $bench is not built (ninja -C build)" >&2
	exit 2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM

echo "bench-instr: callgrind over $bench alloc --callgrind (about a minute)" >&2
if ! valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg" \
	"$bench" alloc --callgrind >"$out/log" 2>&1; then
	tail -n 20 "$out/log" >&2
	echo "bench-instr: the run failed" >&2
	exit 1
fi

# The magazine pair's two halves, in a part of OURS-P16+MAG-mtx: the library's
# tce_pool_alloc() (the hit) and tce_pool_free() (the push), inclusive, per
# call ("<label> <hit> <push>"); the pair also counts the harness adapter's
# request set-up, which neither half holds.
halves() {
	ops=${2##*ops=}
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v l="$2" -v ops="$ops" '
		/:tce_pool_alloc / { gsub(",", "", $1); a = $1 }
		/:tce_pool_free / { gsub(",", "", $1); f = $1 }
		END { if (a && f) printf "%s %.1f %.1f\n", l, a / ops, f / ops }'
}
annotate=$(command -v callgrind_annotate || true)
[ -n "$annotate" ] ||
	echo "bench-instr: callgrind_annotate is not installed: the magazine pair's halves are not counted" >&2

# One line per dump part: "<label> <instructions>", in dump order.
n=1
: >"$out/halves"
while [ -f "$out/cg.$n" ]; do
	label=$(sed -n 's/^desc: Trigger: Client Request: //p' "$out/cg.$n")
	total=$(sed -n 's/^totals: //p' "$out/cg.$n")
	[ -n "$total" ] || total=$(sed -n 's/^summary: //p' "$out/cg.$n")
	[ -n "$label" ] && echo "$label $total"
	case "$label" in
	*/OURS-P16+MAG-mtx/ops=*) [ -z "$annotate" ] || halves "$out/cg.$n" "$label" >>"$out/halves" ;;
	esac
	n=$((n + 1))
done >"$out/parts"

if [ ! -s "$out/parts" ]; then
	echo "bench-instr: no labelled dumps; was tce-bench built with <valgrind/callgrind.h>?" >&2
	exit 1
fi

# The median of v[1..n], for both awk programs below.
median='
function median(v, n,   i, j, t) {
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
'

# Labels are b1/<size>/fill<pct>/<order>/<variant>/ops=<n>; the later dump of a
# label (the measured pass) replaces the warm-up's.
awk -v tsv="${BENCH_INSTR_TSV:-}" "$median"'
function target(var) {
	if (var ~ /^OURS-.*\+MAG/) return 60
	if (var ~ /^OURS-/) return 250
	return 0
}
{
	split($1, f, "/"); sub(/^ops=/, "", f[6])
	c = f[3] "/" f[4]; var = f[5]
	if (!(c in seen_case)) { seen_case[c] = 1; cases[++nc] = c }
	if (!(var in seen_var)) { seen_var[var] = 1; vars[++nv] = var }
	ipo[var, c] = $2 / f[6]
}
END {
	printf "instructions per 1-page alloc+free pair, size %s (callgrind, inside the loop only)\n", f[2]
	printf "%-19s", "variant"
	for (j = 1; j <= nc; j++) printf " %12s", cases[j]
	printf " %8s %8s %7s %s\n", "median", "net", "target", "met"
	for (i = 1; i <= nv; i++) {
		printf "%-19s", vars[i]
		for (j = 1; j <= nc; j++) {
			printf " %12.1f", ipo[vars[i], cases[j]]
			m[j] = ipo[vars[i], cases[j]]; n[j] = m[j] - ipo["HARNESS", cases[j]]
		}
		med = median(m, nc); net = median(n, nc); t = target(vars[i])
		if (t) printf " %8.1f %8.1f %7s %s\n", med, net, "<=" t, net <= t ? "yes" : "NO"
		else printf " %8.1f %8.1f %7s %s\n", med, net, "-", "-"
		if (tsv != "")
			for (j = 1; j <= nc; j++)
				printf "%s\t%s\t%.2f\n", cases[j], vars[i], ipo[vars[i], cases[j]] > tsv
	}
	print "net = median over the cases of (variant - HARNESS): the allocator path alone"
	print "targets (issue 12 G1, reported, never asserted): net locked path <= 250, magazine hit path <= 60"
}' "$out/parts"

# The halves' medians over the cases (the later dump of a label replaces the warm-up's).
awk "$median"'
{ split($1, f, "/"); c = f[3] "/" f[4]; hit[c] = $2; push[c] = $3 }
END {
	for (c in hit) { h[++n] = hit[c]; p[n] = push[c] }
	if (!n) exit
	printf "OURS-P16+MAG-mtx halves, median over %d cases: tce_pool_alloc (the hit) %.1f, ", n, median(h, n)
	printf "tce_pool_free (the push) %.1f instructions a call, inclusive\n", median(p, n)
}' "$out/halves"
