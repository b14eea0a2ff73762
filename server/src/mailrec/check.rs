//! What `daned check` says about a zone's mail records before the daemon serves them: every
//! DKIM key file readable and strong enough, the MTA-STS policy file valid and covering the
//! zone file's MX targets, no zone-file TXT at a name daned manages.

use zones::Zone;

use super::manager::{MailManager, read_key};
use super::mta_sts::source;
use crate::config::ZoneConfig;

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// The zone cannot be served as configured.
    Error(String),
    /// It can, but something is about to break.
    Warning(String),
}

/// Checks the mail records of `config` against `zone` (the zone file's content).
pub fn check(config: &ZoneConfig, zone: &Zone) -> Vec<Finding> {
    let mut out = Vec::new();
    for binding in &config.dkim {
        for (selector, file, _) in binding.keys() {
            match read_key(file) {
                Ok(key) if key.is_weak() => out.push(Finding::Warning(format!(
                    "dkim: {}: RSA key of {} bits; use at least 2048 (RFC 8301 section 3.2)",
                    file.display(),
                    key.bits
                ))),
                Ok(_) => {}
                Err(e) => out.push(Finding::Error(format!("dkim: selector {selector}: {e}"))),
            }
        }
    }
    if let Some(sts) = &config.mta_sts {
        let plan = source::plan(sts, zone, None, None);
        if let Some(e) = plan.error {
            out.push(Finding::Error(format!("mta_sts: {e}")));
        }
        out.extend(
            plan.warnings
                .into_iter()
                .map(|w| Finding::Warning(format!("mta_sts: {w}"))),
        );
    }
    let mut manager = MailManager::load(config, None);
    if let Err(e) = manager.with_managed(&config.file, zone.clone(), None, 0) {
        out.push(Finding::Error(e.to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::Config;

    const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                        ns A 192.0.2.1\n@ MX 10 mx1\nmx1 A 192.0.2.25\n";

    /// `daned check`'s output for a folder with `zone_extra` in the zone file, `files`, and
    /// `tables` after the `[[zone]]` table.
    fn check(zone_extra: &str, files: &[(&str, &str)], tables: &str) -> (usize, String) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("z.zone"), format!("{ZONE}{zone_extra}")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let path = dir.path().join("daned.toml");
        let text = format!("[[zone]]\nname = \"example.com\"\nfile = \"z.zone\"\n{tables}");
        std::fs::write(&path, &text).unwrap();
        let config = Config::load(&path).unwrap();
        let mut out = Vec::new();
        let errors = crate::cli::check::check(&config, &mut out).unwrap();
        (errors, String::from_utf8(out).unwrap())
    }

    /// An Ed25519 PKCS#8 key (RFC 8463 appendix A.2's).
    fn key() -> String {
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend(
            data_encoding::BASE64
                .decode(b"nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=")
                .unwrap(),
        );
        pem::encode(&pem::Pem::new("PRIVATE KEY", der))
    }

    const POLICY: &str = "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 86400\n";

    #[test]
    fn good_mail_tables_pass_with_the_missing_policy_host_as_a_warning() {
        let (errors, out) = check(
            "",
            &[("s1.key", &key()), ("sts.txt", POLICY)],
            "[[zone.dkim]]\nselector = \"s1\"\nkey = \"s1.key\"\n\
             [zone.mta_sts]\npolicy = \"sts.txt\"\n[zone.tls_rpt]\nrua = [\"mailto:r@example.com\"]\n",
        );
        assert_eq!(errors, 0, "{out}");
        assert!(
            out.contains(
                "warning: zone example.com.: mta_sts: no A, AAAA or CNAME at mta-sts.example.com"
            ),
            "{out}"
        );
        assert!(out.contains("ok: example.com."), "{out}");
    }

    #[test]
    fn a_missing_key_an_uncovered_mx_and_a_zone_file_record_are_errors_naming_them() {
        let (errors, out) = check(
            "",
            &[("sts.txt", &POLICY.replace("mx1", "mx9"))],
            "[[zone.dkim]]\nselector = \"s1\"\nkey = \"missing.key\"\n[zone.mta_sts]\npolicy = \"sts.txt\"\n",
        );
        assert_eq!(errors, 2, "{out}");
        assert!(
            out.contains("selector s1") && out.contains("missing.key"),
            "{out}"
        );
        assert!(
            out.contains("MX target mx1.example.com.") && out.contains("sts.txt"),
            "{out}"
        );
        let (errors, out) = check(
            "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:x@example.com\"\n",
            &[],
            "[zone.tls_rpt]\nrua = [\"mailto:r@example.com\"]\n",
        );
        assert_eq!(errors, 1, "{out}");
        assert!(
            out.contains("_smtp._tls.example.com") && out.contains("remove them"),
            "{out}"
        );
    }

    #[test]
    fn bad_tables_are_refused_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("daned.toml");
        let cases = [
            (
                "[zone.tls_rpt]\nrua = [\"http://r.example.com\"]\n",
                "tls_rpt: rua",
            ),
            ("[zone.tls_rpt]\nrua = []\n", "rua is empty"),
            (
                "[[zone.dkim]]\nselector = \"s_1\"\nkey = \"k\"\n",
                "dkim: selector",
            ),
            (
                "[[zone.dkim]]\nselector = \"s1\"\nkey = \"k\"\nnext_selector = \"s2\"\n",
                "go together",
            ),
            (
                "[[zone.dkim]]\nselector = \"s1\"\nkey = \"k\"\nnext_selector = \"S1\"\nnext_key = \"k2\"\n",
                "must differ",
            ),
            (
                "[[zone.dkim]]\nselector = \"s1\"\nkey = \"k\"\n[[zone.dkim]]\nselector = \"s1\"\nkey = \"k2\"\n",
                "named twice",
            ),
            (
                "[zone.mta_sts]\npolicy = \"p\"\nprobe = \"http://x\"\n",
                "mta_sts: probe",
            ),
            (
                "[zone.mta_sts]\npolicy = \"p\"\nprobe_ca = \"ca.pem\"\n",
                "need probe",
            ),
            (
                "[[zone.dkim]]\nselector = \"s1\"\nkey = \"k\"\nrevoke = \"yes\"\n",
                "revoke",
            ),
        ];
        for (tables, want) in cases {
            let text = format!("[[zone]]\nname = \"example.com\"\nfile = \"z.zone\"\n{tables}");
            std::fs::write(&path, &text).unwrap();
            let err = Config::load(&path).unwrap_err().to_string();
            assert!(err.contains(want), "{tables}: {err}");
        }
    }
}
