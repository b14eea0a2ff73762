//! TLSA record data from certificates and keys (RFC 6698 section 2.1, RFC 7671 section 5,
//! RFC 7218 mnemonics): the one place where a certificate becomes a TLSA record.
//!
//! Everything here is a pure function of bytes: PEM or DER in, rdata out. Files, watching and
//! timing are the callers' business, so that a half-written file can never reach this point
//! as anything but a parse error.

use core::fmt;

use ring::digest;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::SubjectPublicKeyInfo;

//------------ Parameters ----------------------------------------------------

/// Certificate usage (RFC 6698 section 2.1.1, RFC 7218 mnemonics).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Usage(pub u8);

impl Usage {
    /// PKIX-TA(0): CA constraint with PKIX validation (unusable for SMTP, RFC 7672 3.1.3).
    pub const PKIX_TA: Self = Self(0);
    /// PKIX-EE(1): service certificate constraint with PKIX validation (likewise unusable).
    pub const PKIX_EE: Self = Self(1);
    /// DANE-TA(2): trust anchor assertion.
    pub const DANE_TA: Self = Self(2);
    /// DANE-EE(3): domain-issued certificate, the usage RFC 7672 recommends for SMTP.
    pub const DANE_EE: Self = Self(3);
}

/// Selector (RFC 6698 section 2.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Selector(pub u8);

impl Selector {
    /// Cert(0): the whole certificate.
    pub const CERT: Self = Self(0);
    /// SPKI(1): the SubjectPublicKeyInfo, which survives renewals with the same key.
    pub const SPKI: Self = Self(1);
}

/// Matching type (RFC 6698 section 2.1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Matching(pub u8);

impl Matching {
    /// Full(0): the selected content itself.
    pub const FULL: Self = Self(0);
    /// SHA2-256(1).
    pub const SHA256: Self = Self(1);
    /// SHA2-512(2).
    pub const SHA512: Self = Self(2);
}

/// The three parameter fields of a TLSA record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TlsaParams {
    /// Certificate usage.
    pub usage: Usage,
    /// Selector.
    pub selector: Selector,
    /// Matching type.
    pub matching: Matching,
}

impl TlsaParams {
    /// `3 1 1`: what RFC 7672 section 3.1.1 recommends for the MX's own key.
    pub const DANE_EE_SPKI_SHA256: Self = Self {
        usage: Usage::DANE_EE,
        selector: Selector::SPKI,
        matching: Matching::SHA256,
    };
    /// `2 1 1`: the issuing CA's key.
    pub const DANE_TA_SPKI_SHA256: Self = Self {
        usage: Usage::DANE_TA,
        selector: Selector::SPKI,
        matching: Matching::SHA256,
    };
}

impl fmt::Display for TlsaParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.usage.0, self.selector.0, self.matching.0
        )
    }
}

//------------ Errors --------------------------------------------------------

/// Why TLSA data could not be derived.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeriveError {
    /// The input holds no certificate (empty, or PEM without a CERTIFICATE block).
    #[error("no certificate found")]
    NoCertificate,
    /// A PEM block or DER structure is cut short or malformed.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being read.
        what: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// A PEM block of a kind that carries no key (e.g. a CRL).
    #[error("unsupported PEM block \"{0}\"")]
    UnsupportedPem(String),
    /// The selector or matching type is not one RFC 6698 defines.
    #[error("unsupported {field} {value} (RFC 6698 section 2.1)")]
    UnsupportedParameter {
        /// "selector" or "matching type".
        field: &'static str,
        /// The value given.
        value: u8,
    },
    /// A private key in a format that cannot be read (PKCS#8 is required).
    #[error("unreadable private key (PKCS#8 'PRIVATE KEY' expected): {0}")]
    PrivateKey(String),
}

//------------ Input -----------------------------------------------------------

/// One block of input: its PEM label (or "DER") and its DER contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// PEM label, e.g. "CERTIFICATE"; "DER" for raw DER input.
    pub label: String,
    /// DER bytes.
    pub der: Vec<u8>,
}

/// Splits PEM input into its blocks, or takes non-PEM input as one DER block. A PEM file
/// that is cut in the middle of a block is an error, never a shorter chain.
pub fn blocks(input: &[u8]) -> Result<Vec<Block>, DeriveError> {
    let text = core::str::from_utf8(input).ok();
    match text {
        Some(t) if t.contains("-----BEGIN ") => {
            let begins = t.matches("-----BEGIN ").count();
            let ends = t.matches("-----END ").count();
            if begins != ends {
                return Err(DeriveError::Malformed {
                    what: "PEM",
                    detail: format!("{begins} BEGIN lines but {ends} END lines"),
                });
            }
            let parsed = pem::parse_many(t).map_err(|e| DeriveError::Malformed {
                what: "PEM",
                detail: e.to_string(),
            })?;
            Ok(parsed
                .into_iter()
                .map(|p| Block {
                    label: p.tag().to_string(),
                    der: p.into_contents(),
                })
                .collect())
        }
        _ if input.iter().all(u8::is_ascii_whitespace) => Err(DeriveError::NoCertificate),
        _ => Ok(vec![Block {
            label: "DER".into(),
            der: input.to_vec(),
        }]),
    }
}

/// The certificates of a chain file, leaf first, each checked to parse as X.509.
pub fn certificates(input: &[u8]) -> Result<Vec<Vec<u8>>, DeriveError> {
    let certs: Vec<Vec<u8>> = blocks(input)?
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE" || b.label == "DER")
        .map(|b| b.der)
        .collect();
    if certs.is_empty() {
        return Err(DeriveError::NoCertificate);
    }
    for der in &certs {
        parse_certificate(der)?;
    }
    Ok(certs)
}

/// Parses one DER certificate, insisting that nothing trails it.
pub fn parse_certificate(der: &[u8]) -> Result<X509Certificate<'_>, DeriveError> {
    let malformed = |detail: String| DeriveError::Malformed {
        what: "certificate",
        detail,
    };
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok((rest, _)) => Err(malformed(format!("{} trailing octets", rest.len()))),
        Err(e) => Err(malformed(e.to_string())),
    }
}

/// When a certificate expires (its notAfter), in seconds since the epoch.
pub fn not_after(cert_der: &[u8]) -> Result<i64, DeriveError> {
    Ok(parse_certificate(cert_der)?
        .validity()
        .not_after
        .timestamp())
}

/// The DER SubjectPublicKeyInfo of a certificate.
pub fn certificate_spki(cert_der: &[u8]) -> Result<Vec<u8>, DeriveError> {
    Ok(parse_certificate(cert_der)?
        .tbs_certificate
        .subject_pki
        .raw
        .to_vec())
}

/// The position in `chain` (leaf first) of the certificate that issued the leaf: its subject
/// is the leaf's issuer name and its key verifies the leaf's signature (RFC 5280 section
/// 6.1.3). `None` when the chain holds no such certificate: a `2 1 1` record must only pin an
/// issuer the server really sends, or mail breaks when the CA rotates intermediates.
pub fn issuer_index(chain: &[Vec<u8>]) -> Result<Option<usize>, DeriveError> {
    let Some(leaf) = chain.first() else {
        return Err(DeriveError::NoCertificate);
    };
    let leaf = parse_certificate(leaf)?;
    for (i, der) in chain.iter().enumerate().skip(1) {
        let candidate = parse_certificate(der)?;
        if candidate.subject() == leaf.issuer()
            && leaf.verify_signature(Some(candidate.public_key())).is_ok()
        {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The DER SubjectPublicKeyInfo of whatever `input` holds: a certificate (the leaf, when a
/// chain), a CSR, a public key, or a PKCS#8 private key. This is how a staged `next_key` is
/// read, whichever of these an operator keeps.
pub fn public_key_info(input: &[u8]) -> Result<Vec<u8>, DeriveError> {
    let blocks = blocks(input)?;
    let first = blocks.first().ok_or(DeriveError::NoCertificate)?;
    let malformed = |what: &'static str, e: String| DeriveError::Malformed { what, detail: e };
    match first.label.as_str() {
        "CERTIFICATE" => certificate_spki(&first.der),
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
            use x509_parser::certification_request::X509CertificationRequest;
            let (_, csr) = X509CertificationRequest::from_der(&first.der)
                .map_err(|e| malformed("certificate request", e.to_string()))?;
            Ok(csr.certification_request_info.subject_pki.raw.to_vec())
        }
        "PUBLIC KEY" => spki_checked(&first.der),
        "PRIVATE KEY" | "EC PRIVATE KEY" | "RSA PRIVATE KEY" => {
            let key = rcgen::KeyPair::try_from(first.der.as_slice())
                .map_err(|e| DeriveError::PrivateKey(e.to_string()))?;
            Ok(rcgen::PublicKeyData::subject_public_key_info(&key))
        }
        "DER" => {
            // Raw DER: a certificate, else a bare SubjectPublicKeyInfo.
            certificate_spki(&first.der).or_else(|_| spki_checked(&first.der))
        }
        other => Err(DeriveError::UnsupportedPem(other.to_string())),
    }
}

/// `der` itself, once it has been checked to be a SubjectPublicKeyInfo.
fn spki_checked(der: &[u8]) -> Result<Vec<u8>, DeriveError> {
    match SubjectPublicKeyInfo::from_der(der) {
        Ok(([], _)) => Ok(der.to_vec()),
        Ok(_) => Err(DeriveError::Malformed {
            what: "public key",
            detail: "trailing octets".into(),
        }),
        Err(e) => Err(DeriveError::Malformed {
            what: "public key",
            detail: e.to_string(),
        }),
    }
}

//------------ Derivation ----------------------------------------------------

/// The certificate association data (RFC 6698 section 2.1.4) of a certificate.
pub fn association_data(
    cert_der: &[u8],
    selector: Selector,
    matching: Matching,
) -> Result<Vec<u8>, DeriveError> {
    let selected = match selector {
        Selector::CERT => {
            parse_certificate(cert_der)?;
            cert_der.to_vec()
        }
        Selector::SPKI => certificate_spki(cert_der)?,
        Selector(value) => {
            return Err(DeriveError::UnsupportedParameter {
                field: "selector",
                value,
            });
        }
    };
    digest_selected(&selected, matching)
}

/// Applies the matching type to selected content.
pub fn digest_selected(selected: &[u8], matching: Matching) -> Result<Vec<u8>, DeriveError> {
    Ok(match matching {
        Matching::FULL => selected.to_vec(),
        Matching::SHA256 => digest::digest(&digest::SHA256, selected).as_ref().to_vec(),
        Matching::SHA512 => digest::digest(&digest::SHA512, selected).as_ref().to_vec(),
        Matching(value) => {
            return Err(DeriveError::UnsupportedParameter {
                field: "matching type",
                value,
            });
        }
    })
}

/// TLSA rdata in wire form (usage, selector, matching type, data) for a certificate.
pub fn tlsa_rdata(cert_der: &[u8], params: TlsaParams) -> Result<Vec<u8>, DeriveError> {
    let data = association_data(cert_der, params.selector, params.matching)?;
    Ok(rdata_from_parts(params, &data))
}

/// TLSA rdata `usage 1 matching` for a bare SubjectPublicKeyInfo (a staged next key has no
/// certificate yet, so only selector SPKI applies).
pub fn tlsa_rdata_for_spki(
    spki_der: &[u8],
    usage: Usage,
    matching: Matching,
) -> Result<Vec<u8>, DeriveError> {
    let params = TlsaParams {
        usage,
        selector: Selector::SPKI,
        matching,
    };
    Ok(rdata_from_parts(
        params,
        &digest_selected(spki_der, matching)?,
    ))
}

/// Assembles wire rdata.
fn rdata_from_parts(params: TlsaParams, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + data.len());
    out.extend_from_slice(&[params.usage.0, params.selector.0, params.matching.0]);
    out.extend_from_slice(data);
    out
}

/// Presentation form of TLSA rdata: `3 1 1 ABCD…` (hex in upper case, as hash-slinger and
/// most tools print it).
pub fn rdata_to_text(rdata: &[u8]) -> String {
    if rdata.len() < 3 {
        return String::new();
    }
    let hex: String = rdata[3..].iter().map(|b| format!("{b:02X}")).collect();
    format!("{} {} {} {}", rdata[0], rdata[1], rdata[2], hex)
}

#[cfg(test)]
mod tests;
