//! daned's DNS client (`daned::net::client`) against a real peer: knotd with a TSIG key
//! (RFC 8945). A query and a NOTIFY (RFC 1996) signed by the client are accepted by knotd, and
//! knotd's signed responses verify with daned's verifier; a wrong secret and an unknown key
//! come back as knotd's BADSIG and BADKEY, which the client reports as such.

mod common;

use std::fs;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use common::{Proc, free_port, require_tool, wait_for_soa};
use daned::net::client::{Client, ClientError, Request, Transport};
use daned::net::tsig::{ResponseTsigError, TsigAlgorithm, TsigKey};
use hickory_proto::op::{OpCode, ResponseCode};
use hickory_proto::rr::{RData, RecordType};
use zones::Name;

/// The shared secret (base64, as knotd's configuration takes it).
const SECRET: &str = "270Ly/kcRrg/fZ+laoBQmMSKt96fmAQ6hh+Y91K4P8k=";

const ZONE: &str = "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hm 7 3600 600 86400 60\n@ NS ns\n\
                    ns A 192.0.2.1\n";

/// A knotd serving example.com that knows the key `sec1` and accepts NOTIFY signed with it.
struct KnotWithKey {
    /// The process, stopped on drop.
    _proc: Proc,
    /// Where it listens.
    addr: SocketAddr,
    /// Its folder (config, zone, log).
    dir: tempfile::TempDir,
}

impl KnotWithKey {
    fn start() -> Self {
        require_tool("knotd");
        require_tool("kdig");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        let port = free_port();
        fs::create_dir_all(dir.path().join("db")).unwrap();
        fs::write(dir.path().join("example.com.zone"), ZONE).unwrap();
        let conf = format!(
            "server:\n    listen: 127.0.0.1@{port}\n    rundir: {d}\ndatabase:\n    storage: {d}/db\n\
             log:\n  - target: stderr\n    any: info\n\
             key:\n  - id: sec1\n    algorithm: hmac-sha256\n    secret: {SECRET}\n\
             acl:\n  - id: signed_notify\n    address: 127.0.0.1\n    key: sec1\n    action: notify\n\
             zone:\n  - domain: example.com\n    file: {d}/example.com.zone\n    acl: signed_notify\n\
             \x20   zonefile-sync: -1\n    semantic-checks: off\n"
        );
        let conf_path = dir.path().join("knot.conf");
        fs::write(&conf_path, conf).unwrap();
        let log = dir.path().join("knot.log");
        let mut proc = Proc::spawn(Command::new("knotd").arg("-c").arg(&conf_path), &log);
        wait_for_soa(port, "example.com", &mut proc, &log);
        Self {
            _proc: proc,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        }
    }

    fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("knot.log")).unwrap_or_default()
    }
}

/// The key `name` with `secret` (base64).
fn key(name: &str, secret: &str) -> TsigKey {
    let bytes = data_encoding::BASE64.decode(secret.as_bytes()).unwrap();
    TsigKey::new(name, TsigAlgorithm::HmacSha256, &bytes).unwrap()
}

fn zone() -> Name {
    Name::from_ascii("example.com.").unwrap()
}

#[tokio::test]
async fn knotd_accepts_the_clients_tsig_and_its_signed_responses_verify() {
    let knot = KnotWithKey::start();
    let client = Client::new(knot.addr, Duration::from_secs(3)).with_tsig(key("sec1", SECRET));

    // A signed SOA query: knotd signs the answer, and the client verified it to return it.
    let r = client
        .ask(&Request::query(&zone(), RecordType::SOA))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", knot.log()));
    assert_eq!(r.transport, Transport::Udp);
    assert_eq!(r.message.metadata.response_code, ResponseCode::NoError);
    assert!(r.message.signature().is_some(), "knotd's answer is signed");
    let serial = r.message.answers.iter().find_map(|rr| match &rr.data {
        RData::SOA(soa) => Some(soa.serial),
        _ => None,
    });
    assert_eq!(serial, Some(7));

    // A signed NOTIFY: knotd's ACL wants the key; its acknowledgement is signed and verifies.
    let r = client
        .ask(&Request::notify(&zone()))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", knot.log()));
    assert_eq!(r.message.metadata.op_code, OpCode::Notify);
    assert_eq!(
        r.message.metadata.response_code,
        ResponseCode::NoError,
        "{}",
        knot.log()
    );
    assert!(r.message.signature().is_some());
    for bad in ["BADSIG", "BADKEY", "BADTIME"] {
        assert!(!knot.log().contains(bad), "{}", knot.log());
    }
}

#[tokio::test]
async fn knotds_badsig_and_badkey_are_reported_as_the_peer_rejecting_the_key() {
    let knot = KnotWithKey::start();
    let ask = |key: TsigKey| {
        let client = Client::new(knot.addr, Duration::from_secs(1)).with_tsig(key);
        async move { client.ask(&Request::query(&zone(), RecordType::SOA)).await }
    };
    let wrong_secret = key("sec1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    let r = ask(wrong_secret).await;
    assert!(
        matches!(r, Err(ClientError::Tsig(ResponseTsigError::Rejected(16)))),
        "wrong secret: {r:?}"
    );
    let unknown = key("other", SECRET);
    let r = ask(unknown).await;
    assert!(
        matches!(r, Err(ClientError::Tsig(ResponseTsigError::Rejected(17)))),
        "unknown key: {r:?}"
    );
}
