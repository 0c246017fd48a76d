# Sourced by the bench-* scripts. When BENCH_RESULTS names a file, each
# figure is also appended to it as one tab-separated line
#   benchmark  messages  tool  metric  value
# which scripts/bench-report turns into BENCHMARKS.md's tables and charts.
record() {
    if [ -n "${BENCH_RESULTS:-}" ]; then
        printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"
    fi
}
