use super::*;
use zones::master::parse_zone_str;

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n@ MX 10 mx1\n@ MX 20 mx2.example.net.\nmx1 A 192.0.2.25\n";

const POLICY: &str =
    "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.example.net\nmax_age: 86400\n";

fn zone(extra: &str) -> Zone {
    let origin = zones::Name::from_ascii("example.com.").unwrap();
    parse_zone_str(&format!("{ZONE}{extra}"), &origin, "t")
        .unwrap()
        .zone
}

fn config(dir: &std::path::Path, text: &str, probe: bool) -> MtaStsConfig {
    let policy = dir.join("mta-sts.txt");
    std::fs::write(&policy, text).unwrap();
    MtaStsConfig {
        policy,
        probe: probe.then(|| StsEndpoint {
            url: "https://mta-sts.example.com".into(),
            addr: None,
            ca: None,
        }),
        ttl: Ttl(300),
    }
}

#[test]
fn without_probe_the_file_id_is_published_and_kept_while_the_content_stays() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), POLICY, false);
    let z = zone("mta-sts A 192.0.2.80\n");
    let p = plan(&c, &z, None, None);
    let id = policy::policy_id(POLICY.as_bytes());
    assert_eq!(p.id.as_deref(), Some(id.as_str()));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(plan(&c, &z, Some(&id), None).id, None, "already published");
}

#[test]
fn with_probe_the_new_id_waits_until_the_endpoint_serves_the_new_content() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), POLICY, true);
    let z = zone("mta-sts A 192.0.2.80\n");
    let id = policy::policy_id(POLICY.as_bytes());
    let p = plan(&c, &z, Some("old"), None);
    assert_eq!((p.id, p.held.is_some()), (None, true));
    let p = plan(&c, &z, Some("old"), Some(&Ok("old".into())));
    assert!(p.held.unwrap().contains("not the file's"));
    let p = plan(&c, &z, Some("old"), Some(&Err("refused".into())));
    assert!(p.held.unwrap().contains("refused"));
    let p = plan(&c, &z, Some("old"), Some(&Ok(id.clone())));
    assert_eq!(p.id, Some(id));
}

#[test]
fn an_uncovered_mx_or_a_broken_file_keeps_the_published_id_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(
        dir.path(),
        &POLICY.replace("mx: *.example.net\n", ""),
        false,
    );
    let p = plan(&c, &zone(""), Some("old"), None);
    assert_eq!(p.id, None);
    let e = p.error.unwrap();
    assert!(
        e.contains("mx2.example.net") && e.contains("mta-sts.txt"),
        "{e}"
    );
    let c = config(dir.path(), "version: STSv1\nmode: enforce\n", false);
    let e = plan(&c, &zone(""), None, None).error.unwrap();
    assert!(e.contains("mta-sts.txt") && e.contains("max_age"), "{e}");
}

#[test]
fn no_address_for_the_policy_host_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let c = config(dir.path(), POLICY, false);
    let p = plan(&c, &zone(""), None, None);
    assert!(p.id.is_some());
    assert!(
        p.warnings[0].contains("mta-sts.example.com"),
        "{:?}",
        p.warnings
    );
}
