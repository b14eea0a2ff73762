//! Fuzz target `smtp`: see `daned::fuzzing::smtp` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(smtp);
