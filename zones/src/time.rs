//! Calendar dates and times of day in UTC, for the places a time is written for people or for
//! other tools: RRSIG presentation (`YYYYMMDDHHmmSS`, RFC 4034 section 3.2), date serials
//! (`YYYYMMDDnn`), key file timing fields, log and status lines, file names of `daned
//! simulate`.
//!
//! The one conversion between seconds since the epoch and the proleptic Gregorian calendar of
//! the project, so that every place agrees to the second. It uses Howard Hinnant's
//! `days_from_civil` and `civil_from_days` algorithms
//! (<https://howardhinnant.github.io/date_algorithms.html>) rather than a date crate: they are
//! twenty lines, exact for any `i64` day count in range, and this crate never reads the clock
//! (the caller passes the seconds).

use core::fmt;

//------------ UtcDateTime ---------------------------------------------------

/// A moment as a UTC calendar date (proleptic Gregorian) and time of day. Leap seconds are
/// not counted, as Unix time does not count them; a `:60` second parses as the next minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDateTime {
    /// The year (1970 and on for every time daned makes, but any year computes).
    pub year: i64,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
    /// The hour, 0 to 23.
    pub hour: u8,
    /// The minute, 0 to 59.
    pub minute: u8,
    /// The second, 0 to 59 (60 only when parsed).
    pub second: u8,
}

impl UtcDateTime {
    /// The date and time of `secs` seconds since 1970-01-01T00:00:00Z.
    pub fn from_unix(secs: i64) -> Self {
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let rem = secs.rem_euclid(86_400);
        Self {
            year,
            month,
            day,
            // `rem` is below 86 400, so every part fits an octet.
            hour: (rem / 3600) as u8,
            minute: (rem / 60 % 60) as u8,
            second: (rem % 60) as u8,
        }
    }

    /// [`Self::from_unix`] for an unsigned count, as the signer and the daemon keep time.
    /// Counts past `i64::MAX` (some 292 billion years) are taken as `i64::MAX`.
    pub fn from_unix_u64(secs: u64) -> Self {
        Self::from_unix(i64::try_from(secs).unwrap_or(i64::MAX))
    }

    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn to_unix(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The date as the number `YYYYMMDD`, the first eight digits of a date serial (years
    /// before 0 or after 9999 are clamped: they have no such number).
    pub fn yyyymmdd(self) -> u32 {
        let year = self.year.clamp(0, 9999) as u32;
        year * 10_000 + u32::from(self.month) * 100 + u32::from(self.day)
    }

    /// The compact form `YYYYMMDDHHmmSS` of RRSIG presentation (RFC 4034 section 3.2) and of
    /// BIND's key timing fields.
    pub fn to_compact(self) -> String {
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Parses the compact form `YYYYMMDDHHmmSS` (exactly fourteen digits, UTC).
    pub fn from_compact(text: &str) -> Result<Self, TimeError> {
        let digits = text.as_bytes();
        if digits.len() != 14 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(TimeError::NotFourteenDigits);
        }
        // Two or four ASCII digits as a number; they were checked above.
        let number = |from: usize, to: usize| {
            digits[from..to]
                .iter()
                .fold(0u16, |n, d| n * 10 + u16::from(d - b'0'))
        };
        let field = |from: usize| number(from, from + 2) as u8;
        let out = Self {
            year: i64::from(number(0, 4)),
            month: field(4),
            day: field(6),
            hour: field(8),
            minute: field(10),
            second: field(12),
        };
        if !(1..=12).contains(&out.month) {
            return Err(TimeError::Month(out.month));
        }
        if out.day < 1 || out.day > days_in_month(out.year, out.month) {
            return Err(TimeError::Day(out.day));
        }
        if out.hour > 23 || out.minute > 59 || out.second > 60 {
            return Err(TimeError::TimeOfDay);
        }
        Ok(out)
    }
}

//--- Display

/// `YYYY-MM-DD hh:mm:ss`, the form of log and status lines (ISO 8601 with a space).
impl fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

//------------ TimeError -----------------------------------------------------

/// Why text is not a compact UTC time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeError {
    /// Not exactly fourteen ASCII digits (RFC 4034 section 3.2 `YYYYMMDDHHmmSS`).
    #[error("not fourteen digits YYYYMMDDHHmmSS")]
    NotFourteenDigits,
    /// A month outside 1 to 12.
    #[error("month {0} is not 1 to 12")]
    Month(u8),
    /// A day that the month does not have.
    #[error("day {0} is not in the month")]
    Day(u8),
    /// An hour past 23, a minute past 59 or a second past 60.
    #[error("time of day out of range")]
    TimeOfDay,
}

//------------ Calendar ------------------------------------------------------

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let (month, day) = (i64::from(month), i64::from(day));
    // Years start in March, so that the leap day is the last of its year.
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153;
    // Both below 32 by construction.
    let day = (day_of_year - (153 * march_month + 2) / 5 + 1) as u8;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    } as u8;
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

/// The number of days in `month` of `year`.
fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_form_agrees_with_the_date_command() {
        // `date -u -d @1700000000 +%Y%m%d%H%M%S` prints 20231114221320.
        let t = UtcDateTime::from_unix(1_700_000_000);
        assert_eq!(t.to_compact(), "20231114221320");
        assert_eq!(UtcDateTime::from_compact("20231114221320"), Ok(t));
        assert_eq!(t.to_unix(), 1_700_000_000);
        assert_eq!(UtcDateTime::from_unix(0).to_compact(), "19700101000000");
    }

    #[test]
    fn rfc_4034_section_3_3_example_times_convert() {
        // RFC 4034 section 3.3: expiration 20030322173103, inception 20030220173103;
        // `date -u -d 2003-03-22T17:31:03 +%s` prints 1048354263.
        let exp = UtcDateTime::from_compact("20030322173103").unwrap();
        assert_eq!(exp.to_unix(), 1_048_354_263);
        let inc = UtcDateTime::from_compact("20030220173103").unwrap();
        assert_eq!(exp.to_unix() - inc.to_unix(), 30 * 86_400);
    }

    #[test]
    fn readable_form_and_date_numbers() {
        let t = UtcDateTime::from_unix(951_782_400 + 3661);
        assert_eq!(t.to_string(), "2000-02-29 01:01:01");
        assert_eq!(t.yyyymmdd(), 20000229);
        assert_eq!(UtcDateTime::from_unix(1_795_420_000).yyyymmdd(), 20261123);
        assert_eq!(UtcDateTime::from_unix(0).yyyymmdd(), 19700101);
    }

    #[test]
    fn times_before_the_epoch_count_backwards() {
        let t = UtcDateTime::from_unix(-1);
        assert_eq!(t.to_compact(), "19691231235959");
        assert_eq!(t.to_unix(), -1);
    }

    #[test]
    fn every_day_of_four_centuries_round_trips() {
        // 1900-03-01 to 2300-03-01 covers every leap-year rule (1900 and 2100 are not leap
        // years, 2000 is).
        let (from, to) = (-25_508, 120_589);
        let mut previous = UtcDateTime::from_unix((from - 1) * 86_400);
        for day in from..to {
            let t = UtcDateTime::from_unix(day * 86_400 + 86_399);
            assert_eq!(t.to_unix(), day * 86_400 + 86_399);
            assert!(t > previous);
            assert_eq!(UtcDateTime::from_compact(&t.to_compact()), Ok(t));
            previous = t;
        }
    }

    #[test]
    fn bad_compact_times_say_what_is_wrong() {
        use TimeError::*;
        assert_eq!(
            UtcDateTime::from_compact("2024130100000"),
            Err(NotFourteenDigits)
        );
        assert_eq!(
            UtcDateTime::from_compact("2024010100000x"),
            Err(NotFourteenDigits)
        );
        assert_eq!(UtcDateTime::from_compact("20241301000000"), Err(Month(13)));
        assert_eq!(UtcDateTime::from_compact("20230229000000"), Err(Day(29)));
        assert_eq!(UtcDateTime::from_compact("20240100000000"), Err(Day(0)));
        assert_eq!(UtcDateTime::from_compact("20240101240000"), Err(TimeOfDay));
        assert!(UtcDateTime::from_compact("20240229235960").is_ok());
    }
}
