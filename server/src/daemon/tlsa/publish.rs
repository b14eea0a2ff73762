//! The TLSA RRsets daned manages (RFC 7671, RFC 7672): read the configured certificate and
//! next-key files, derive their records, and put them into a zone version.
//!
//! A file that cannot be read or parsed (half written, empty, garbage) never changes what is
//! published: the binding keeps its last good records and the error names the file. Nothing
//! is ever derived from a partial file, because [`crate::dane::derive`] refuses cut PEM and DER.

use std::path::{Path, PathBuf};

use zones::{Class, Name, Rdata, Record, Rtype, Ttl, Zone};

use crate::dane::derive::{self, Matching, TlsaParams, Usage};
use crate::dane::file;

/// One `[[zone.tlsa]]` binding, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsaBinding {
    /// Owner names sharing the certificate(s) (`_25._tcp.mx1.example.com.`).
    pub names: Vec<Name>,
    /// Certificate chain files (an MTA with an RSA and an ECDSA certificate lists both).
    pub certs: Vec<PathBuf>,
    /// The private key file of each certificate, in the order of `certs` (empty: not
    /// checked). A certificate whose key does not match its private key is not in service
    /// yet (the MTA would fail to load it), so its records are not published.
    pub keys: Vec<PathBuf>,
    /// The key (private or public key, CSR or certificate) the next certificate will use.
    pub next_key: Option<PathBuf>,
    /// Where the MTA serves the certificate(s) (`host:port`, SMTP with STARTTLS): the old
    /// key's records are removed only once the MTA presents the new key.
    pub probe: Option<String>,
    /// Also publish `2 1 1` for the issuer found in each chain file.
    pub issuer: bool,
    /// TTL of the TLSA RRsets.
    pub ttl: Ttl,
    /// Warn when a certificate expires within this many seconds (senders report 5.7.322).
    pub expiry_warning: u64,
}

/// A certificate of `binding` that expires within its warning window (or has expired): the
/// file and its notAfter (seconds since the epoch).
pub fn expiring(binding: &TlsaBinding, now: u64) -> Vec<(PathBuf, i64)> {
    let mut out = Vec::new();
    for path in &binding.certs {
        let Ok(bytes) = file::read(path) else {
            continue;
        };
        let Ok(chain) = derive::certificates(&bytes) else {
            continue;
        };
        if let Ok(at) = derive::not_after(&chain[0]) {
            if at < (now + binding.expiry_warning) as i64 {
                out.push((path.clone(), at));
            }
        }
    }
    out
}

/// Why a binding's files could not be turned into records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// A file could not be read, or is no regular file of a sane size (a FIFO, `/dev/zero`):
    /// the error names it.
    #[error(transparent)]
    Read(#[from] file::FileError),
    /// A file holds no usable certificate or key.
    #[error("{path}: {error}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: derive::DeriveError,
    },
    /// `issuer = true` but the chain file holds no certificate that issued the leaf (none
    /// whose subject is the leaf's issuer and whose key verifies the leaf's signature):
    /// pinning an issuer the server does not send would fail (RFC 7671 section 5.2.2).
    #[error("{0}: issuer = true but the file holds no certificate that issued the leaf")]
    NoIssuer(PathBuf),
    /// The certificate's public key is not the one of its configured private key: the MTA
    /// cannot serve it, so publishing its TLSA record would announce a key not in service.
    #[error("{cert}: the certificate's public key does not match the private key {key}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The private key file.
        key: PathBuf,
    },
}

/// The first certificate file of `binding` that does not exist yet: the certificate was never
/// issued (an ACME client will write it). That is not an error: nothing is published for the
/// binding until the file appears, then its record is (the files are watched).
pub fn not_issued_yet(binding: &TlsaBinding) -> Option<&Path> {
    binding
        .certs
        .iter()
        .find(|p| !p.exists())
        .map(PathBuf::as_path)
}

/// The TLSA rdatas a binding's files give now: `3 1 1` for each certificate's leaf and for
/// the next key, `2 1 1` for each issuer when asked. Sorted, without duplicates.
pub fn derive_records(binding: &TlsaBinding) -> Result<Vec<Vec<u8>>, PublishError> {
    let read = |path: &Path| file::read(path).map_err(PublishError::Read);
    let parse = |path: &Path, error| PublishError::Parse {
        path: path.to_path_buf(),
        error,
    };
    let mut out = Vec::new();
    for (i, path) in binding.certs.iter().enumerate() {
        let chain = derive::certificates(&read(path)?).map_err(|e| parse(path, e))?;
        if let Some(key) = binding.keys.get(i) {
            let private = derive::public_key_info(&read(key)?).map_err(|e| parse(key, e))?;
            let public = derive::certificate_spki(&chain[0]).map_err(|e| parse(path, e))?;
            if private != public {
                return Err(PublishError::KeyMismatch {
                    cert: path.clone(),
                    key: key.clone(),
                });
            }
        }
        out.push(
            derive::tlsa_rdata(&chain[0], TlsaParams::DANE_EE_SPKI_SHA256)
                .map_err(|e| parse(path, e))?,
        );
        if binding.issuer {
            let at = derive::issuer_index(&chain)
                .map_err(|e| parse(path, e))?
                .ok_or_else(|| PublishError::NoIssuer(path.clone()))?;
            let issuer = &chain[at];
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
    binding
        .certs
        .iter()
        .chain(&binding.keys)
        .chain(binding.next_key.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate for mx1 valid until `days` from now (negative: already expired), written
    /// to `path`.
    fn cert_file(path: &Path, days: i64) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["mx1.example.com".into()]).unwrap();
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(60);
        params.not_after = now + time::Duration::days(days);
        std::fs::write(path, params.self_signed(&key).unwrap().pem()).unwrap();
    }

    fn binding(cert: PathBuf) -> TlsaBinding {
        TlsaBinding {
            names: vec![Name::from_ascii("_25._tcp.mx1.example.com.").unwrap()],
            certs: vec![cert],
            keys: vec![],
            next_key: None,
            probe: None,
            issuer: false,
            ttl: Ttl(3600),
            expiry_warning: 14 * 86_400,
        }
    }

    #[test]
    fn certificates_expiring_within_the_warning_window_or_expired_are_reported() {
        let dir = std::env::temp_dir().join(format!("daned-expiry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
        for (days, reported) in [(90, false), (3, true), (-2, true)] {
            let path = dir.join(format!("c{days}.pem"));
            cert_file(&path, days);
            let found = expiring(&binding(path.clone()), now);
            assert_eq!(!found.is_empty(), reported, "{days} days");
            if reported {
                assert!((found[0].1 - now as i64 - days * 86_400).abs() < 120);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A CA, a leaf it issued (its key at `key`), and an unrelated CA.
    fn chain_parts() -> (String, String, String, String) {
        let ca_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let leaf = rcgen::CertificateParams::new(vec!["mx1.example.com".into()])
            .unwrap()
            .signed_by(&leaf_key, &issuer)
            .unwrap();
        // Same name as the real CA, another key: only the signature tells them apart.
        let other_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut other = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        other.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        other
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Test CA");
        let other_cert = other.self_signed(&other_key).unwrap();
        (
            leaf.pem(),
            ca_cert.pem(),
            other_cert.pem(),
            leaf_key.serialize_pem(),
        )
    }

    #[test]
    fn issuer_records_pin_only_the_certificate_that_signed_the_leaf() {
        let dir = tempfile::tempdir().unwrap();
        let (leaf, ca, other, _) = chain_parts();
        let path = dir.path().join("fullchain.pem");
        let mut b = binding(path.clone());
        b.issuer = true;
        std::fs::write(&path, format!("{leaf}{ca}")).unwrap();
        let records = derive_records(&b).unwrap();
        let ca_der = derive::certificates(ca.as_bytes()).unwrap().remove(0);
        let want = derive::tlsa_rdata(&ca_der, TlsaParams::DANE_TA_SPKI_SHA256).unwrap();
        assert_eq!(records.len(), 2);
        assert!(records.contains(&want));
        // An intermediate with the right name but another key did not issue the leaf.
        std::fs::write(&path, format!("{leaf}{other}")).unwrap();
        assert!(matches!(derive_records(&b), Err(PublishError::NoIssuer(_))));
        // The issuer may come after an unrelated certificate.
        std::fs::write(&path, format!("{leaf}{other}{ca}")).unwrap();
        assert!(derive_records(&b).unwrap().contains(&want));
    }

    #[test]
    fn a_certificate_that_does_not_match_its_private_key_gives_no_records() {
        let dir = tempfile::tempdir().unwrap();
        let (leaf, _, _, leaf_key) = chain_parts();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("privkey.pem");
        std::fs::write(&cert, &leaf).unwrap();
        std::fs::write(&key, &leaf_key).unwrap();
        let mut b = binding(cert.clone());
        b.keys = vec![key.clone()];
        assert_eq!(derive_records(&b).unwrap().len(), 1);
        let other = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        std::fs::write(&key, other.serialize_pem()).unwrap();
        let err = derive_records(&b).unwrap_err();
        assert!(matches!(err, PublishError::KeyMismatch { .. }), "{err}");
        assert!(err.to_string().contains("privkey.pem"), "{err}");
    }

    #[test]
    fn a_chain_without_an_issuer_cannot_pin_one() {
        let dir = std::env::temp_dir().join(format!("daned-issuer-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("leaf.pem");
        cert_file(&path, 30);
        let mut b = binding(path);
        assert_eq!(derive_records(&b).unwrap().len(), 1);
        b.issuer = true;
        assert!(matches!(derive_records(&b), Err(PublishError::NoIssuer(_))));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
