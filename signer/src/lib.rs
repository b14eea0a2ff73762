//! daned's DNSSEC signer (no networking).
