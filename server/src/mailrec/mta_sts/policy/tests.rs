use super::*;

/// The example policy of RFC 8461 section 3.2.
const RFC_EXAMPLE: &str = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n\
                           mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";

fn name(text: &str) -> Name {
    Name::from_ascii(text).unwrap()
}

#[test]
fn the_rfc_8461_example_policy_parses_and_covers_its_hosts() {
    let p = StsPolicy::parse(RFC_EXAMPLE).unwrap();
    assert_eq!(p.mode, Mode::Enforce);
    assert_eq!(p.max_age, 604_800);
    assert_eq!(p.mx.len(), 3);
    assert!(p.covers("mail.example.com."));
    assert!(p.covers("BackupMX.example.com"));
    assert!(p.covers("mx1.example.net"));
    // RFC 8461 section 4.1: the wildcard covers one label only, and not the parent.
    assert!(!p.covers("a.b.example.net"));
    assert!(!p.covers("example.net"));
    assert!(!p.covers("other.example.com"));
}

#[test]
fn an_mx_target_no_pattern_covers_is_an_error_naming_it() {
    let p = StsPolicy::parse(RFC_EXAMPLE).unwrap();
    let covered = [name("mail.example.com."), name("mx9.example.net.")];
    assert_eq!(p.check_targets(&covered), Ok(()));
    let missing = [name("mail.example.com."), name("mx2.example.com.")];
    let err = p.check_targets(&missing).unwrap_err();
    assert_eq!(err, PolicyError::Uncovered("mx2.example.com.".into()));
    assert!(err.to_string().contains("mx2.example.com"));
    // A null MX needs no pattern.
    assert_eq!(p.check_targets(&[Name::root()]), Ok(()));
}

#[test]
fn missing_or_bad_fields_are_refused() {
    let cases = [
        (
            "mode: enforce\nmx: a.example\nmax_age: 1\n",
            PolicyError::Version,
        ),
        (
            "version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n",
            PolicyError::Version,
        ),
        (
            "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n",
            PolicyError::Mode,
        ),
        (
            "version: STSv1\nmode: enforce\nmx: a.example\n",
            PolicyError::MaxAge,
        ),
        (
            "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n",
            PolicyError::MaxAge,
        ),
        (
            "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n",
            PolicyError::MaxAge,
        ),
        (
            "version: STSv1\nmode: enforce\nmax_age: 1\n",
            PolicyError::NoMx,
        ),
        (
            "version: STSv1\nmode: enforce\nmx: a_b.example\nmax_age: 1\n",
            PolicyError::BadMx("a_b.example".into()),
        ),
        (
            "version: STSv1\nmode: enforce\nmode: testing\nmx: a.example\nmax_age: 1\n",
            PolicyError::Repeated("mode".into()),
        ),
        ("version: STSv1\ngarbage\n", PolicyError::Syntax(2)),
    ];
    for (text, want) in cases {
        assert_eq!(StsPolicy::parse(text), Err(want.clone()), "{text:?}");
    }
    // mode none needs no mx; unknown keys are extensions.
    let p = StsPolicy::parse("version: STSv1\nmode: none\nmax_age: 0\nfoo: bar\n").unwrap();
    assert_eq!(p.mode, Mode::None);
    assert_eq!(p.check_targets(&[name("x.example.")]), Ok(()));
}

#[test]
fn the_id_follows_the_content_and_round_trips_through_the_record() {
    let a = policy_id(RFC_EXAMPLE.as_bytes());
    assert_eq!(a, policy_id(RFC_EXAMPLE.as_bytes()));
    assert_ne!(
        a,
        policy_id(RFC_EXAMPLE.replace("enforce", "testing").as_bytes())
    );
    assert_eq!(a.len(), 20);
    assert!(a.bytes().all(|b| b.is_ascii_alphanumeric()));
    let text = record_text(&a);
    assert_eq!(id_of_record(&text), Some(a));
    assert_eq!(id_of_record("v=STSv1;id=x"), Some("x".into()));
    assert_eq!(id_of_record("v=spf1 -all"), None);
}
