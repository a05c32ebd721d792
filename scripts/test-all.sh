#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# README command 2 (and .ci/run): install, build with -Werror, run the whole
# suite against real services, run it again under ASan+UBSan,
# give each fuzz target a short run, check that `make distcheck` passes, and
# end with one line "ferry: N passed, N failed, N skipped".
#
# FERRY_TEST_STRICT=1 (the default here, since this script installs every
# prerequisite) turns a skipped test into a failure.
set -u
srcdir=$(cd "$(dirname "$0")/.." && pwd)
cd "$srcdir"
export FERRY_TEST_STRICT="${FERRY_TEST_STRICT:-1}"
jobs=$(nproc)
failed_stages=""

stage() {
    echo
    echo "==== $*"
}

./scripts/install-deps.sh || { echo "ferry: install-deps failed"; exit 1; }

stage "build (-Werror) and the whole suite"
# Its own build directory: README command 1 (scripts/demo.sh) builds build/
# without -Werror, and this run must compile every object with it.
./scripts/build.sh build-check --enable-werror || { echo "ferry: build failed"; exit 1; }
make -C build-check -s -j"$jobs" check || failed_stages="$failed_stages suite"

stage "the whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer"
if ./scripts/build.sh build-asan --enable-werror --enable-sanitizers; then
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        make -C build-asan -s -j"$jobs" check || failed_stages="$failed_stages asan"
else
    failed_stages="$failed_stages asan-build"
fi

stage "fuzz targets, a short run each"
# Each tests/fuzz/make-corpus-*.sh writes seeds to tests/fuzz/corpus/<target>/
# (ignored by git); tests/fuzz/seeds/<target>/ holds the committed,
# minimised corpus of the 10-minute runs; a run works on a copy of both.
if ls tests/fuzz/fuzz-*.c >/dev/null 2>&1; then
    # make-corpus-qcow2.sh and -vmdk.sh take the corpus directory (their
    # default is the one used here); make-corpus-vpc.sh takes a build
    # directory, for the unit tests' hand-built images.
    for mk in tests/fuzz/make-corpus-*.sh; do
        [ -x "$mk" ] || continue
        case $mk in
            *-vpc.sh) set -- "$srcdir/build-check" ;;
            *) set -- ;;
        esac
        "$mk" "$@" >/dev/null 2>&1 ||
            { echo "fuzz: $mk failed"; failed_stages="$failed_stages fuzz-seeds"; }
    done
    if tests/fuzz/build.sh build-fuzz >build-fuzz.log 2>&1; then
        # One target per core at a time: each gets its full run, and the
        # stage takes half the wall time on the 2-core CI machine.
        running=0
        for t in build-fuzz/fuzz-*; do
            [ -x "$t" ] || continue
            name=$(basename "$t"); name=${name#fuzz-}
            corpus="build-fuzz/corpus-$name"
            rm -rf "$corpus"; mkdir -p "$corpus"
            [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
            # The minimised corpus of the long runs (tests/fuzz/run-long.sh).
            [ -d "tests/fuzz/seeds/$name" ] && cp -r "tests/fuzz/seeds/$name/." "$corpus/"
            (
                if "$t" -max_total_time="${FERRY_FUZZ_SECONDS:-20}" -rss_limit_mb=1024 \
                        -timeout=10 "$corpus" >"build-fuzz/$name.log" 2>&1; then
                    echo "PASS: fuzz-$name" >"build-fuzz/$name.result"
                else
                    echo "FAIL: fuzz-$name" >"build-fuzz/$name.result"
                fi
            ) &
            running=$((running + 1))
            if [ "$running" -ge "$(nproc)" ]; then
                wait
                running=0
            fi
        done
        wait
        for t in build-fuzz/fuzz-*; do
            [ -x "$t" ] || continue
            name=$(basename "$t"); name=${name#fuzz-}
            if grep -q '^PASS' "build-fuzz/$name.result" 2>/dev/null; then
                echo "fuzz-$name: $(grep -E '^Done' "build-fuzz/$name.log" | tail -1)"
                echo "PASS: fuzz-$name" >>build-fuzz/results
            else
                tail -30 "build-fuzz/$name.log"
                echo "FAIL: fuzz-$name" >>build-fuzz/results
                failed_stages="$failed_stages fuzz-$name"
            fi
            rm -f "build-fuzz/$name.result"
        done
    else
        tail -30 build-fuzz.log
        failed_stages="$failed_stages fuzz-build"
    fi
fi

stage "make distcheck (unit tests of the tarball)"
# The tarball is unpacked elsewhere: the AWS SigV4 vectors (shared/, not
# ours to ship) are named by path.
FERRY_SIGV4_SUITE=$(cd "$srcdir/../shared/aws-sigv4-test-suite" 2>/dev/null && pwd)
export FERRY_SIGV4_SUITE
if ! (make -C build-check -s distcheck >build-check/distcheck.log 2>&1); then
    tail -40 build-check/distcheck.log
    failed_stages="$failed_stages distcheck"
else
    echo "distcheck: ok"
fi

# Automake writes one :test-result: line per test in each .trs file.
count() {
    n=$(cat build-check/tests/unit/*.trs build-check/tests/integration/*.trs \
        build-asan/tests/unit/*.trs build-asan/tests/integration/*.trs 2>/dev/null |
        grep -c ":test-result: $1")
    echo "${n:-0}"
}
count_fuzz() {
    n=$(grep -c "^$1" build-fuzz/results 2>/dev/null)
    echo "${n:-0}"
}
pass=$(( $(count PASS) + $(count_fuzz PASS) ))
fail=$(( $(count FAIL) + $(count ERROR) + $(count_fuzz FAIL) ))
skip=$(count SKIP)
for s in distcheck asan-build fuzz-build fuzz-seeds; do
    case " $failed_stages " in *" $s "*) fail=$((fail + 1)) ;; esac
done
rm -f build-fuzz/results

if [ -n "$failed_stages" ]; then
    echo
    echo "failed stages:$failed_stages"
    # The end of each failed test's log, so that CI output says why.
    for trs in $(grep -l ':test-result: \(FAIL\|ERROR\)' build-check/tests/*/*.trs \
                 build-asan/tests/*/*.trs 2>/dev/null); do
        echo "---- ${trs%.trs}.log"
        tail -25 "${trs%.trs}.log"
    done
fi
echo
echo "ferry: $pass passed, $fail failed, $skip skipped"
[ -z "$failed_stages" ] && [ "$fail" -eq 0 ]
