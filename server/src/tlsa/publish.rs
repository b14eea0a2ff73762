//! The TLSA RRsets daned manages (RFC 7671, RFC 7672): read the configured certificate and
//! next-key files, derive their records, and put them into a zone version.
//!
//! A file that cannot be read or parsed (half written, empty, garbage) never changes what is
//! published: the binding keeps its last good records and the error names the file. Nothing
//! is ever derived from a partial file, because [`super::derive`] refuses cut PEM and DER.

use std::path::{Path, PathBuf};

use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

use super::derive::{self, Matching, TlsaParams, Usage};

/// One `[[zone.tlsa]]` binding, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsaBinding {
    /// Owner names sharing the certificate(s) (`_25._tcp.mx1.example.com.`).
    pub names: Vec<Name>,
    /// Certificate chain files (an MTA with an RSA and an ECDSA certificate lists both).
    pub certs: Vec<PathBuf>,
    /// The key (private or public key, CSR or certificate) the next certificate will use.
    pub next_key: Option<PathBuf>,
    /// Also publish `2 1 1` for the issuer found in each chain file.
    pub issuer: bool,
    /// TTL of the TLSA RRsets.
    pub ttl: Ttl,
}

/// Why a binding's files could not be turned into records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// A file could not be read.
    #[error("{path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        error: std::io::Error,
    },
    /// A file holds no usable certificate or key.
    #[error("{path}: {error}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: derive::DeriveError,
    },
    /// `issuer = true` but the chain file holds only the leaf: pinning an issuer the server
    /// does not send would fail (RFC 7671 section 5.2.2).
    #[error("{0}: issuer = true but the file holds no issuer certificate")]
    NoIssuer(PathBuf),
}

/// The TLSA rdatas a binding's files give now: `3 1 1` for each certificate's leaf and for
/// the next key, `2 1 1` for each issuer when asked. Sorted, without duplicates.
pub fn derive_records(binding: &TlsaBinding) -> Result<Vec<Vec<u8>>, PublishError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|error| PublishError::Read {
            path: path.to_path_buf(),
            error,
        })
    };
    let parse = |path: &Path, error| PublishError::Parse {
        path: path.to_path_buf(),
        error,
    };
    let mut out = Vec::new();
    for path in &binding.certs {
        let chain = derive::certificates(&read(path)?).map_err(|e| parse(path, e))?;
        out.push(
            derive::tlsa_rdata(&chain[0], TlsaParams::DANE_EE_SPKI_SHA256)
                .map_err(|e| parse(path, e))?,
        );
        if binding.issuer {
            let issuer = chain
                .get(1)
                .ok_or_else(|| PublishError::NoIssuer(path.clone()))?;
            out.push(
                derive::tlsa_rdata(issuer, TlsaParams::DANE_TA_SPKI_SHA256)
                    .map_err(|e| parse(path, e))?,
            );
        }
    }
    if let Some(path) = &binding.next_key {
        let spki = derive::public_key_info(&read(path)?).map_err(|e| parse(path, e))?;
        out.push(
            derive::tlsa_rdata_for_spki(&spki, Usage::DANE_EE, Matching::SHA256)
                .map_err(|e| parse(path, e))?,
        );
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// `zone` with the managed TLSA RRsets replaced by `records` (one set per binding, at each of
/// its names). Other RRsets are untouched; stale RRSIGs are the signer's business.
pub fn apply(zone: &Zone, bindings: &[(TlsaBinding, Vec<Vec<u8>>)]) -> Zone {
    let mut out = zone.clone();
    for (binding, records) in bindings {
        for name in &binding.names {
            out.remove(name, Rtype::TLSA, 0);
            for rdata in records {
                out.insert(Record {
                    owner: name.clone(),
                    rtype: Rtype::TLSA,
                    class: Class::IN,
                    ttl: binding.ttl,
                    rdata: Rdata::from(rdata.clone()),
                });
            }
        }
    }
    out
}

/// The TLSA rdatas `zone` publishes at `name`.
pub fn published(zone: &Zone, name: &Name) -> Vec<Vec<u8>> {
    zone.get(name, Rtype::TLSA)
        .map(|s| s.rdatas.iter().map(|r| r.as_bytes().to_vec()).collect())
        .unwrap_or_default()
}

/// Every file a binding reads (what the watcher watches).
pub fn files(binding: &TlsaBinding) -> impl Iterator<Item = &PathBuf> {
    binding.certs.iter().chain(binding.next_key.iter())
}
