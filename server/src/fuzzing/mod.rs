//! Entry points for the fuzz targets in `fuzz/` (libFuzzer on the stable toolchain; see
//! `fuzz/README.md`) and for the seed replay test (`tests/fuzz_seeds.rs`), which runs every
//! target's seeds through the same functions so that the targets cannot rot.
//!
//! Each target is a module with `run(data)`, which must never panic whatever `data` holds,
//! and `seeds()`, small valid inputs built the way the tests build theirs. Each `run` also
//! asserts the invariants that make a result wrong rather than merely refused (a response to
//! a response, a reply that does not parse): a failed assertion is a finding like a crash.
//!
//! Not part of daned's API: hidden from the docs, and nothing in the server calls it.

pub mod dkim;
pub mod doctor;
pub mod journal;
pub mod master;
pub mod query;
pub mod smtp;
mod testzones;
pub mod tlsa;
pub mod tsig;
pub mod update;

#[cfg(test)]
mod tests;

/// The targets, by the name `scripts/fuzz.sh` takes, with their entry and seed functions.
pub const TARGETS: &[Target] = &[
    Target {
        name: "query",
        run: query::run,
        seeds: query::seeds,
    },
    Target {
        name: "tsig",
        run: tsig::run,
        seeds: tsig::seeds,
    },
    Target {
        name: "master",
        run: master::run,
        seeds: master::seeds,
    },
    Target {
        name: "tlsa",
        run: tlsa::run,
        seeds: tlsa::seeds,
    },
    Target {
        name: "doctor",
        run: doctor::run,
        seeds: doctor::seeds,
    },
    Target {
        name: "smtp",
        run: smtp::run,
        seeds: smtp::seeds,
    },
    Target {
        name: "journal",
        run: journal::run,
        seeds: journal::seeds,
    },
    Target {
        name: "update",
        run: update::run,
        seeds: update::seeds,
    },
    Target {
        name: "dkim",
        run: dkim::run,
        seeds: dkim::seeds,
    },
];

/// One fuzz target.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// Its name (the fuzz binary and the `scripts/fuzz.sh` argument).
    pub name: &'static str,
    /// Runs one input.
    pub run: fn(&[u8]),
    /// Its seed inputs.
    pub seeds: fn() -> Vec<Vec<u8>>,
}

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}
