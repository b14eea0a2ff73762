//! Zone transfers out: AXFR ([`axfr`], RFC 5936) and IXFR ([`ixfr`], RFC 1995).

pub mod axfr;
pub mod ixfr;
pub mod notify;
