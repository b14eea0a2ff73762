//! Fuzz target `update`: see `daned::fuzzing::update` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(update);
