//! Fuzz target `doctor`: see `daned::fuzzing::doctor` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(doctor);
