#!/usr/bin/env bash
# Runs one fuzz target for a bounded time, on the stable toolchain (libFuzzer through
# libfuzzer-sys with the sanitizer-coverage flags stable rustc accepts; fuzz/README.md says
# why this and not cargo-fuzz or afl.rs).
#
#   scripts/fuzz.sh TARGET SECONDS [LIBFUZZER ARGS...]
#   scripts/fuzz.sh list
#
# TARGET: query tsig master tlsa doctor smtp journal update dkim. The corpus starts from seeds
# the target writes itself (daned::fuzzing::TARGET::seeds, built from the tests' zone files,
# certificates and keys made as the tests make them, real signed answers, journals and UPDATE
# messages) into fuzz/seeds/TARGET, and
# grows in fuzz/corpus/TARGET. A crash leaves its input in fuzz/artifacts/TARGET; keep it in
# fuzz/regressions/TARGET after the fix, where tests/fuzz_seeds.rs replays it.
#
# One process, one job (-jobs=1 is the same; the machine is shared): run one target at a time.
# Exit status: 0 when the time ran out without a finding, libFuzzer's (non-zero) otherwise.
set -euo pipefail

targets=(query tsig master tlsa doctor smtp journal update dkim)
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  echo "usage: $0 TARGET SECONDS [libFuzzer args...]   (TARGET: ${targets[*]})" >&2
  exit 2
}
[ "${1:-}" = list ] && { printf '%s\n' "${targets[@]}"; exit 0; }
[ $# -ge 2 ] || usage
target=$1
seconds=$2
shift 2
[[ " ${targets[*]} " == *" $target "* ]] || usage
[[ $seconds =~ ^[0-9]+$ ]] || usage

# libfuzzer-sys compiles libFuzzer's C++ sources: it needs a C++ compiler.
if ! command -v c++ >/dev/null; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q g++ >&2
fi

# Coverage for libFuzzer without -Z flags: LLVM's sancov pass and its options are ordinary
# codegen options on stable. `--target` keeps them off build scripts and proc macros, which
# run on the host and are not linked with libFuzzer. No sanitizer (that needs nightly): Rust's
# own checks (bounds, and overflow and debug assertions, which fuzz/Cargo.toml's release
# profile keeps on) are what turns a bug into a crash.
triple=$(rustc -vV | sed -n 's/^host: //p')
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=3 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$root/fuzz/target}
cargo build --release --manifest-path "$root/fuzz/Cargo.toml" --target "$triple" --bin "$target" >&2
binary=$CARGO_TARGET_DIR/$triple/release/$target

seeds=$root/fuzz/seeds/$target
corpus=$root/fuzz/corpus/$target
artifacts=$root/fuzz/artifacts/$target
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"

# Inputs that are files may hold text; a master file's $INCLUDE is refused by the target, and
# the target runs in an empty folder of its own all the same.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
case $target in
  master | journal) max_len=16384 ;;
  tlsa | dkim) max_len=8192 ;;
  *) max_len=4096 ;;
esac
cd "$scratch"
DANED_FUZZ_SEED_DIR=$seeds nice "$binary" "$corpus" "$seeds" \
  -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
