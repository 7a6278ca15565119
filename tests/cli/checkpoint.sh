# Checkpoint files from rewind run (sourced by run-cli: uses expect, pass,
# fail, $rewind, $tmp, $hello).
ck=$tmp/hello.ckpt
"$rewind" run -bios none -kernel "$hello" --digest-every 1000 >"$tmp/ck-full.txt" 2>&1
expect ckpt-save 0 "checkpoint at icount 100000 written to $ck" -- "$rewind" run -bios none \
    -kernel "$hello" --digest-every 1000 --until insns:100000 --save-checkpoint "$ck"
expect ckpt-dump 0 "icount 100000" -- "$rewind" dump "$ck"
# Going on from the checkpoint is the same run as never stopping: the same
# digests after it, and the same end.
"$rewind" run --from-checkpoint "$ck" --digest-every 1000 >"$tmp/ck-from.txt" 2>&1
if cmp -s <(grep -o 'digest icount=.*' "$tmp/ck-full.txt" | awk -F'[= ]' '$3 > 100000') \
          <(grep -o 'digest icount=.*' "$tmp/ck-from.txt") &&
   [ "$(grep -o 'digest icount=.*' "$tmp/ck-from.txt" | wc -l)" -gt 50 ] &&
   grep -q "Bye!" "$tmp/ck-from.txt"; then
    pass=$((pass + 1)); echo "PASS ckpt-from-same-run"
else
    fail=$((fail + 1)); echo "FAIL ckpt-from-same-run: digests after the checkpoint differ"
fi
# The backend and the engine are this run's, not the checkpoint's (they
# were reset to the defaults by the checkpoint's machine options).
expect ckpt-from-backend 0 "backend:          portable" -- "$rewind" run --backend portable \
    --stats --from-checkpoint "$ck"
expect ckpt-from-fast-mode 0 "(fast mode: " -- "$rewind" run -accel tcg,thread=multi \
    --stats --from-checkpoint "$ck"
expect ckpt-until-pc 0 "written to $tmp/pc.ckpt" -- "$rewind" run -bios none -kernel "$hello" \
    --until pc:0x80000000 --save-checkpoint "$tmp/pc.ckpt"
# The fast mode stops at pc:ADDR too (the TB at ADDR starts with a check).
hello_main=0x$(nm "$hello" | awk '$3 == "main" { print $1 }')
expect ckpt-until-pc-fast 0 "written to $tmp/pcf.ckpt" -- "$rewind" run -accel tcg,thread=multi \
    -bios none -kernel "$hello" --until "pc:$hello_main" --save-checkpoint "$tmp/pcf.ckpt"
expect ckpt-until-pc-fast-dump 0 "hart 0: pc $(printf '0x%016x' "$hello_main") " -- \
    "$rewind" dump "$tmp/pcf.ckpt"
expect ckpt-until-pc-fast-from 0 "Bye!" -- "$rewind" run --from-checkpoint "$tmp/pcf.ckpt"
expect ckpt-until-pc-fast-help 0 "pc:ADDR (the first hart to reach ADDR" -- "$rewind" run --help
expect ckpt-never-reached nonzero "before --until was reached" -- "$rewind" run -bios none \
    -kernel "$hello" --until insns:999999999 --save-checkpoint "$tmp/never.ckpt"
[ -e "$tmp/never.ckpt" ] && { fail=$((fail + 1)); echo "FAIL ckpt-never-reached left a file"; }
expect ckpt-until-alone nonzero "--until and --save-checkpoint go together" -- \
    "$rewind" run -bios none -kernel "$hello" --until insns:5
expect ckpt-until-bad nonzero "--until 'insns:x'" -- "$rewind" run -bios none \
    -kernel "$hello" --until insns:x --save-checkpoint "$tmp/x.ckpt"
expect ckpt-unwritable nonzero "$tmp/no/dir.ckpt: cannot write the checkpoint" -- \
    "$rewind" run -bios none -kernel "$hello" --until insns:5000 \
    --save-checkpoint "$tmp/no/dir.ckpt"
head -c 3000 "$ck" >"$tmp/cut.ckpt"
expect ckpt-cut-short nonzero "cut short" -- "$rewind" run --from-checkpoint "$tmp/cut.ckpt"
expect ckpt-dump-cut-short nonzero "cut short" -- "$rewind" dump "$tmp/cut.ckpt"
cp "$ck" "$tmp/bad.ckpt"
printf '\377' | dd of="$tmp/bad.ckpt" bs=1 seek=200 conv=notrunc 2>/dev/null
expect ckpt-damaged nonzero "damaged" -- "$rewind" run --from-checkpoint "$tmp/bad.ckpt"
expect ckpt-not-one nonzero "not a rewind checkpoint" -- "$rewind" run --from-checkpoint "$hello"
cp "$hello" "$tmp/moved.elf"
"$rewind" run -bios none -kernel "$tmp/moved.elf" --until insns:5000 \
    --save-checkpoint "$tmp/moved.ckpt" >/dev/null 2>&1
printf 'x' >>"$tmp/moved.elf"
expect ckpt-image-changed nonzero "moved.elf" -- "$rewind" run --from-checkpoint "$tmp/moved.ckpt"
    expect ckpt-help 0 "--from-checkpoint FILE" -- "$rewind" run --help
cp "$hello" "$tmp/ck-k.elf"
expect ckpt-over-kernel nonzero "is the same file as -kernel" -- "$rewind" run -bios none \
    -kernel "$tmp/ck-k.elf" --until insns:5000 --save-checkpoint "$tmp/ck-k.elf"
expect ckpt-kernel-intact 0 "" -- cmp "$hello" "$tmp/ck-k.elf"
# Recording from a checkpoint: the trace carries it and replays alone, with
# the digests of the run that never stopped; reverse debugging reaches back
# to the hand-off and no further.
expect ckpt-record 0 "events" -- "$rewind" record -o "$tmp/from.rwd" --from-checkpoint "$ck" \
    --digest-every 1000
grep -o 'digest icount=.*' "$tmp/ck-full.txt" | awk -F'[= ]' '$3 > 100000' >"$tmp/ck-want.txt"
"$rewind" record -o "$tmp/from2.rwd" --from-checkpoint "$ck" --digest-every 1000 2>&1 |
    grep -o 'digest icount=.*' >"$tmp/ck-rec.txt"
if [ -s "$tmp/ck-want.txt" ] && cmp -s "$tmp/ck-want.txt" "$tmp/ck-rec.txt"; then
    pass=$((pass + 1)); echo "PASS ckpt-record-same-run"
else
    fail=$((fail + 1)); echo "FAIL ckpt-record-same-run: the recording's digests differ"
fi
mv "$ck" "$tmp/moved-away.ckpt" # the trace alone is enough
expect ckpt-replay 0 "matched the recording" -- "$rewind" replay "$tmp/from.rwd"
expect ckpt-dump-start 0 "start: $ck" -- "$rewind" dump "$tmp/from.rwd"
expect ckpt-debug-begin 0 "Current icount: 100000 (recording ends at" -- "$rewind" debug \
    "$tmp/from.rwd" --console /dev/null -- -batch -ex "seek 150000" -ex reverse-continue -ex when
expect ckpt-debug-no-history 0 "No more reverse-execution history" -- "$rewind" debug \
    "$tmp/from.rwd" --console /dev/null -- -batch -ex "seek 150000" -ex reverse-continue
mv "$tmp/moved-away.ckpt" "$ck"
expect ckpt-record-with-kernel nonzero "comes from the checkpoint" -- "$rewind" record \
    -o "$tmp/x.rwd" --from-checkpoint "$ck" -kernel "$hello"
expect ckpt-record-until nonzero "options of rewind run" -- "$rewind" record \
    -o "$tmp/x.rwd" -bios none -kernel "$hello" --until insns:5 --save-checkpoint "$tmp/y.ckpt"
expect ckpt-record-over-ckpt nonzero "is the same file as --from-checkpoint" -- \
    "$rewind" record -o "$ck" --from-checkpoint "$ck"
