//! Time values for RRSIG validity fields (RFC 4034 section 3.1.5, serial arithmetic of RFC 1982).
//!
//! The signer never reads the system clock: every function that needs the time takes a
//! [`Timestamp`] so that the daemon, the simulator and the tests run the same code.

use core::fmt;

use zones::time::UtcDateTime;

//------------ Timestamp -----------------------------------------------------

/// Seconds since the Unix epoch (1970-01-01T00:00:00Z).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// A timestamp from seconds since the epoch.
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// Seconds since the epoch.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// This time plus `secs` seconds (saturating).
    pub const fn add_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// This time minus `secs` seconds (saturating at the epoch).
    pub const fn sub_secs(self, secs: u64) -> Self {
        Self(self.0.saturating_sub(secs))
    }

    /// The 32-bit RRSIG field value: seconds modulo 2^32 (RFC 4034 section 3.1.5).
    pub const fn to_rrsig_field(self) -> u32 {
        self.0 as u32
    }

    /// The absolute time an RRSIG field denotes, taken as the value within 2^31 seconds of
    /// `now` (RFC 4034 section 3.1.5: the fields wrap, so only serial arithmetic is meaningful).
    pub fn from_rrsig_field(field: u32, now: Self) -> Self {
        let now32 = now.0 as u32;
        let diff = field.wrapping_sub(now32) as i32;
        Self(now.0.wrapping_add_signed(i64::from(diff)))
    }

    /// The RFC 1982 "less than" for two RRSIG field values: true when `a` is before `b`.
    pub fn rrsig_field_before(a: u32, b: u32) -> bool {
        a != b && (b.wrapping_sub(a) as i32) > 0
    }

    /// The presentation format of RRSIG times, `YYYYMMDDHHmmSS` in UTC (RFC 4034 section 3.2).
    pub fn to_rrsig_presentation(self) -> String {
        UtcDateTime::from_unix_u64(self.0).to_compact()
    }

    /// Parses `YYYYMMDDHHmmSS` (UTC), as in RRSIG presentation and BIND key timing fields;
    /// `None` for malformed text or a time before the epoch.
    pub fn from_rrsig_presentation(s: &str) -> Option<Self> {
        let secs = UtcDateTime::from_compact(s).ok()?.to_unix();
        u64::try_from(secs).ok().map(Self)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rrsig_presentation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presentation_round_trips_the_rfc_6605_inception() {
        let t = Timestamp::from_rrsig_presentation("20100812100439").unwrap();
        assert_eq!(t.as_secs(), 1_281_607_479);
        assert_eq!(t.to_rrsig_presentation(), "20100812100439");
    }

    #[test]
    fn rrsig_fields_after_2106_wrap_and_still_compare_by_serial_arithmetic() {
        let now = Timestamp(u64::from(u32::MAX) - 10);
        let later = now.add_secs(100);
        let field = later.to_rrsig_field();
        assert!(field < 100);
        assert!(Timestamp::rrsig_field_before(now.to_rrsig_field(), field));
        assert_eq!(Timestamp::from_rrsig_field(field, now), later);
    }
}
