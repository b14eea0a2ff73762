//! MTA-STS (RFC 8461): the policy file checked against the zone's MX RRset, the `_mta-sts`
//! TXT id that follows its content, and the HTTPS fetch that holds a new id back until the
//! policy host serves the new file.

pub mod fetch;
pub mod policy;
pub mod source;
