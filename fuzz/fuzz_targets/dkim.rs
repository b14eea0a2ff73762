//! Fuzz target `dkim`: see `daned::fuzzing::dkim` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(dkim);
