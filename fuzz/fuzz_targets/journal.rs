//! Fuzz target `journal`: see `daned::fuzzing::journal` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(journal);
