use std::path::Path;

use crate::config::Config;
use crate::net::rrl::Mode;

fn parse(rrl: &str) -> Result<Config, String> {
    let text = format!("[server]\nlisten = [\"127.0.0.1:5300\"]\n[server.rrl]\n{rrl}\n");
    Config::parse(&text, Path::new("/etc/daned/daned.toml")).map_err(|e| e.to_string())
}

#[test]
fn rrl_is_off_without_the_table_and_on_with_defaults() {
    let c = Config::parse("[server]\n", Path::new("/d.toml")).unwrap();
    assert_eq!(c.server.rrl, None);
    let c = parse("").unwrap();
    let s = c.server.rrl.unwrap();
    assert_eq!((s.rate, s.slip, s.window), (20, 2, 15));
    assert_eq!((s.ipv4_prefix, s.ipv6_prefix), (24, 56));
    assert_eq!(s.mode, Mode::Limit);
    assert!(s.exempt.is_empty());
}

#[test]
fn every_key_is_read() {
    let c = parse(
        "rate = 5\nslip = 0\nwindow = \"2s\"\nipv4_prefix = 32\nipv6_prefix = 64\n\
         exempt = [\"127.0.0.0/8\", \"::1\"]\nlog_only = true",
    )
    .unwrap();
    let s = c.server.rrl.unwrap();
    assert_eq!((s.rate, s.slip, s.window), (5, 0, 2));
    assert_eq!((s.ipv4_prefix, s.ipv6_prefix), (32, 64));
    assert_eq!(s.exempt.len(), 2);
    assert_eq!(s.mode, Mode::LogOnly);
}

#[test]
fn bad_values_name_their_key() {
    for (text, key) in [
        ("rate = 0", "server.rrl.rate"),
        ("slip = 101", "server.rrl.slip"),
        ("window = \"0s\"", "server.rrl.window"),
        ("window = \"2h\"", "server.rrl.window"),
        ("rate = 10000000", "server.rrl.rate"),
        ("ipv4_prefix = 33", "server.rrl.ipv4_prefix"),
        ("ipv6_prefix = 0", "server.rrl.ipv6_prefix"),
        ("exempt = [\"nonsense\"]", "server.rrl.exempt"),
    ] {
        let e = parse(text).unwrap_err();
        assert!(e.contains(key), "{text}: {e}");
    }
    assert!(parse("rates = 5").is_err(), "unknown keys are refused");
}
