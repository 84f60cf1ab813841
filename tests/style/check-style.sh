#!/bin/sh
# The public API's shape: <tce.h> compiles alone as C11 and as C++, the
# shared library exports only tce_ symbols (none of the internal tce__ ones),
# every function the header declares is exported, and every declaration has
# its own comment with Return: and Context: lines. Prints TAP.
# Usage: check-style.sh SOURCE_ROOT LIBTCE_SO CC
set -u
src=$1 lib=$2 cc=$3
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
result() { # result OK|FAIL name [detail]
	n=$((n + 1))
	if [ "$1" = OK ]; then echo "ok $n - $2"; else
		failed=$((failed + 1)); echo "not ok $n - $2"; [ -n "${3:-}" ] && echo "$3" | sed 's/^/# /'
	fi
}
echo "1..6"

printf '#include <tce.h>\nint main(void) { return tce_strerror(0) == 0; }\n' > "$tmp/c11.c"
if out=$($cc -std=c11 -pedantic-errors -Wall -Wextra -Werror -I"$src/include" -c "$tmp/c11.c" -o "$tmp/c11.o" 2>&1); then
	result OK "header compiles alone as C11"; else result FAIL "header compiles alone as C11" "$out"; fi

cxx=$(command -v c++ || command -v g++ || command -v clang++)
printf '#include <tce.h>\nint main() { return tce_strerror(0) == nullptr; }\n' > "$tmp/cxx.cc"
if [ -z "$cxx" ]; then result FAIL "header compiles as C++" "no C++ compiler";
elif out=$($cxx -std=c++11 -pedantic-errors -Wall -Wextra -Werror -I"$src/include" -c "$tmp/cxx.cc" -o "$tmp/cxx.o" 2>&1); then
	result OK "header compiles as C++"; else result FAIL "header compiles as C++" "$out"; fi

nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' | sed 's/@.*//' | sort -u > "$tmp/exported"
bad=$(grep -v '^tce_' "$tmp/exported"; grep '^tce__' "$tmp/exported")
if [ -s "$tmp/exported" ] && [ -z "$bad" ]; then result OK "only tce_ symbols are exported";
else result FAIL "only tce_ symbols are exported" "unexpected: $bad"; fi

# Every TCE_API declaration names a function: collect the names.
tr '\n' ' ' < "$src/include/tce.h" | sed 's/TCE_API/\n&/g' | grep '^TCE_API' |
	sed -n 's/^TCE_API[^(]*[ *]\(tce_[a-z0-9_]*\)(.*/\1/p' | sort -u > "$tmp/declared"
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
if [ -s "$tmp/declared" ] && [ -z "$missing" ]; then result OK "every declared function is exported ($(wc -l < "$tmp/declared"))";
else result FAIL "every declared function is exported" "missing: $missing"; fi

extra=$(comm -13 "$tmp/declared" "$tmp/exported")
if [ -z "$extra" ]; then result OK "every exported symbol is declared in tce.h";
else result FAIL "every exported symbol is declared in tce.h" "undeclared: $extra"; fi

# Every TCE_API declaration (one or more lines, up to its ';') follows its own
# comment block with nothing in between: the block opens with "name() -", says
# "Context:" and, unless the function returns void, "Return:". A comment that
# ends right before the declaration but opened with another function's name, or
# a declaration with no comment just above it (a second one under a shared
# block), is reported with the reason.
undoc=$(awk '
function report(name, why) { print name ": " why }
function check(decl,    name, ret, text) {
	ndecl++
	name = decl; sub(/\(.*/, "", name); sub(/.*[ \t*]/, "", name)
	ret = substr(decl, 1, index(decl, name "(") - 1); sub(/^[ \t]*TCE_API/, "", ret)
	if (blk_end != decl_line - 1 || blk_used) { report(name, "no comment block of its own directly above"); return }
	blk_used = 1
	text = blk; sub(/^[ \t]*\/\*[ \t*]*/, "", text); gsub(/\n[ \t]*\*?[ \t]*/, " ", text)
	sub(/^[ \t]+/, "", text)
	if (index(text, name "()") != 1) report(name, "its comment does not open with " name "()")
	if (blk !~ /Context:/) report(name, "no Context: line")
	if (ret !~ /^[ \t]*void[ \t]*$/ && blk !~ /Return:/) report(name, "no Return: line")
}
in_decl { decl = decl " " $0; if ($0 ~ /;/) { in_decl = 0; check(decl) }; next }
in_blk { blk = blk "\n" $0; if ($0 ~ /\*\//) { in_blk = 0; blk_end = NR; blk_used = 0 }; next }
/^[ \t]*\/\*/ { blk = $0; if ($0 ~ /\*\//) { blk_end = NR; blk_used = 0 } else in_blk = 1; next }
/^[ \t]*TCE_API[ \t]/ { decl = $0; decl_line = NR; if ($0 ~ /;/) check(decl); else in_decl = 1; next }
END { if (!ndecl) print "no TCE_API declaration found" }
' "$src/include/tce.h")
if [ -z "$undoc" ]; then result OK "every TCE_API function has its own comment with Return: and Context:";
else result FAIL "every TCE_API function has its own comment with Return: and Context:" "$undoc"; fi
[ "$failed" -eq 0 ]
