//! Fuzz target `tlsa`: see `daned::fuzzing::tlsa` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(tlsa);
