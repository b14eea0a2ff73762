//! DNSSEC keys and DNSKEY record data (RFC 4034 section 2, key tag in appendix B).
//!
//! A [`SigningKey`] can only sign [`SignedData`], which [`crate::rrsig`] builds from an RRSIG
//! prefix and a canonical RRset, so no caller can get a zone key to sign arbitrary bytes.
//! [`RingSigningKey`] is the one backend, on `ring`: ECDSA P-256 (RFC 6605) and Ed25519
//! (RFC 8080) are generated here; RSA/SHA-256 (RFC 5702) keys can be imported from BIND files
//! and sign, but are never generated.

use core::fmt;

use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use zones::Rdata;

use crate::signed_data::SignedData;

//------------ Algorithm -----------------------------------------------------

/// A DNSSEC algorithm number (IANA "DNS Security Algorithm Numbers", complete for what daned
/// signs with as of 2026-11). An open newtype so that unknown numbers round-trip.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Algorithm(pub u8);

impl Algorithm {
    /// RSA/SHA-256 (RFC 5702): import only.
    pub const RSASHA256: Self = Self(8);
    /// ECDSA with curve P-256 and SHA-256 (RFC 6605): daned's default.
    pub const ECDSAP256SHA256: Self = Self(13);
    /// Ed25519 (RFC 8080).
    pub const ED25519: Self = Self(15);

    /// The mnemonic of the IANA registry, or the number.
    pub fn mnemonic(self) -> String {
        match self {
            Self::RSASHA256 => "RSASHA256".into(),
            Self::ECDSAP256SHA256 => "ECDSAP256SHA256".into(),
            Self::ED25519 => "ED25519".into(),
            Self(n) => n.to_string(),
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mnemonic())
    }
}

//------------ KeyRole -------------------------------------------------------

/// What a key signs: the DNSKEY RRset (KSK), the rest of the zone (ZSK), or both (CSK).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyRole {
    /// Combined signing key: signs everything, has the SEP flag.
    Csk,
    /// Key signing key: signs DNSKEY, CDS and CDNSKEY, has the SEP flag.
    Ksk,
    /// Zone signing key: signs every other RRset.
    Zsk,
}

impl KeyRole {
    /// The DNSKEY flags: Zone Key (256) plus SEP (1) for keys the parent's DS points at
    /// (RFC 4034 section 2.1.1, RFC 3757).
    pub fn flags(self) -> u16 {
        match self {
            Self::Csk | Self::Ksk => 257,
            Self::Zsk => 256,
        }
    }

    /// True when the key signs the apex key RRsets (DNSKEY, CDS, CDNSKEY).
    pub fn signs_keys(self) -> bool {
        matches!(self, Self::Csk | Self::Ksk)
    }

    /// True when the key signs the zone's other RRsets.
    pub fn signs_zone(self) -> bool {
        matches!(self, Self::Csk | Self::Zsk)
    }

    /// The lowercase name used in files and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csk => "csk",
            Self::Ksk => "ksk",
            Self::Zsk => "zsk",
        }
    }

    /// Parses [`Self::as_str`] output.
    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "csk" => Some(Self::Csk),
            "ksk" => Some(Self::Ksk),
            "zsk" => Some(Self::Zsk),
            _ => None,
        }
    }
}

//------------ KeyError ------------------------------------------------------

/// What can go wrong with key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The algorithm is not one daned can use for this operation.
    #[error("algorithm {0} is not supported for this operation")]
    UnsupportedAlgorithm(Algorithm),
    /// The key material was rejected by the crypto library (wrong length, not on the curve,
    /// public and private halves that do not match).
    #[error("invalid {0} key material")]
    InvalidKey(Algorithm),
    /// The crypto library failed to produce a signature.
    #[error("signing failed")]
    SigningFailed,
    /// The signature does not verify with this key.
    #[error("signature does not verify")]
    BadSignature,
    /// DNSKEY rdata shorter than its fixed fields (RFC 4034 section 2.1).
    #[error("DNSKEY rdata is truncated")]
    TruncatedDnskey,
}

//------------ SigningKey ----------------------------------------------------

/// A private key that can sign RRsets. Kept small so that other backends (an HSM) fit.
pub trait SigningKey: Send + Sync {
    /// The DNSSEC algorithm.
    fn algorithm(&self) -> Algorithm;
    /// The public key in DNSKEY format (RFC 6605 section 4, RFC 8080 section 3, RFC 3110).
    fn public_key(&self) -> &[u8];
    /// Signs the data, giving the signature field of an RRSIG (ECDSA as raw r||s).
    fn sign(&self, data: &SignedData) -> Result<Vec<u8>, KeyError>;

    /// The DNSKEY for this key with the given flags.
    fn dnskey(&self, flags: u16) -> Dnskey {
        Dnskey {
            flags,
            protocol: 3,
            algorithm: self.algorithm(),
            public_key: self.public_key().to_vec(),
        }
    }
}

//------------ Dnskey --------------------------------------------------------

/// DNSKEY record data (RFC 4034 section 2.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Dnskey {
    /// Flags: 256 zone key, +1 SEP, +128 revoked (RFC 5011).
    pub flags: u16,
    /// Always 3 (RFC 4034 section 2.1.2).
    pub protocol: u8,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The public key in the algorithm's DNSKEY format.
    pub public_key: Vec<u8>,
}

impl Dnskey {
    /// The wire rdata.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + self.public_key.len());
        out.extend_from_slice(&self.flags.to_be_bytes());
        out.push(self.protocol);
        out.push(self.algorithm.0);
        out.extend_from_slice(&self.public_key);
        out
    }

    /// The rdata as the zone keeps it.
    pub fn to_rdata(&self) -> Rdata {
        Rdata::from(self.to_wire())
    }

    /// Parses wire rdata.
    pub fn from_wire(rdata: &[u8]) -> Result<Self, KeyError> {
        if rdata.len() < 4 {
            return Err(KeyError::TruncatedDnskey);
        }
        Ok(Self {
            flags: u16::from_be_bytes([rdata[0], rdata[1]]),
            protocol: rdata[2],
            algorithm: Algorithm(rdata[3]),
            public_key: rdata[4..].to_vec(),
        })
    }

    /// The key tag (RFC 4034 appendix B; algorithm 1 uses the B.1 rule).
    pub fn key_tag(&self) -> u16 {
        key_tag(&self.to_wire())
    }

    /// Checks `sig` over `data` with this public key (for tests and for checking imported
    /// material; the server does not validate).
    pub fn verify(&self, data: &SignedData, sig: &[u8]) -> Result<(), KeyError> {
        verify_raw(self.algorithm, &self.public_key, data.as_bytes(), sig)
    }
}

/// The key tag of DNSKEY wire rdata (RFC 4034 appendix B).
pub fn key_tag(rdata: &[u8]) -> u16 {
    if rdata.get(3) == Some(&1) {
        // Appendix B.1: RSA/MD5 uses the third-to-last and second-to-last octets.
        let n = rdata.len();
        if n < 4 {
            return 0;
        }
        return u16::from_be_bytes([rdata[n - 3], rdata[n - 2]]);
    }
    let mut ac: u32 = 0;
    for (i, b) in rdata.iter().enumerate() {
        ac += if i & 1 == 1 {
            u32::from(*b)
        } else {
            u32::from(*b) << 8
        };
    }
    ac += (ac >> 16) & 0xffff;
    (ac & 0xffff) as u16
}

/// Verifies a DNSSEC signature with a DNSKEY-format public key.
fn verify_raw(alg: Algorithm, public: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), KeyError> {
    match alg {
        Algorithm::ECDSAP256SHA256 => {
            let mut point = Vec::with_capacity(65);
            point.push(4);
            point.extend_from_slice(public);
            signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(msg, sig)
                .map_err(|_| KeyError::BadSignature)
        }
        Algorithm::ED25519 => signature::UnparsedPublicKey::new(&signature::ED25519, public)
            .verify(msg, sig)
            .map_err(|_| KeyError::BadSignature),
        Algorithm::RSASHA256 => {
            let (e, n) = split_rsa_public(public).ok_or(KeyError::InvalidKey(alg))?;
            signature::RsaPublicKeyComponents { n, e }
                .verify(&signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
                .map_err(|_| KeyError::BadSignature)
        }
        other => Err(KeyError::UnsupportedAlgorithm(other)),
    }
}

/// Splits an RFC 3110 RSA public key into (exponent, modulus).
pub(crate) fn split_rsa_public(public: &[u8]) -> Option<(&[u8], &[u8])> {
    let (elen, rest) = match public.first()? {
        0 => (
            usize::from(u16::from_be_bytes([*public.get(1)?, *public.get(2)?])),
            &public[3..],
        ),
        &n => (usize::from(n), &public[1..]),
    };
    if rest.len() <= elen {
        return None;
    }
    Some(rest.split_at(elen))
}

/// Builds an RFC 3110 RSA public key from exponent and modulus (without leading zeros).
pub(crate) fn join_rsa_public(e: &[u8], n: &[u8]) -> Vec<u8> {
    let e = strip_zeros(e);
    let n = strip_zeros(n);
    let mut out = Vec::with_capacity(3 + e.len() + n.len());
    if e.len() < 256 {
        out.push(e.len() as u8);
    } else {
        out.push(0);
        out.extend_from_slice(&(e.len() as u16).to_be_bytes());
    }
    out.extend_from_slice(e);
    out.extend_from_slice(n);
    out
}

/// The integer bytes without leading zero octets.
fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[start..]
}

//------------ PrivateMaterial ----------------------------------------------

/// The private half of a key, in the form BIND's Private-key-format stores it, so that the
/// key store can write it back exactly.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrivateMaterial {
    /// The 32-octet ECDSA P-256 private scalar (RFC 6605 section 6.1 `PrivateKey`).
    EcdsaP256([u8; 32]),
    /// The 32-octet Ed25519 seed (RFC 8080 section 6 `PrivateKey`).
    Ed25519([u8; 32]),
    /// RSA: the eight big integers of BIND's format, in its order (Modulus, PublicExponent,
    /// PrivateExponent, Prime1, Prime2, Exponent1, Exponent2, Coefficient).
    Rsa(Box<[Vec<u8>; 8]>),
}

impl fmt::Debug for PrivateMaterial {
    /// Never prints secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateMaterial(..)")
    }
}

//------------ RingSigningKey ------------------------------------------------

/// The backend key pair.
enum Pair {
    /// ECDSA P-256 with fixed-size (r||s) signatures, as DNSSEC wants them.
    Ecdsa(EcdsaKeyPair),
    /// Ed25519.
    Ed25519(Ed25519KeyPair),
    /// RSA with PKCS#1 v1.5 padding and SHA-256.
    Rsa(RsaKeyPair),
}

/// A key pair held in memory and used through `ring`.
pub struct RingSigningKey {
    /// The algorithm.
    algorithm: Algorithm,
    /// The public key in DNSKEY format.
    public: Vec<u8>,
    /// The private material as stored on disk.
    private: PrivateMaterial,
    /// The ring key pair.
    pair: Pair,
    /// Randomness for ECDSA and RSA blinding.
    rng: SystemRandom,
}

impl fmt::Debug for RingSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingSigningKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl RingSigningKey {
    /// Generates a new key. Only ECDSAP256SHA256 and ED25519 can be generated (RFC 8624
    /// recommends them; RSA generation is left to other tools and imported).
    pub fn generate(algorithm: Algorithm) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        match algorithm {
            Algorithm::ECDSAP256SHA256 => {
                let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
                let doc = EcdsaKeyPair::generate_pkcs8(alg, &rng)
                    .map_err(|_| KeyError::InvalidKey(algorithm))?;
                // ring's PKCS#8 v1 document holds the ECPrivateKey (RFC 5915): version 1, then
                // the 32-octet OCTET STRING with the scalar.
                let d = find_after(doc.as_ref(), &[0x02, 0x01, 0x01, 0x04, 0x20])
                    .ok_or(KeyError::InvalidKey(algorithm))?;
                let pair = EcdsaKeyPair::from_pkcs8(alg, doc.as_ref(), &rng)
                    .map_err(|_| KeyError::InvalidKey(algorithm))?;
                Self::from_private(
                    algorithm,
                    PrivateMaterial::EcdsaP256(d),
                    Some(pair_pub(&pair)),
                )
            }
            Algorithm::ED25519 => {
                let doc = Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| KeyError::InvalidKey(algorithm))?;
                // PKCS#8 v2 (RFC 8410): OCTET STRING wrapping the 32-octet seed.
                let seed = find_after(doc.as_ref(), &[0x04, 0x22, 0x04, 0x20])
                    .ok_or(KeyError::InvalidKey(algorithm))?;
                Self::from_private(algorithm, PrivateMaterial::Ed25519(seed), None)
            }
            other => Err(KeyError::UnsupportedAlgorithm(other)),
        }
    }

    /// Builds a key from stored private material. `public` (DNSKEY format) is needed for
    /// ECDSA, where ring cannot derive it; for the others it is checked when given.
    pub fn from_private(
        algorithm: Algorithm,
        private: PrivateMaterial,
        public: Option<Vec<u8>>,
    ) -> Result<Self, KeyError> {
        let rng = SystemRandom::new();
        let bad = KeyError::InvalidKey(algorithm);
        let (pair, derived) = match (&private, algorithm) {
            (PrivateMaterial::EcdsaP256(d), Algorithm::ECDSAP256SHA256) => {
                let public = public.as_ref().ok_or(KeyError::InvalidKey(algorithm))?;
                let mut point = Vec::with_capacity(65);
                point.push(4);
                point.extend_from_slice(public);
                let pair = EcdsaKeyPair::from_private_key_and_public_key(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    d,
                    &point,
                    &rng,
                )
                .map_err(|_| bad)?;
                let p = pair_pub(&pair);
                (Pair::Ecdsa(pair), p)
            }
            (PrivateMaterial::Ed25519(seed), Algorithm::ED25519) => {
                let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| bad)?;
                let p = pair.public_key().as_ref().to_vec();
                (Pair::Ed25519(pair), p)
            }
            (PrivateMaterial::Rsa(fields), Algorithm::RSASHA256) => {
                let der = rsa_private_key_der(fields);
                let pair = RsaKeyPair::from_der(&der).map_err(|_| bad)?;
                let p = join_rsa_public(&fields[1], &fields[0]);
                (Pair::Rsa(pair), p)
            }
            (_, other) => return Err(KeyError::UnsupportedAlgorithm(other)),
        };
        if public.as_ref().is_some_and(|p| *p != derived) {
            return Err(KeyError::InvalidKey(algorithm));
        }
        Ok(Self {
            algorithm,
            public: derived,
            private,
            pair,
            rng,
        })
    }

    /// The private material, for the key store.
    pub fn private_material(&self) -> &PrivateMaterial {
        &self.private
    }
}

impl SigningKey for RingSigningKey {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    fn public_key(&self) -> &[u8] {
        &self.public
    }

    fn sign(&self, data: &SignedData) -> Result<Vec<u8>, KeyError> {
        let msg = data.as_bytes();
        match &self.pair {
            Pair::Ecdsa(p) => p
                .sign(&self.rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::SigningFailed),
            Pair::Ed25519(p) => Ok(p.sign(msg).as_ref().to_vec()),
            Pair::Rsa(p) => {
                let mut sig = vec![0; p.public().modulus_len()];
                p.sign(&signature::RSA_PKCS1_SHA256, &self.rng, msg, &mut sig)
                    .map_err(|_| KeyError::SigningFailed)?;
                Ok(sig)
            }
        }
    }
}

/// The DNSKEY-format public key of an ECDSA pair (the SEC1 point without its 0x04 prefix).
fn pair_pub(pair: &EcdsaKeyPair) -> Vec<u8> {
    pair.public_key().as_ref()[1..].to_vec()
}

/// The 32 octets that follow the first occurrence of `marker` in `doc`.
fn find_after(doc: &[u8], marker: &[u8]) -> Option<[u8; 32]> {
    let pos = doc.windows(marker.len()).position(|w| w == marker)? + marker.len();
    doc.get(pos..pos + 32)?.try_into().ok()
}

/// DER RSAPrivateKey (RFC 8017 appendix A.1.2) from BIND's eight integers, for ring.
fn rsa_private_key_der(fields: &[Vec<u8>; 8]) -> Vec<u8> {
    let mut body = vec![0x02, 0x01, 0x00];
    for f in fields.iter() {
        let mut v = strip_zeros(f).to_vec();
        if v.is_empty() || v[0] & 0x80 != 0 {
            v.insert(0, 0);
        }
        body.push(0x02);
        der_len(&mut body, v.len());
        body.extend_from_slice(&v);
    }
    let mut out = vec![0x30];
    der_len(&mut out, body.len());
    out.extend_from_slice(&body);
    out
}

/// Appends a DER length.
fn der_len(out: &mut Vec<u8>, len: usize) {
    if len < 128 {
        out.push(len as u8);
    } else {
        let bytes = (len as u32).to_be_bytes();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(3);
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use data_encoding::BASE64;

    #[test]
    fn rfc_4034_section_5_4_key_has_tag_60485() {
        // RFC 4034 section 5.4, dskey.example.com. DNSKEY 256 3 5.
        let key = BASE64
            .decode(
                b"AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZ\
DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
            )
            .unwrap();
        let dnskey = Dnskey {
            flags: 256,
            protocol: 3,
            algorithm: Algorithm(5),
            public_key: key,
        };
        assert_eq!(dnskey.key_tag(), 60485);
    }

    #[test]
    fn generated_keys_reload_from_their_private_material() {
        for alg in [Algorithm::ECDSAP256SHA256, Algorithm::ED25519] {
            let k = RingSigningKey::generate(alg).unwrap();
            let again = RingSigningKey::from_private(
                alg,
                k.private_material().clone(),
                Some(k.public_key().to_vec()),
            )
            .unwrap();
            assert_eq!(again.public_key(), k.public_key());
        }
    }

    #[test]
    fn rsa_keys_are_not_generated() {
        assert!(matches!(
            RingSigningKey::generate(Algorithm::RSASHA256),
            Err(KeyError::UnsupportedAlgorithm(_))
        ));
    }
}
