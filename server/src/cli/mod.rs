//! The `daned` command's verbs that are more than a call into the library.

pub mod check;
pub mod demo;
pub mod simulate;
