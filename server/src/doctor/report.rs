//! The doctor's report: per MX host what passed, the failure with the 5.7.32x code a DANE
//! sender gives and what to fix, and warnings about what is about to break; as text for people
//! and as JSON (`--json`) for machines.

use serde::Serialize;

/// The codes Exchange Online-style DANE senders give (and their names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Code {
    /// 5.7.321 starttls-not-supported.
    #[serde(rename = "5.7.321")]
    StarttlsNotSupported,
    /// 5.7.322 certificate-expired.
    #[serde(rename = "5.7.322")]
    CertificateExpired,
    /// 5.7.323 tlsa-invalid.
    #[serde(rename = "5.7.323")]
    TlsaInvalid,
    /// 5.7.324 dnssec-invalid.
    #[serde(rename = "5.7.324")]
    DnssecInvalid,
    /// 4.4.1: no connection (a sender retries later; not a DANE failure as such).
    #[serde(rename = "4.4.1")]
    NoConnection,
    /// 5.1.2: no usable MX (nothing to deliver to).
    #[serde(rename = "5.1.2")]
    NoMx,
    /// The doctor got no usable answer (a timeout, a malformed reply, its deadline, or an
    /// answer costing more to validate than validators allow): not a verdict on the domain.
    #[serde(rename = "could-not-check")]
    CouldNotCheck,
}

impl Code {
    /// `5.7.323 tlsa-invalid` and the like.
    pub fn label(self) -> &'static str {
        match self {
            Self::StarttlsNotSupported => "5.7.321 starttls-not-supported",
            Self::CertificateExpired => "5.7.322 certificate-expired",
            Self::TlsaInvalid => "5.7.323 tlsa-invalid",
            Self::DnssecInvalid => "5.7.324 dnssec-invalid",
            Self::NoConnection => "4.4.1 no connection",
            Self::NoMx => "5.1.2 no usable MX",
            Self::CouldNotCheck => "could not check",
        }
    }
}

/// A failure: what a sender reports, why, and the fix.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The code.
    pub code: Code,
    /// What went wrong.
    pub reason: String,
    /// What to do about it.
    pub fix: String,
}

/// One step that passed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pass {
    /// What was checked and found right.
    pub what: String,
}

/// The report for one MX host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HostReport {
    /// The host (no final dot).
    pub host: String,
    /// Its MX preference.
    pub preference: u16,
    /// Steps that passed, in order.
    pub passed: Vec<Pass>,
    /// The failure that stops a sender, if any (the first one met).
    pub failure: Option<Failure>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Whether TLSA records exist (false: senders do not use DANE for this host).
    pub dane: bool,
}

/// The whole report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The domain (no final dot).
    pub domain: String,
    /// The trust anchor's owner.
    pub trust_anchor: String,
    /// The resolver asked.
    pub resolver: String,
    /// The SMTP port.
    pub port: u16,
    /// Domain-level steps that passed (the MX lookup).
    pub passed: Vec<Pass>,
    /// A domain-level failure (the MX RRset itself).
    pub failure: Option<Failure>,
    /// Per MX host.
    pub hosts: Vec<HostReport>,
    /// Domain-level warnings (signatures, DS records).
    pub warnings: Vec<String>,
    /// Whether a DANE sender delivers: no failure anywhere.
    pub delivers: bool,
    /// DKIM, MTA-STS, TLS-RPT, SPF and DMARC findings (they do not change `delivers`).
    pub mail: super::mail::MailReport,
}

impl Report {
    /// Whether a DANE sender delivers to every MX host.
    pub fn delivers(&self) -> bool {
        self.delivers
    }

    /// Sets [`delivers`](Self::delivers) from the failures.
    pub fn finish(&mut self) {
        self.delivers = self.failure.is_none()
            && !self.hosts.is_empty()
            && self.hosts.iter().all(|h| h.failure.is_none());
    }

    /// Every code reported, domain first.
    pub fn codes(&self) -> Vec<Code> {
        self.failure
            .iter()
            .chain(self.hosts.iter().filter_map(|h| h.failure.as_ref()))
            .map(|f| f.code)
            .collect()
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    /// The report as text.
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "daned doctor: {} (trust anchor {}, resolver {}, SMTP port {})\n",
            self.domain, self.trust_anchor, self.resolver, self.port
        );
        for p in &self.passed {
            out.push_str(&format!("  ok    {}\n", p.what));
        }
        if let Some(f) = &self.failure {
            push_failure(&mut out, f, "  ");
        }
        for h in &self.hosts {
            out.push_str(&format!("MX {} (preference {})\n", h.host, h.preference));
            for p in &h.passed {
                out.push_str(&format!("  ok    {}\n", p.what));
            }
            if let Some(f) = &h.failure {
                push_failure(&mut out, f, "  ");
            }
            for w in &h.warnings {
                out.push_str(&format!("  warn  {w}\n"));
            }
        }
        for w in &self.warnings {
            out.push_str(&format!("warn  {w}\n"));
        }
        let mail = &self.mail;
        if !(mail.passed.is_empty() && mail.errors.is_empty() && mail.warnings.is_empty()) {
            out.push_str("mail records\n");
            for p in &mail.passed {
                out.push_str(&format!("  ok    {p}\n"));
            }
            for e in &mail.errors {
                out.push_str(&format!("  ERROR {e}\n"));
            }
            for w in &mail.warnings {
                out.push_str(&format!("  warn  {w}\n"));
            }
        }
        if self.delivers {
            out.push_str("result: a DANE sender delivers\n");
        } else if !self.codes().is_empty() && self.codes().iter().all(|c| *c == Code::CouldNotCheck)
        {
            // No verdict on the domain: the doctor got no usable answer.
            out.push_str("result: could not check (no usable answer; see above)\n");
        } else {
            let codes: Vec<&str> = self.codes().iter().map(|c| c.label()).collect();
            out.push_str(&format!(
                "result: a DANE sender defers ({})\n",
                if codes.is_empty() {
                    "no MX host".to_string()
                } else {
                    codes.join(", ")
                }
            ));
        }
        out
    }
}

/// Appends a failure with its fix.
fn push_failure(out: &mut String, f: &Failure, indent: &str) {
    out.push_str(&format!("{indent}FAIL  {}: {}\n", f.code.label(), f.reason));
    out.push_str(&format!("{indent}      fix: {}\n", f.fix));
}
