#!/usr/bin/env bash
# Boot hfguest under QEMU TCG and check its debug-port output.
#
#   guests/hfguest/test-qemu.sh            all cases (~1-2 min)
#   guests/hfguest/test-qemu.sh --quick    only the basic 2-CPU case
#
# Env: QEMU (default qemu-system-x86_64), OUT (build dir, default ./build),
#      ACCEL=tcg|kvm (default tcg; kvm uses -cpu host instead of -cpu max),
#      KEEP=1 keeps the output files (path printed at the end), TMPDIR,
#      SLOW=N multiplies guest run times by N, divides the memory share by N and
#      sets hb_ms=50*N (for nested/emulated KVM, where page faults and exits are
#      very slow; default 1).
# Exits non-zero with a "FAIL: ..." message on the first failing case.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-$HERE/build}
QEMU=${QEMU:-qemu-system-x86_64}
ACCEL=${ACCEL:-tcg}
case $ACCEL in
    tcg) CPU_MAX=max ;;
    kvm) CPU_MAX=host ;;
    *) echo "FAIL: ACCEL must be tcg or kvm" >&2; exit 1 ;;
esac
SLOW=${SLOW:-1}
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

command -v "$QEMU" >/dev/null 2>&1 || fail "$QEMU not found (apt-get install qemu-system-x86)"
make -s -C "$HERE" OUT="$OUT" || fail "build failed"
BIN=$OUT/hfguest.bin
[ -f "$BIN" ] || fail "$BIN missing after build"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hfguest-test.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    trap 'echo "outputs kept in $TMP"' EXIT
else
    trap 'rm -rf "$TMP"' EXIT
fi

# run_qemu NAME "QEMU ARGS" "CMDLINE" -> sets STATUS, LOG
run_qemu() {
    local name=$1 qargs=$2 append=$3 w out=
    if [ "$SLOW" != 1 ]; then
        for w in $append; do
            case $w in
                exit_after_ms=* | inject_ms=*) w=${w%%=*}=$((${w#*=} * SLOW)) ;;
                mem_pct=*) w=mem_pct=$(((${w#*=} + SLOW - 1) / SLOW)) ;;
            esac
            out="$out $w"
        done
        case $append in *mem_pct=*) ;; *) out="$out mem_pct=$(((50 + SLOW - 1) / SLOW))" ;; esac
        out="$out hb_ms=$((50 * SLOW))"   # each debug-port exit is expensive there
        append=${out# }
    fi
    LOG=$TMP/$name.txt
    rm -f "$LOG"
    # shellcheck disable=SC2086
    timeout 300 "$QEMU" -accel "$ACCEL" $qargs -display none -no-reboot -serial none -monitor none \
        -kernel "$BIN" -append "$append" \
        -chardev file,id=dc,path="$LOG" -device isa-debugcon,iobase=0xe9,chardev=dc \
        -device isa-debug-exit,iobase=0xf4 >"$TMP/$name.qemu.log" 2>&1
    STATUS=$?
    [ -f "$LOG" ] || fail "$name: no debug-port output ($(head -c 500 "$TMP/$name.qemu.log"))"
}

# check_clean NAME NCPUS MIN_GEN: a run that must show no errors
check_clean() {
    local name=$1 ncpus=$2 mingen=$3
    [ "$STATUS" = 1 ] || fail "$name: QEMU exit status $STATUS, want 1 (guest exit code 0); tail: $(tail -3 "$LOG")"
    awk -v N="$ncpus" -v MINGEN="$mingen" -v NAME="$name" '
        function bad(msg) { print "FAIL: " NAME ": " msg > "/dev/stderr"; failed = 1; exit 1 }
        /^HFGUEST v1 / {
            boot++
            if ($0 !~ /^HFGUEST v1 cpus=[0-9]+ mem=[0-9]+ x2apic=[01] avx=[01] fsgsbase=[01]$/) bad("malformed boot line: " $0)
            split($3, a, "="); if (a[2] != N) bad("boot line says " $3 ", want cpus=" N)
            next
        }
        /^ERR / || /^PANIC / { bad("error line: " $0) }
        /^DONE / { done = $0; next }
        /^HB / {
            if ($0 !~ /^HB cpu=[0-9]+ seq=[0-9]+ tsc=[0-9]+ ticks=[0-9]+ pps=[0-9]+ merr=[0-9]+ cerr=[0-9]+ gap=[0-9]+ gapmax=[0-9]+ back=[0-9]+ gen=[0-9]+$/)
                bad("malformed HB line: " $0)
            if (!boot) bad("HB before boot line")
            for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
            c = f["cpu"]
            if (c >= N) bad("HB from cpu " c " >= " N)
            if (f["seq"] != n[c] + 0) bad("cpu " c " seq " f["seq"] ", want " n[c] + 0)
            if (n[c] == 0) t0[c] = f["ticks"]
            else if (f["ticks"] + 0 < last_ticks[c]) bad("cpu " c " ticks went down at seq " f["seq"])
            if (f["merr"] != 0 || f["cerr"] != 0) bad("cpu " c " reports errors: " $0)
            if (f["back"] != 0) backs++
            last_ticks[c] = f["ticks"] + 0; gen[c] = f["gen"] + 0; n[c]++
            next
        }
        END {
            if (failed) exit 1
            if (boot != 1) bad("boot line seen " boot + 0 " times")
            for (c = 0; c < N; c++) {
                if (n[c] < 2) bad("cpu " c " has " n[c] + 0 " heartbeats")
                if (last_ticks[c] <= t0[c]) bad("cpu " c " ticks did not increase")
                if (gen[c] < MINGEN) bad("cpu " c " memory worker only reached gen " gen[c] ", want >= " MINGEN)
            }
            if (done !~ / merr=0 cerr=0 booterr=0 code=0$/) bad("missing/bad DONE line: " done)
            msg = ""
            for (c = 0; c < N; c++) msg = msg sprintf(" cpu%d:hb=%d,gen=%d,ticks=%d", c, n[c], gen[c], last_ticks[c])
            if (backs) msg = msg " (warning: " backs " HB lines with back>0)"
            print msg
        }' "$LOG" >"$TMP/$name.summary" || exit 1
    echo "ok   $name:$(cat "$TMP/$name.summary")"
}

# check_detect NAME WANT_STATUS REGEX: a fault-injection run that must be caught
check_detect() {
    local name=$1 want=$2 re=$3
    [ "$STATUS" = "$want" ] || fail "$name: QEMU exit status $STATUS, want $want; tail: $(tail -3 "$LOG")"
    grep -Eq "$re" "$LOG" || fail "$name: no line matching /$re/ in output"
    echo "ok   $name: detected: $(grep -Em1 "$re" "$LOG")"
}

run_qemu smp2 "-cpu $CPU_MAX -smp 2 -m 256M" "cpus=2 exit_after_ms=3000"
check_clean smp2 2 3
grep -q '^INFO boot .* console=byte int3_r0=1' "$LOG" || fail "smp2: INFO boot should say console=byte (QEMU has no line console) and int3_r0=1"
[ "$QUICK" = 1 ] && { echo "PASS (quick)"; exit 0; }

run_qemu smp1 "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000"
check_clean smp1 1 3

run_qemu smp4 "-cpu $CPU_MAX -smp 4 -m 512M" "cpus=4 exit_after_ms=4000"
check_clean smp4 4 3

run_qemu qemu64 "-cpu qemu64 -smp 2 -m 256M" "cpus=2 exit_after_ms=3000"
check_clean qemu64 2 3
grep -q '^HFGUEST v1 cpus=2 .* avx=0 fsgsbase=0$' "$LOG" || fail "qemu64: expected the no-AVX/no-FSGSBASE path"

# without the ring-0 int3 check (for VMMs on PVM that do not deliver it); linecon=0 is the byte console QEMU gives anyway
run_qemu no_int3_r0 "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 int3_r0=0 linecon=0"
check_clean no_int3_r0 1 3
grep -q '^INFO boot .* console=byte int3_r0=0' "$LOG" || fail "no_int3_r0: INFO boot should say int3_r0=0"

# 4 GiB guest: RAM above 4 GiB must be mapped and covered by a worker
run_qemu mem4g "-cpu $CPU_MAX -smp 2 -m 4G" "cpus=2 mem_pct=1 exit_after_ms=6000"
check_clean mem4g 2 3
awk '/^INFO cpu=/ { for (i = 2; i <= NF; i++) if ($i ~ /^last=0x/) { h = substr($i, 8); if (length(h) > 8) hi = 1 } }
     END { exit !hi }' "$LOG" || fail "mem4g: no worker slice reaches above 4 GiB"
echo "ok   mem4g: a worker slice reaches above 4 GiB ($(grep -o 'last=0x[0-9a-f]*' "$LOG" | tail -1))"

# more CPUs requested than QEMU has: must report a boot error, not hang
run_qemu missing_ap "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=2 exit_after_ms=1000"
check_detect missing_ap 3 '^ERR cpu=0 kind=boot what=ap_start want=2 got=1'

# fault injection: every kind of corruption must be reported and fail the exit code
run_qemu inj_gpr "-cpu $CPU_MAX -smp 2 -m 256M" "cpus=2 exit_after_ms=2000 inject=gpr inject_cpu=1"
check_detect inj_gpr 3 '^ERR cpu=1 kind=canary what=r13 '
run_qemu inj_ymm "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=vec"
if grep -q '^HFGUEST v1 .* avx=1 ' "$LOG"; then
    check_detect inj_ymm 3 '^ERR cpu=0 kind=canary what=ymm9 want=0x5eed0902'   # upper 128 bits only
else
    echo "note inj_ymm: CPU/accelerator has no usable AVX, checking the xmm path"
    check_detect inj_ymm 3 '^ERR cpu=0 kind=canary what=xmm9 '
fi
run_qemu inj_xmm "-cpu qemu64 -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=vec"
check_detect inj_xmm 3 '^ERR cpu=0 kind=canary what=xmm9 '
run_qemu inj_mem "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=3000 inject=mem inject_ms=500"
check_detect inj_mem 3 '^ERR cpu=0 kind=mem addr=0x[0-9a-f]+ want=0x[0-9a-f]+ got=0x[0-9a-f]+'
run_qemu inj_fs "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=fsbase"
check_detect inj_fs 3 '^ERR cpu=0 kind=canary what=(fs0|fsbase) '
run_qemu inj_gs "-cpu qemu64 -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=gsbase"
check_detect inj_gs 3 '^ERR cpu=0 kind=canary what=gs0 '
run_qemu inj_aux "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=tscaux"
check_detect inj_aux 3 '^ERR cpu=0 kind=canary what=tscaux '
for k in star lstar sfmask kgsbase pat; do
    run_qemu inj_$k "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=$k inject_ms=300"
    check_detect inj_$k 3 "^ERR cpu=0 kind=canary what=$k .* ring=0$"
done
if grep -q '^HFGUEST v1 .* avx=1 ' "$TMP/smp2.txt"; then
    run_qemu inj_xcr0 "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=xcr0"
    check_detect inj_xcr0 3 '^ERR cpu=0 kind=canary what=xcr0 want=0x7 got=0x3$'
else
    echo "note inj_xcr0: CPU/accelerator has no usable AVX, XCR0 is not checked"
fi
# ring 3 runs with IOPL 0: a port outside the TSS I/O bitmap faults
run_qemu inj_port "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=port"
check_detect inj_port 5 '^PANIC cpu=0 vec=13 err=0x0 rip=0x[0-9a-f]+ cr2=0x[0-9a-f]+ cs=0x33 '
run_qemu inj_ud "-cpu $CPU_MAX -smp 1 -m 256M" "cpus=1 exit_after_ms=2000 inject=ud"
check_detect inj_ud 5 '^PANIC cpu=0 vec=6 err=0x0 rip=0x[0-9a-f]+ cr2=0x'

echo "PASS ($ACCEL)"
