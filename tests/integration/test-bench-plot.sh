#!/bin/sh
# tce-bench --plot end to end: a --quick --json run of the default
# subcommands writes every chart's .dat and .gp, gnuplot draws a valid PNG
# and SVG of each, the .dat files hold the variants under the names the rows
# use and the medians those rows printed, goals.dat the run's goal rows.
# Without gnuplot in PATH the data is still written and one line says why
# the images were not. Prints TAP.
# Usage: test-bench-plot.sh TCE_BENCH
set -u
bench=$1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0
result() { # result OK|FAIL name [detail]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		echo "not ok $n - $2"; [ -n "${3:-}" ] && printf '%s\n' "$3" | sed 's/^/# /'
	fi
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
charts='alloc-threads-mtx alloc-threads-spin translate clear map-dma'
echo "1..13"

out=$tmp/plot
timeout 280 "$bench" --quick --json --plot "$out" >"$tmp/rows" 2>"$tmp/err"; rc=$?
if [ $rc -eq 0 ]; then result OK "--quick --plot runs table, alloc, hv, shim"
else result FAIL "--quick --plot runs table, alloc, hv, shim" "rc $rc: $(cat "$tmp/err")"; fi

missing=
for c in $charts; do
	for e in dat gp; do [ -s "$out/$c.$e" ] || missing="$missing $c.$e"; done
done
[ -s "$out/goals.dat" ] || missing="$missing goals.dat"
if [ -z "$missing" ]; then result OK "every chart's .dat and .gp, and goals.dat"
else result FAIL "every chart's .dat and .gp, and goals.dat" "missing:$missing"; fi

# has_variants FILE V...: each V is the variant column (5th) of a line of FILE.
has_variants() {
	f=$1; shift
	for v in "$@"; do
		awk -v v="$v" '$1 !~ /^#/ && $5 == v { found = 1 } END { exit !found }' "$f" ||
			{ echo "$f: no $v"; return 1; }
	done
}
check_variants() { # name file variants...
	name=$1; shift
	why=$(has_variants "$@")
	if [ $? -eq 0 ]; then result OK "$name"; else result FAIL "$name" "$why"; fi
}
check_variants "alloc-threads-mtx.dat: the library and its baselines" "$out/alloc-threads-mtx.dat" \
	FLOOR BL-ONELOCK-mtx BL-TREE-mtx BL-TREE+MAG-mtx OURS-P4-mtx OURS-P16-mtx OURS-P16+MAG-mtx
check_variants "alloc-threads-spin.dat: the library and its baselines" "$out/alloc-threads-spin.dat" \
	BL-ONELOCK-spin BL-TREE-spin BL-TREE+MAG-spin OURS-P16-spin
check_variants "translate.dat: levels, orders, device DMA hit and miss" "$out/translate.dat" \
	FLOOR-seq FLOOR-random OURS-L1-random OURS-L2-random OURS-L3-seq OURS-dma8-hit OURS-dma8-miss
check_variants "clear.dat: sparse and dense clears, H_STUFF_TCE" "$out/clear.dat" \
	OURS-sparse OURS-1pct OURS-100pct FLOOR-memset-100pct OURS-sparse-teardown OURS-STUFF-sparse
check_variants "map-dma.dat: v2 and Type1, library and shim, 1/64/512 pages" "$out/map-dma.dat" \
	LIB-1 LIB-64 LIB-512 SHIM-1 SHIM-512 T1-LIB-512 T1-SHIM-1 T1-SHIM-512

# The plotted median is the row's: LIB-512 in ns/page, OURS-P16-mtx at 2 threads
# on disjoint pools as 1000/ns (Mops/s). JSON medians have 4 decimals.
json_median() { # bench variant extra-pattern
	grep "\"bench\":\"$1\",\"variant\":\"$2\"" "$tmp/rows" | grep -e "$3" | head -1 |
		sed 's/.*"ns_per_op":\([0-9.]*\).*/\1/'
}
lib=$(json_median vfio.shim.map LIB-512 '"pages_per_call":512')
p16=$(json_median alloc.b2 OURS-P16-mtx '"threads":2,"mode":"pairs","pools":"disjoint"')
why=$(awk -v lib="$lib" -v p16="$p16" '
	function near(a, b) { return a > 0 && b > 0 && (a - b) / b < 1e-3 && (b - a) / b < 1e-3 }
	FILENAME ~ /map-dma/ && $5 == "LIB-512" && $1 == 512 { okl = near($2, lib) }
	FILENAME ~ /alloc/ && $5 == "OURS-P16-mtx" && $1 == 2 && near($2, 1000 / p16) { okp = 1 }
	END { if (!okl) print "LIB-512: plotted median is not the row'\''s " lib;
	      if (!okp) print "OURS-P16-mtx 2T: no plotted 1000/" p16 }' \
	"$out/map-dma.dat" "$out/alloc-threads-mtx.dat")
if [ -n "$lib" ] && [ -n "$p16" ] && [ -z "$why" ]; then result OK "the .dat medians are the rows' medians"
else result FAIL "the .dat medians are the rows' medians" "lib=$lib p16=$p16 $why"; fi

goals=$(grep -c '"goal_id":"G' "$tmp/rows")
listed=$(grep -vc '^#' "$out/goals.dat")
if [ "$goals" -gt 0 ] && [ "$goals" = "$listed" ]; then result OK "goals.dat lists the $goals goal rows"
else result FAIL "goals.dat lists the goal rows" "JSON $goals, goals.dat $listed"; fi

if grep -q 'CPUs, load [0-9.]* [0-9.]* [0-9.]* at start, 20[0-9][0-9]-' "$out/translate.gp"
then result OK "titles say the machine, its load and the date"
else result FAIL "titles say the machine, its load and the date" "$(grep title "$out/translate.gp")"; fi

if command -v gnuplot >/dev/null 2>&1; then
	bad=
	for c in $charts; do
		[ "$(head -c 8 "$out/$c.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
			bad="$bad $c.png"
		grep -q '<svg' "$out/$c.svg" 2>/dev/null || bad="$bad $c.svg"
	done
	if [ -z "$bad" ]; then result OK "gnuplot drew a PNG and an SVG of every chart"
	else result FAIL "gnuplot drew a PNG and an SVG of every chart" "not valid:$bad"; fi
else
	skip "gnuplot drew a PNG and an SVG of every chart" "gnuplot is not in PATH"
fi

# Without gnuplot: the data and scripts, one line saying why, exit 0.
out2=$tmp/nognuplot
timeout 120 env PATH=/nonexistent "$bench" --quick --plot "$out2" table >/dev/null 2>"$tmp/err2"; rc=$?
if [ $rc -eq 0 ] && grep -q '^tce-bench: --plot: images not drawn: gnuplot is not in PATH' "$tmp/err2" &&
   [ -s "$out2/clear.dat" ] && [ -s "$out2/clear.gp" ] && [ ! -e "$out2/clear.png" ]
then result OK "no gnuplot: .dat and .gp written, one line says why, exit 0"
else result FAIL "no gnuplot: .dat and .gp written, one line says why, exit 0" "rc $rc: $(cat "$tmp/err2"; ls "$out2")"; fi

"$bench" --quick --plot /proc/no/such/dir table >/dev/null 2>"$tmp/err3"; rc=$?
if [ $rc -eq 1 ] && grep -q 'cannot create /proc/no/such/dir' "$tmp/err3"
then result OK "an unusable DIR: exit 1, says why"
else result FAIL "an unusable DIR: exit 1, says why" "rc $rc: $(cat "$tmp/err3")"; fi
