//! Fuzz target `query`: see `daned::fuzzing::query` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(query);
