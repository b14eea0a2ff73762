//! The TLS-RPT record (RFC 8460 section 3): `_smtp._tls.ZONE TXT "v=TLSRPTv1; rua=URI[,URI]"`,
//! where senders send their daily reports on TLS failures (DANE and MTA-STS).

/// Why a `rua` URI is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuaError {
    /// No URI at all.
    #[error("rua is empty: give at least one mailto: or https: URI")]
    Empty,
    /// A URI of another scheme.
    #[error("{0:?}: rua URIs are mailto: or https: (RFC 8460 section 3)")]
    Scheme(String),
    /// A mailto: URI without an address, or an https: URI without a host.
    #[error("{0:?}: no address or host")]
    Incomplete(String),
    /// A character the record's syntax reserves (`,`, `;`, `!`, space): it must be
    /// percent-encoded (RFC 8460 section 3).
    #[error("{0:?}: \",\", \";\", \"!\" and spaces must be percent-encoded (RFC 8460 section 3)")]
    Reserved(String),
}

/// Checks each URI of `rua`.
pub fn check_rua(rua: &[String]) -> Result<(), RuaError> {
    if rua.is_empty() {
        return Err(RuaError::Empty);
    }
    for uri in rua {
        if uri.contains([',', ';', '!', ' ', '\t']) {
            return Err(RuaError::Reserved(uri.clone()));
        }
        let lower = uri.to_ascii_lowercase();
        if let Some(addr) = lower.strip_prefix("mailto:") {
            let (local, domain) = addr.split_once('@').unwrap_or(("", ""));
            if local.is_empty() || !domain.contains('.') {
                return Err(RuaError::Incomplete(uri.clone()));
            }
        } else if let Some(rest) = lower.strip_prefix("https://") {
            if rest.split('/').next().is_none_or(str::is_empty) {
                return Err(RuaError::Incomplete(uri.clone()));
            }
        } else {
            return Err(RuaError::Scheme(uri.clone()));
        }
    }
    Ok(())
}

/// The record's text.
pub fn record_text(rua: &[String]) -> String {
    format!("v=TLSRPTv1; rua={}", rua.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_and_https_uris_make_the_rfc_8460_record() {
        // RFC 8460 section 3.1's examples.
        let rua = vec![
            "mailto:reports@example.com".to_string(),
            "https://reporting.example.com/v1/tlsrpt".to_string(),
        ];
        assert_eq!(check_rua(&rua), Ok(()));
        assert_eq!(
            record_text(&rua),
            "v=TLSRPTv1; rua=mailto:reports@example.com,https://reporting.example.com/v1/tlsrpt"
        );
    }

    #[test]
    fn other_schemes_incomplete_uris_and_reserved_characters_are_refused() {
        let bad = |u: &str| check_rua(&[u.to_string()]).unwrap_err();
        assert_eq!(check_rua(&[]), Err(RuaError::Empty));
        assert!(matches!(bad("http://r.example.com/"), RuaError::Scheme(_)));
        assert!(matches!(bad("reports@example.com"), RuaError::Scheme(_)));
        assert!(matches!(bad("mailto:example.com"), RuaError::Incomplete(_)));
        assert!(matches!(bad("https:///x"), RuaError::Incomplete(_)));
        assert!(matches!(
            bad("mailto:a@example.com,b@example.com"),
            RuaError::Reserved(_)
        ));
        assert!(matches!(
            bad("mailto:a@example.com!10m"),
            RuaError::Reserved(_)
        ));
    }
}
