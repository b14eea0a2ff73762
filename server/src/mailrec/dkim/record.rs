//! DKIM key records (RFC 6376 section 3.6.1, RFC 8463 section 4.2, RFC 8301 section 3.2): a
//! key file becomes the TXT data published at `SELECTOR._domainkey.ZONE`.
//!
//! An RSA key is published as its DER SubjectPublicKeyInfo (`k=rsa; p=...`, RFC 6376 section
//! 3.6.1), an Ed25519 key as the raw 32-octet public key (`k=ed25519; p=...`, RFC 8463 section
//! 4.2: not the SPKI, a mistake verifiers reject). The key file may hold the private key (what
//! the mail signer reads: PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) or the public key
//! (`PUBLIC KEY`), PEM or DER. RSA keys below 1024 bits are refused (RFC 8301 section 3.2:
//! verifiers must not accept them), below 2048 bits warned about.

use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::dane::derive::{self, Block};

/// The RSA size below which a key is refused (RFC 8301 section 3.2).
pub const RSA_MIN_BITS: usize = 1024;

/// The RSA size below which a key is warned about (RFC 8301 section 3.2: signers should use
/// at least 2048 bits).
pub const RSA_WARN_BITS: usize = 2048;

/// The OID of rsaEncryption (RFC 8017 appendix C), DER-encoded with its NULL parameters:
/// the AlgorithmIdentifier of an RSA SubjectPublicKeyInfo.
const RSA_ALGORITHM_ID: &[u8] = &[
    0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
];

//------------ DkimKey --------------------------------------------------------

/// A DKIM public key, ready to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DkimKey {
    /// The key type.
    pub kind: KeyKind,
    /// The key size in bits (RSA modulus; 256 for Ed25519).
    pub bits: usize,
    /// What goes into `p=`: the DER SPKI (RSA) or the raw public key (Ed25519).
    pub public: Vec<u8>,
}

/// The DKIM key types (`k=`; IANA "DKIM Key Type" registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    /// `k=rsa` (RFC 6376).
    Rsa,
    /// `k=ed25519` (RFC 8463).
    Ed25519,
}

impl KeyKind {
    /// The `k=` tag's value.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Rsa => "rsa",
            Self::Ed25519 => "ed25519",
        }
    }
}

/// Why a key file gives no DKIM record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The file is not PEM or DER of a key.
    #[error("not a key: {0}")]
    Unreadable(#[from] derive::DeriveError),
    /// A PEM block that holds no key.
    #[error(
        "PEM block \"{0}\" holds no DKIM key (want PRIVATE KEY, RSA PRIVATE KEY or PUBLIC KEY)"
    )]
    NotAKey(String),
    /// A key of a type DKIM has no `k=` for.
    #[error("a {0} key; DKIM keys are RSA or Ed25519 (RFC 6376, RFC 8463)")]
    Algorithm(String),
    /// An RSA key too small to be accepted (RFC 8301 section 3.2).
    #[error(
        "RSA key of {bits} bits; verifiers refuse keys below {RSA_MIN_BITS} bits (RFC 8301 section 3.2)"
    )]
    TooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// A DER structure cut short or malformed.
    #[error("malformed {0}")]
    Malformed(&'static str),
}

impl DkimKey {
    /// The key held by a key file's contents.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let blocks = derive::blocks(bytes)?;
        let first = blocks
            .first()
            .ok_or(KeyError::Malformed("empty key file"))?;
        let spki = spki_of(first)?;
        Self::from_spki(&spki)
    }

    /// The key of a DER SubjectPublicKeyInfo.
    pub fn from_spki(spki: &[u8]) -> Result<Self, KeyError> {
        // The whole input, not a prefix: what follows the SPKI would be published in `p=`
        // (found by the `dkim` fuzz target).
        let info = match SubjectPublicKeyInfo::from_der(spki) {
            Ok(([], info)) => info,
            _ => return Err(KeyError::Malformed("SubjectPublicKeyInfo")),
        };
        let oid = info.algorithm.algorithm.to_id_string();
        match oid.as_str() {
            "1.2.840.113549.1.1.1" => {
                let bits = match info.parsed() {
                    Ok(PublicKey::RSA(rsa)) => rsa.key_size(),
                    _ => return Err(KeyError::Malformed("RSA public key")),
                };
                if bits < RSA_MIN_BITS {
                    return Err(KeyError::TooSmall { bits });
                }
                Ok(Self {
                    kind: KeyKind::Rsa,
                    bits,
                    public: spki.to_vec(),
                })
            }
            "1.3.101.112" => {
                let raw = info.subject_public_key.data.to_vec();
                if raw.len() != 32 {
                    return Err(KeyError::Malformed("Ed25519 public key"));
                }
                Ok(Self {
                    kind: KeyKind::Ed25519,
                    bits: 256,
                    public: raw,
                })
            }
            other => Err(KeyError::Algorithm(other.to_string())),
        }
    }

    /// True for an RSA key below [`RSA_WARN_BITS`].
    pub fn is_weak(&self) -> bool {
        self.kind == KeyKind::Rsa && self.bits < RSA_WARN_BITS
    }

    /// The record's text: `v=DKIM1; k=rsa; p=BASE64`.
    pub fn record_text(&self) -> String {
        format!(
            "v=DKIM1; k={}; p={}",
            self.kind.tag(),
            data_encoding::BASE64.encode(&self.public)
        )
    }

    /// The TXT rdata of the record.
    pub fn rdata(&self) -> Vec<u8> {
        txt_rdata(&self.record_text())
    }

    /// The TXT rdata of this key's revocation: the same tags with an empty `p=` (RFC 6376
    /// section 3.6.1: "An empty value means that this public key has been revoked").
    pub fn revoked_rdata(kind: KeyKind) -> Vec<u8> {
        txt_rdata(&format!("v=DKIM1; k={}; p=", kind.tag()))
    }
}

/// The DER SubjectPublicKeyInfo a block holds: a public key, or the public half of a
/// PKCS#1 or PKCS#8 private key (parsed here rather than by `ring`, which refuses RSA keys
/// below 2048 bits: those must give a warning, not an unreadable file).
fn spki_of(block: &Block) -> Result<Vec<u8>, KeyError> {
    match block.label.as_str() {
        "RSA PRIVATE KEY" => rsa_spki_of_pkcs1(&block.der),
        "PRIVATE KEY" => spki_of_pkcs8(&block.der),
        "PUBLIC KEY" => Ok(block.der.clone()),
        "DER" => {
            if SubjectPublicKeyInfo::from_der(&block.der).is_ok() {
                Ok(block.der.clone())
            } else {
                rsa_spki_of_pkcs1(&block.der).or_else(|_| spki_of_pkcs8(&block.der))
            }
        }
        other => Err(KeyError::NotAKey(other.to_string())),
    }
}

/// The SubjectPublicKeyInfo of a PKCS#8 PrivateKeyInfo (RFC 5208 section 5) holding an RSA
/// key (its PKCS#1 key inside) or an Ed25519 key (RFC 8410 section 7: the 32-octet seed, from
/// which the public key is computed).
fn spki_of_pkcs8(der: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bad = || KeyError::Malformed("PKCS#8 private key");
    let (tag, body, _) = tlv(der).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (_, _, rest) = tlv(body).ok_or_else(bad)?; // version
    let (alg_tag, alg, rest) = tlv(rest).ok_or_else(bad)?;
    let (key_tag, key, _) = tlv(rest).ok_or_else(bad)?;
    if alg_tag != 0x30 || key_tag != 0x04 {
        return Err(bad());
    }
    let (oid_tag, oid, _) = tlv(alg).ok_or_else(bad)?;
    match (oid_tag, oid) {
        (0x06, [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]) => rsa_spki_of_pkcs1(key),
        (0x06, [0x2b, 0x65, 0x70]) => {
            let (seed_tag, seed, _) = tlv(key).ok_or_else(bad)?;
            if seed_tag != 0x04 {
                return Err(bad());
            }
            let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed)
                .map_err(|_| KeyError::Malformed("Ed25519 private key"))?;
            let public = ring::signature::KeyPair::public_key(&pair).as_ref();
            // RFC 8410 section 4: SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING }.
            let mut bits = vec![0u8];
            bits.extend_from_slice(public);
            let mut inner = der_wrap(0x30, &der_wrap(0x06, &[0x2b, 0x65, 0x70]));
            inner.extend(der_wrap(0x03, &bits));
            Ok(der_wrap(0x30, &inner))
        }
        _ => Err(KeyError::Algorithm(format!("PKCS#8 OID {}", hex(oid)))),
    }
}

/// Lowercase hex, for messages.
fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SubjectPublicKeyInfo of a PKCS#1 RSAPrivateKey (RFC 8017 appendix A.1.2): its modulus
/// and public exponent, as an RSAPublicKey wrapped with the rsaEncryption algorithm.
fn rsa_spki_of_pkcs1(der: &[u8]) -> Result<Vec<u8>, KeyError> {
    let bad = || KeyError::Malformed("RSA private key");
    let (tag, body, _) = tlv(der).ok_or_else(bad)?;
    if tag != 0x30 {
        return Err(bad());
    }
    let (_, _, rest) = tlv(body).ok_or_else(bad)?; // version
    let (n_tag, _, after_n) = tlv(rest).ok_or_else(bad)?;
    let (e_tag, _, after_e) = tlv(after_n).ok_or_else(bad)?;
    if n_tag != 0x02 || e_tag != 0x02 {
        return Err(bad());
    }
    let n_and_e = &rest[..rest.len() - after_e.len()];
    let public = der_wrap(0x30, n_and_e);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&public);
    let mut inner = RSA_ALGORITHM_ID.to_vec();
    inner.extend(der_wrap(0x03, &bits));
    Ok(der_wrap(0x30, &inner))
}

/// One DER TLV: (tag, contents, what follows).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *der.first()?;
    let first = *der.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = der
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    let body = der.get(header..header.checked_add(len)?)?;
    Some((tag, body, &der[header + len..]))
}

/// `contents` as a DER TLV of `tag`.
fn der_wrap(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// TXT rdata for `text`, cut into character-strings of at most 255 octets (RFC 1035 section
/// 3.3.14; RFC 6376 section 3.6.2.2: verifiers join them without spaces).
pub fn txt_rdata(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 255 + 1);
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        out.push(0);
    }
    for chunk in bytes.chunks(255) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    out
}

/// The text of TXT rdata: its character-strings joined (`None` when malformed).
pub fn txt_text(rdata: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    let mut rest = rdata;
    while let Some((&len, tail)) = rest.split_first() {
        let chunk = tail.get(..usize::from(len))?;
        out.extend_from_slice(chunk);
        rest = &tail[usize::from(len)..];
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests;
