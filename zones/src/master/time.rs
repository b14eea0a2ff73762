//! RRSIG timestamps (RFC 4034 section 3.2): `YYYYMMDDHHmmSS` in UTC or plain seconds.
//!
//! Civil-date arithmetic is done here (Howard Hinnant's days-from-civil algorithm) rather than
//! with a date crate: it is twenty lines and the zone crate never reads the clock.

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses an RRSIG time field. Fourteen digits are a UTC date (RFC 4034 section 3.2), taken
/// modulo 2^32 as serial arithmetic demands; anything else must be plain seconds.
pub(crate) fn parse_sig_time(text: &str) -> Option<u32> {
    if !text.bytes().all(|b| b.is_ascii_digit()) || text.is_empty() {
        return None;
    }
    if text.len() == 14 {
        let n = |r: core::ops::Range<usize>| text.get(r)?.parse::<i64>().ok();
        let (y, mo, d, h, mi, s) = (
            n(0..4)?,
            n(4..6)?,
            n(6..8)?,
            n(8..10)?,
            n(10..12)?,
            n(12..14)?,
        );
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
            return None;
        }
        let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s;
        return Some(secs.rem_euclid(1 << 32) as u32);
    }
    text.parse::<u32>().ok()
}

/// Formats seconds since the epoch as `YYYYMMDDHHmmSS`.
pub(crate) fn format_sig_time(secs: u32) -> String {
    let secs = i64::from(secs);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_seconds_agree_with_date_command() {
        // `date -u -d @1700000000 +%Y%m%d%H%M%S` prints 20231114221320.
        assert_eq!(parse_sig_time("20231114221320"), Some(1_700_000_000));
        assert_eq!(format_sig_time(1_700_000_000), "20231114221320");
        assert_eq!(parse_sig_time("1700000000"), Some(1_700_000_000));
        assert_eq!(format_sig_time(0), "19700101000000");
        assert_eq!(parse_sig_time("20241301000000"), None);
    }
}
