//! Fuzz target `master`: see `daned::fuzzing::master` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(master);
