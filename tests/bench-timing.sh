# Timing helpers of the bench scripts (sourced, not run): milliseconds, a median, seconds as text, and the
# median wall time of RUNS runs of a command that must exit with a given status.

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
secs() { awk -v ms="$1" 'BEGIN {printf "%.2f s", ms/1000}'; }
# timed STATUS COMMAND...: the median of RUNS runs; stops the script when a run exits otherwise.
timed() {
    local want=$1
    shift
    for ((r = 0; r < RUNS; r++)); do
        local t0 code=0
        t0=$(now_ms)
        "$@" >/dev/null 2>&1 || code=$?
        [ "$code" = "$want" ] || { echo "$* exited $code, not $want" >&2; exit 1; }
        echo $(($(now_ms) - t0))
    done | median
}
