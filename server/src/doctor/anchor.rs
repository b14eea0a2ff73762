//! Trust anchors for the doctor (RFC 4035 section 4.4, RFC 7958): the root's built in, or a
//! file of DS or DNSKEY records (`--trust-anchor`).

use zones::Name;

//------------ TrustAnchor ---------------------------------------------------

/// A trust anchor: DS or DNSKEY record data for one owner (RFC 4033 section 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustAnchor {
    /// The zone it anchors.
    pub owner: Name,
    /// DS rdata.
    pub ds: Vec<Vec<u8>>,
    /// DNSKEY rdata.
    pub dnskeys: Vec<Vec<u8>>,
}

/// Why a trust anchor file could not be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnchorError {
    /// No DS or DNSKEY record in it.
    #[error("no DS or DNSKEY record found")]
    Empty,
    /// A line that is not a DS or DNSKEY record in presentation form.
    #[error("line {line}: {reason}")]
    BadLine {
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// Records for more than one owner.
    #[error("records for more than one owner ({0} and {1})")]
    SeveralOwners(String, String),
}

/// The root zone's trust anchors (IANA root-anchors: KSK-2017 and KSK-2024, SHA-256 DS).
pub fn root_anchor() -> TrustAnchor {
    let ds = |tag: u16, hex: &str| {
        let mut v = tag.to_be_bytes().to_vec();
        v.extend_from_slice(&[8, 2]);
        v.extend(hex_decode(hex).unwrap_or_default());
        v
    };
    TrustAnchor {
        owner: Name::root(),
        ds: vec![
            ds(
                20326,
                "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
            ),
            ds(
                38696,
                "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
            ),
        ],
        dnskeys: Vec::new(),
    }
}

/// Reads DS and/or DNSKEY records in presentation form (`owner [TTL] [IN] DS tag alg type
/// hex`, `owner [TTL] [IN] DNSKEY flags 3 alg base64`), one per line (parentheses joined),
/// `;` comments; as unbound's trust-anchor-file or `daned ds` prints them.
pub fn parse_anchor(text: &str) -> Result<TrustAnchor, AnchorError> {
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(';').next().unwrap_or("");
        let cleaned = line.replace(['(', ')'], " ");
        if open {
            if let Some(last) = joined.last_mut() {
                last.1.push(' ');
                last.1.push_str(&cleaned);
            }
        } else if !cleaned.trim().is_empty() {
            joined.push((i + 1, cleaned.clone()));
        }
        let opens = line.matches('(').count() as i64 - line.matches(')').count() as i64;
        if opens > 0 {
            open = true;
        } else if opens < 0 {
            open = false;
        }
    }
    let mut owner: Option<Name> = None;
    let mut anchor = TrustAnchor {
        owner: Name::root(),
        ds: Vec::new(),
        dnskeys: Vec::new(),
    };
    for (line, text) in joined {
        let bad = |reason: &str| AnchorError::BadLine {
            line,
            reason: reason.to_string(),
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let Some(pos) = words
            .iter()
            .position(|w| w.eq_ignore_ascii_case("DS") || w.eq_ignore_ascii_case("DNSKEY"))
        else {
            return Err(bad("not a DS or DNSKEY record"));
        };
        let name_text = words.first().copied().unwrap_or(".");
        let mut name = Name::from_ascii(name_text).map_err(|_| bad("bad owner name"))?;
        name.set_fqdn(true);
        if let Some(o) = &owner {
            if *o != name {
                return Err(AnchorError::SeveralOwners(o.to_string(), name.to_string()));
            }
        }
        owner = Some(name);
        let fields = &words[pos + 1..];
        let num = |i: usize| -> Result<u64, AnchorError> {
            fields
                .get(i)
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| bad("missing or bad number"))
        };
        // The first field is 16 bits (key tag, flags), the next two 8 bits each (algorithm and
        // digest type, protocol and algorithm): a larger number is an error, not cut short.
        let wide = |i: usize, field: &str| -> Result<u16, AnchorError> {
            let n = num(i)?;
            u16::try_from(n).map_err(|_| bad(&format!("{field} {n} is larger than 65535")))
        };
        let octet = |i: usize, field: &str| -> Result<u8, AnchorError> {
            let n = num(i)?;
            u8::try_from(n).map_err(|_| bad(&format!("{field} {n} is larger than 255")))
        };
        if words[pos].eq_ignore_ascii_case("DS") {
            let mut rdata = wide(0, "key tag")?.to_be_bytes().to_vec();
            rdata.push(octet(1, "algorithm")?);
            rdata.push(octet(2, "digest type")?);
            let hex: String = fields.get(3..).unwrap_or(&[]).concat();
            rdata.extend(hex_decode(&hex).ok_or_else(|| bad("bad digest hex"))?);
            anchor.ds.push(rdata);
        } else {
            let mut rdata = wide(0, "flags")?.to_be_bytes().to_vec();
            rdata.push(octet(1, "protocol")?);
            rdata.push(octet(2, "algorithm")?);
            let b64: String = fields.get(3..).unwrap_or(&[]).concat();
            let key = data_encoding::BASE64
                .decode(b64.as_bytes())
                .map_err(|_| bad("bad public key base64"))?;
            rdata.extend(key);
            anchor.dnskeys.push(rdata);
        }
    }
    anchor.owner = owner.ok_or(AnchorError::Empty)?;
    Ok(anchor)
}

/// Decodes hex (either case).
fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    data_encoding::HEXUPPER_PERMISSIVE
        .decode(hex.to_ascii_uppercase().as_bytes())
        .ok()
}
