# shellcheck shell=bash disable=SC2034  # variables are for the sourcing script
# Shared by tests/system/linux-boot and tests/bench/boot/run (sourced, not
# run): building the Linux guest, scratch disks, and running a guest on
# rewind or QEMU with one line of console input fed when init asks for it.

SYS_FW=${REWIND_FW:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin}
SYS_QEMU=${QEMU:-qemu-system-riscv64}
SYS_MEM=256M
SYS_APPEND="console=ttyS0"
# What we type on the console; init echoes it back ("input: got '...'").
SYS_INPUT_LINE="hello from the rewind test harness"
# The prompt init prints before it reads a line.
SYS_PROMPT="input: type a line"

# sys_build_guest TOP: build (or find in the cache) the kernel and the
# initramfs; sets SYS_IMAGE and SYS_INITRD. Returns non-zero on failure.
sys_build_guest() {
    local out
    out=$("$1/boot/linux/build") || return 1
    SYS_IMAGE=$(sed -n 's/^IMAGE=//p' <<<"$out")
    SYS_INITRD=$(sed -n 's/^INITRD=//p' <<<"$out")
    [ -s "$SYS_IMAGE" ] && [ -s "$SYS_INITRD" ]
}

# sys_make_disk PATH: a 4 MiB raw disk whose sector 0 starts with a label
# that init prints.
sys_make_disk() {
    rm -f "$1"
    truncate -s 4M "$1" &&
        printf 'REWIND-DISK-LABEL' | dd of="$1" conv=notrunc status=none
}

# The machine options both emulators understand (rewind names them as
# QEMU). The disk goes through -device virtio-blk-device: on QEMU,
# -drive if=virtio alone would make a PCI disk, which the guest kernel
# (no PCI) cannot see.
sys_machine_args() { # SMP DISK
    # shellcheck disable=SC2054  # the commas are inside option values
    SYS_ARGS=(-smp "$1" -m "$SYS_MEM" -bios "$SYS_FW" -kernel "$SYS_IMAGE"
              -initrd "$SYS_INITRD" -append "$SYS_APPEND"
              -drive "file=$2,format=raw,if=none,id=hd0"
              -device virtio-blk-device,drive=hd0 -device virtio-rng-device)
}

# sys_run LOG TIMEOUT CMD...: run CMD with its console on LOG, stdin from a
# fifo; when the prompt shows up, type SYS_INPUT_LINE. Sets SYS_RC (the
# exit code, 124 on timeout), SYS_SECONDS (start to exit) and
# SYS_MARKER_SECONDS (start to REWIND-GUEST-DONE, empty if never seen).
sys_run() {
    local log=$1 limit=$2
    shift 2
    local fifo
    fifo=$(mktemp -u "${TMPDIR:-/tmp}/rewind-sys-fifo.XXXXXX")
    mkfifo "$fifo" || return 1
    : >"$log"
    local t0 t_marker="" sent=0 now
    t0=$(date +%s.%N)
    timeout -k 5 "$limit" "$@" <"$fifo" >"$log" 2>&1 &
    local pid=$!
    # Opening the write end waits for the emulator to open the read end;
    # keeping it open means the emulator never sees end of file early.
    exec {SYS_FD}>"$fifo"
    while kill -0 "$pid" 2>/dev/null; do
        if [ $sent = 0 ] && grep -q "^$SYS_PROMPT" "$log"; then
            printf '%s\n' "$SYS_INPUT_LINE" >&"$SYS_FD"
            sent=1
        fi
        if [ -z "$t_marker" ] && grep -q "^REWIND-GUEST-DONE" "$log"; then
            now=$(date +%s.%N)
            t_marker=$(echo "$now - $t0" | bc)
        fi
        sleep 0.02
    done
    wait "$pid"
    SYS_RC=$?
    now=$(date +%s.%N)
    exec {SYS_FD}>&-
    rm -f "$fifo"
    SYS_SECONDS=$(echo "$now - $t0" | bc)
    if [ -z "$t_marker" ] && grep -q "^REWIND-GUEST-DONE" "$log"; then
        t_marker=$SYS_SECONDS
    fi
    SYS_MARKER_SECONDS=$t_marker
}
