//! Fuzz target `tsig`: see `daned::fuzzing::tsig` and fuzz/README.md.
#![no_main]

daned_fuzz::target!(tsig);
