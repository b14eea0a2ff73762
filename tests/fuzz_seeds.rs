//! The fuzz targets cannot rot: every target's seeds (built as `scripts/fuzz.sh` builds its
//! corpus) and every input kept in `fuzz/regressions/TARGET/` (inputs that once crashed a
//! target, kept after the fix) run through the same entry points as the libFuzzer binaries
//! in `fuzz/`, in an ordinary test build. No fuzzing happens here.

use std::path::Path;

use daned::fuzzing::TARGETS;

#[test]
fn every_target_has_seeds_and_they_run_without_a_panic() {
    for target in TARGETS {
        let seeds = (target.seeds)();
        assert!(!seeds.is_empty(), "{}: no seeds", target.name);
        for seed in &seeds {
            (target.run)(seed);
        }
    }
}

#[test]
fn every_kept_crash_input_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions");
    for target in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(target.name)) else {
            continue;
        };
        for entry in dir {
            let path = entry.expect("dir entry").path();
            let data = std::fs::read(&path).expect("read kept input");
            (target.run)(&data);
        }
    }
}

#[test]
fn the_targets_the_fuzz_crate_builds_are_the_listed_ones() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .expect("fuzz/Cargo.toml");
    for target in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{}\"", target.name)),
            "{} has no [[bin]] in fuzz/Cargo.toml",
            target.name
        );
    }
}
