#!/bin/sh
# Builds bench/gemm-bench (OpenBLAS) and two kernel libraries: $OLD (default: git HEAD's native/gemm.cc) and the
# working tree's native/gemm.cc, with the addon's compiler flags; then runs the comparison.
#   bench/gemm-bench.sh [old-gemm.cc] [reps] [filter]
# Env: OLDFLAGS / NEWFLAGS extra compiler flags per build, GEMM_BENCH_SKIP_T2=1 skips the 2-thread run,
#      GEMM_BENCH_ATT_BATCH batch of the attention products (default 384), GEMM_BENCH_DIR output folder.
set -e
cd "$(dirname "$0")/.."
OUT=${GEMM_BENCH_DIR:-/tmp/carl-gemm-bench}
mkdir -p "$OUT"
OLD=${1:-}
if [ -z "$OLD" ]; then OLD="$OUT/gemm-head.cc"; git show HEAD:./native/gemm.cc > "$OLD"; fi
REPS=${2:-7}
FLAGS="-O3 -std=c++17 -fno-math-errno -fno-trapping-math -fvisibility=hidden -fno-omit-frame-pointer -fno-rtti -fPIC -pthread -Inative"
cp "$OLD" "$OUT/gemm-old.cc"
g++ $FLAGS $OLDFLAGS -shared -Wl,-Bsymbolic -o "$OUT/libold.so" "$OUT/gemm-old.cc" native/common.cc native/elementwise.cc bench/gemm-shim.cc
g++ $FLAGS $NEWFLAGS -shared -Wl,-Bsymbolic -o "$OUT/libnew.so" native/gemm.cc native/common.cc native/elementwise.cc bench/gemm-shim.cc
g++ -O2 -std=c++17 -I/usr/include/x86_64-linux-gnu/openblas-pthread -o "$OUT/gemm-bench" bench/gemm-bench.cc \
  -L/usr/lib/x86_64-linux-gnu/openblas-pthread -lopenblas -ldl -pthread
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
taskset -c 0 "$OUT/gemm-bench" "$OUT/libold.so" "$OUT/libnew.so" 1 "$REPS" "$3"
[ -n "$GEMM_BENCH_SKIP_T2" ] || OPENBLAS_NUM_THREADS=2 "$OUT/gemm-bench" "$OUT/libold.so" "$OUT/libnew.so" 2 "$REPS" "$3"
