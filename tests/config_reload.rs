//! A reload re-reads the configuration, not only the zone files: a zone added is served, a
//! zone removed is not, a changed transfer ACL and a new TSIG key take effect, and a
//! configuration that does not load keeps the running one (the error is logged).

mod common;

use std::fs;
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{Daned, require_tool};

const A: &str =
    "$ORIGIN a.example.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n";
const B: &str =
    "$ORIGIN b.example.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n@ NS ns\nns A 192.0.2.2\n";
const SECRET: &str = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA==";

fn zone(name: &str, acl: &str) -> String {
    format!(
        "[[zone]]\nname = \"{name}\"\nfile = \"{name}.zone\"\nsign = false\nallow_transfer = [{acl}]\n\n"
    )
}

/// Rewrites the configuration's zone and key tables (the `[server]` table stays).
fn rewrite(daned: &Daned, tail: &str) {
    let text = fs::read_to_string(&daned.config).unwrap();
    let server = &text[..text.find("[[zone]]").unwrap()];
    fs::write(&daned.config, format!("{server}{tail}")).unwrap();
}

/// Reloads and waits (bounded) for the daemon to log the `nth` finished reload. A
/// configuration that does not load cannot name the daemon: it gets SIGHUP directly.
fn reload(daned: &Daned, nth: usize) {
    if fs::read_to_string(&daned.config)
        .unwrap()
        .starts_with("[server]\n")
    {
        daned.cli(&["reload", "-c", daned.config.to_str().unwrap()]);
    } else {
        daned.proc.signal("HUP");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while daned.log().matches("reload done").count() < nth {
        assert!(
            Instant::now() < deadline,
            "reload {nth} not done:\n{}",
            daned.log()
        );
        sleep(Duration::from_millis(50));
    }
}

fn status(daned: &Daned, args: &[&str]) -> String {
    daned.kdig(args)
}

#[test]
fn a_reload_applies_zones_acls_and_tsig_keys_and_a_broken_config_keeps_the_running_one() {
    require_tool("kdig");
    let daned = Daned::start(
        &[("a.example.zone", A), ("b.example.zone", B)],
        &zone("a.example", "\"192.0.2.0/24\""),
        "a.example",
    );
    assert!(status(&daned, &["a.example", "AXFR"]).contains("REFUSED"));
    assert!(
        status(&daned, &["b.example", "SOA"]).contains("REFUSED"),
        "b is not served yet"
    );

    // Add b, open a's transfers to loopback with a TSIG key that did not exist at start.
    let key = format!(
        "[[tsig_key]]\nname = \"xfr\"\nalgorithm = \"hmac-sha256\"\nsecret = \"{SECRET}\"\n\n"
    );
    rewrite(
        &daned,
        &format!(
            "{}{}{key}",
            zone("a.example", "\"key:xfr\""),
            zone("b.example", "\"127.0.0.0/8\"")
        ),
    );
    reload(&daned, 1);
    let soa = status(&daned, &["b.example", "SOA", "+short"]);
    assert!(soa.contains(" 7 "), "b served after the reload: {soa}");
    let unsigned = status(&daned, &["a.example", "AXFR"]);
    assert!(
        unsigned.contains("REFUSED"),
        "a needs the key now: {unsigned}"
    );
    let tsig = format!("hmac-sha256:xfr:{SECRET}");
    let signed = status(&daned, &["-y", &tsig, "a.example", "AXFR"]);
    assert!(
        signed.contains("ns.a.example.") && !signed.contains("REFUSED"),
        "{signed}"
    );
    assert!(status(&daned, &["b.example", "AXFR"]).contains("ns.b.example."));

    // A broken configuration is refused, and everything keeps serving as it was.
    fs::write(&daned.config, "[server\nlisten = nonsense\n").unwrap();
    reload(&daned, 2);
    assert!(
        daned
            .log()
            .contains("configuration not reloaded, keeping the running one"),
        "{}",
        daned.log()
    );
    assert!(status(&daned, &["b.example", "SOA", "+short"]).contains(" 7 "));
    assert!(!status(&daned, &["-y", &tsig, "a.example", "AXFR"]).contains("REFUSED"));

    // Removing a zone from the configuration stops serving it.
    let text = format!(
        "[server]\nlisten = [\"127.0.0.1:{}\"]\nstate_dir = \"state\"\nudp_workers = 1\n\n{}",
        daned.port,
        zone("b.example", "\"127.0.0.0/8\"")
    );
    fs::write(&daned.config, text).unwrap();
    reload(&daned, 3);
    assert!(
        status(&daned, &["a.example", "SOA"]).contains("REFUSED"),
        "a no longer served"
    );
    assert!(status(&daned, &["b.example", "SOA", "+short"]).contains(" 7 "));
    assert!(daned.log().contains("no longer served"));
}
