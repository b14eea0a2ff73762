//! What every fuzz target shares: the seed corpus written at start-up (libFuzzer calls the
//! init block before it reads its corpus folders), then one entry point of `daned::fuzzing`.

/// Writes the seeds of the target called `name` into `$DANED_FUZZ_SEED_DIR` when it is set
/// (`scripts/fuzz.sh` sets it and passes the folder to libFuzzer as a corpus).
pub fn write_seeds(name: &str) {
    let Some(dir) = std::env::var_os("DANED_FUZZ_SEED_DIR") else {
        return;
    };
    let Some(target) = daned::fuzzing::target(name) else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return;
    }
    for (i, seed) in (target.seeds)().iter().enumerate() {
        let path = dir.join(format!("seed-{i:03}"));
        if let Err(e) = std::fs::write(&path, seed) {
            eprintln!("cannot write {}: {e}", path.display());
        }
    }
}

/// A libFuzzer target running `daned::fuzzing::$module::run`, seeded at start.
#[macro_export]
macro_rules! target {
    ($module:ident) => {
        libfuzzer_sys::fuzz_target!(
            init: {
                $crate::write_seeds(stringify!($module));
            },
            |data: &[u8]| daned::fuzzing::$module::run(data)
        );
    };
}
