//! Durations as the configuration and the command line write them: a number with a unit `s`,
//! `m`, `h`, `d` or `w` ("10s", "14d"), several joined ("1h30m"), or a bare number of seconds
//! ("0", "90").

use std::time::Duration;

//------------ parse_duration -------------------------------------------------

/// Parses a duration such as "10s", "5m", "1h", "14d", "2w" or "0" (a bare number is seconds).
/// Several parts may be joined: "1h30m".
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let s = text.trim();
    if s.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(DurationError::NoNumber(text.to_owned()));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::NumberTooLarge(text.to_owned()))?;
        rest = &rest[digits..];
        let unit = match rest.bytes().next() {
            None | Some(b's') => 1,
            Some(b'm') => 60,
            Some(b'h') => 3600,
            Some(b'd') => 86_400,
            Some(b'w') => 7 * 86_400,
            Some(_) => return Err(DurationError::UnknownUnit(text.to_owned())),
        };
        if !rest.is_empty() {
            rest = &rest[1..];
        }
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| DurationError::TooLarge(text.to_owned()))?;
    }
    Ok(Duration::from_secs(total))
}

//------------ DurationError --------------------------------------------------

/// Why a duration could not be read. Each variant keeps the text as written, so that the
/// message alone shows what to fix; the caller adds which key or flag it came from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Nothing (or only blanks) was written.
    #[error("empty duration")]
    Empty,
    /// A part does not start with a number ("s", "h1").
    #[error("{0:?}: expected a number")]
    NoNumber(String),
    /// A number has more digits than 64 bits hold.
    #[error("{0:?}: number too large")]
    NumberTooLarge(String),
    /// A unit other than s, m, h, d or w.
    #[error("{0:?}: unknown unit (use s, m, h, d or w)")]
    UnknownUnit(String),
    /// The total does not fit in 64 bits of seconds.
    #[error("{0:?}: too large")]
    TooLarge(String),
}

//------------ Tests ----------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_accept_units_and_bare_seconds() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("14d"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration(" 5m "), Ok(Duration::from_secs(300)));
    }

    #[test]
    fn each_malformed_duration_has_its_own_error_naming_the_text() {
        assert_eq!(parse_duration(""), Err(DurationError::Empty));
        assert_eq!(parse_duration("  "), Err(DurationError::Empty));
        assert_eq!(
            parse_duration("s"),
            Err(DurationError::NoNumber("s".into()))
        );
        assert_eq!(
            parse_duration("5x"),
            Err(DurationError::UnknownUnit("5x".into()))
        );
        assert_eq!(
            parse_duration("99999999999999999999d"),
            Err(DurationError::NumberTooLarge(
                "99999999999999999999d".into()
            ))
        );
        assert_eq!(
            parse_duration("99999999999999999w"),
            Err(DurationError::TooLarge("99999999999999999w".into()))
        );
        assert_eq!(
            DurationError::UnknownUnit("10y".into()).to_string(),
            "\"10y\": unknown unit (use s, m, h, d or w)"
        );
    }
}
