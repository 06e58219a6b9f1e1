# tests/t_runner.sh: the test runner's counts mean something. A unit test
# whose binary was not built fails (it was skipped silently before), and an
# integration script fails unless exactly its planned checks ran: one that
# stops early, declares no plan or runs more than planned is a failure.
. "$(dirname "$0")/lib.sh"
plan 7

FAKE=$TMP/tree
mkdir -p "$FAKE/tests"
cp "$TOP/tests/run.sh" "$TOP/tests/lib.sh" "$FAKE/tests/"
echo 'int main(void) { return 0; }' > "$FAKE/tests/test_unbuilt.c"
cat > "$FAKE/tests/t_good.sh" <<'SCRIPT'
. "$(dirname "$0")/lib.sh"
plan 3
pass one
skip -n 2 "two not run here"
SCRIPT
cat > "$FAKE/tests/t_short.sh" <<'SCRIPT'
. "$(dirname "$0")/lib.sh"
plan 3
pass one
pass two
SCRIPT
cat > "$FAKE/tests/t_long.sh" <<'SCRIPT'
. "$(dirname "$0")/lib.sh"
plan 1
pass one
pass two
SCRIPT
cat > "$FAKE/tests/t_noplan.sh" <<'SCRIPT'
. "$(dirname "$0")/lib.sh"
pass one
SCRIPT
cat > "$FAKE/tests/t_rest.sh" <<'SCRIPT'
. "$(dirname "$0")/lib.sh"
plan 4
pass one
skip_rest "the rest needs what this box lacks"
SCRIPT

sh "$FAKE/tests/run.sh" > "$TMP/run.out" 2>&1
rc=$?
line () {
	grep -q "$1" "$TMP/run.out"
}
check "a test binary that was not built fails" line '^test_unbuilt  *FAILED (no binary'
check "a script that ran fewer checks than planned fails" line '^t_short.sh  *FAILED .*2 of 3 planned checks ran'
check "a script that ran more checks than planned fails" line '^t_long.sh  *FAILED .*2 of 1 planned checks ran'
check "a script without a plan line fails" line '^t_noplan.sh  *FAILED .*no plan line'
check "planned skips count as run" line '^t_good.sh  *ok (1 passed, 2 skipped)'
check "skip_rest skips what was planned and not run" line '^t_rest.sh  *ok (1 passed, 3 skipped)'
check "the totals and the exit status say so" sh -c "tail -n 1 '$TMP/run.out' | grep -qx '7 passed, 4 failed, 5 skipped' && [ $rc -ne 0 ]"
[ "$LIB_FAILED" -eq 0 ]
