#!/bin/sh
# Runs tce-run (the first argument) with the rest of the arguments. In a
# sanitizer build the preload shim links libasan, which must come first in
# the process's library list: the shim is then preloaded after libasan
# (TCE_RUN_SHIM names what tce-run preloads). Usage: tce-run.sh TCE_RUN ARGS...
tce_run=$1
shift
shim=$(dirname "$tce_run")/libtce-preload.so
asan=$(ldd "$shim" 2>/dev/null | sed -n 's/^[[:space:]]*libasan\.so[^ ]* => \([^ ]*\) .*/\1/p')
if [ -n "$asan" ]; then
	TCE_RUN_SHIM="$asan $shim"
	export TCE_RUN_SHIM
fi
exec "$tce_run" "$@"
