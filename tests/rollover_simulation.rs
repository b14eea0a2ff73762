//! `daned simulate` over months of virtual time with short key lifetimes: several ZSK, KSK and
//! CSK rollovers, and at every moment the simulation wrote
//! - `ldns-verify-zone -t TIME -k DS -e REFRESH` accepts the zone: it validates at that time
//!   from the DS the parent published then, and no signature expires within `rrsig_refresh`;
//! - a resolver cache model holds: any DS or DNSKEY RRset served within its TTL, with any RRset
//!   served now, still forms a chain DS -> DNSKEY -> RRSIG; and RRSIGs cached within their TTL
//!   still match a DNSKEY served now.
//!
//! The cache model computes key tags (RFC 4034 Appendix B) and DS digests itself, so it does
//! not take daned's word for either; ldns checks the signatures.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use common::{TempDir, daned_bin, output, require_tool, wall_secs};

const ZONE: &str = "$ORIGIN example.com.\n$TTL 3600\n\
@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n\
@ NS ns1\n@ MX 10 mx1\n@ 7200 TXT \"v=spf1 mx -all\"\n\
ns1 A 192.0.2.1\nmx1 A 192.0.2.25\nwww 600 A 192.0.2.80\n\
_25._tcp.mx1 TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n\
sub NS ns.sub\nns.sub A 192.0.2.53\n";

/// The signers of one RRset, (algorithm, key tag) pairs, with the RRset's TTL.
type Signers = (u64, BTreeSet<(u8, u16)>);

/// One moment the simulation wrote.
struct Moment {
    /// Its time, seconds since the epoch.
    at: u64,
    /// The `YYYYMMDDhhmmss` stem.
    stem: String,
    /// DNSKEYs: (algorithm, tag) -> (flags, DS SHA-256 digest).
    dnskeys: BTreeMap<(u8, u16), (u16, Vec<u8>)>,
    /// Signers per covered RRset (owner, type) -> {(algorithm, tag)}, with the RRset's TTL.
    sigs: BTreeMap<(String, String), Signers>,
    /// The parent's DS set: (algorithm, tag, digest).
    ds: BTreeSet<(u8, u16, Vec<u8>)>,
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 4034 Appendix B key tag.
fn key_tag(rdata: &[u8]) -> u16 {
    let mut ac: u32 = 0;
    for (i, b) in rdata.iter().enumerate() {
        ac += if i & 1 == 1 {
            u32::from(*b)
        } else {
            u32::from(*b) << 8
        };
    }
    ac += (ac >> 16) & 0xffff;
    (ac & 0xffff) as u16
}

/// The canonical wire form of a lowercase absolute name.
fn name_wire(name: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.to_ascii_lowercase().as_bytes());
    }
    out.push(0);
    out
}

/// Parses a zone file as `ldns-read-zone` prints it (one record per line, presentation form).
fn parse_moment(dir: &Path, stem: &str) -> Moment {
    let text = output(
        "ldns-read-zone",
        &[dir.join(format!("{stem}.zone")).to_str().unwrap()],
    );
    assert!(text.status.success(), "ldns-read-zone {stem}");
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let mut ttls: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut dnskeys = BTreeMap::new();
    let mut sigs: BTreeMap<(String, String), BTreeSet<(u8, u16)>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.is_empty())
    {
        // ldns-read-zone appends comments (";{id = ...}") to DNSKEYs.
        let line = line.split(';').next().unwrap();
        let f: Vec<&str> = line.split_whitespace().collect();
        let (owner, ttl, rtype) = (
            f[0].to_ascii_lowercase(),
            f[1].parse::<u64>().unwrap(),
            f[3],
        );
        match rtype {
            "DNSKEY" => {
                let flags: u16 = f[4].parse().unwrap();
                let alg: u8 = f[6].parse().unwrap();
                let key = data_encoding::BASE64
                    .decode(f[7..].concat().as_bytes())
                    .unwrap();
                let mut rdata = flags.to_be_bytes().to_vec();
                rdata.extend_from_slice(&[3, alg]);
                rdata.extend_from_slice(&key);
                let mut signed = name_wire(&owner);
                signed.extend_from_slice(&rdata);
                let digest = ring::digest::digest(&ring::digest::SHA256, &signed);
                dnskeys.insert((alg, key_tag(&rdata)), (flags, digest.as_ref().to_vec()));
                ttls.insert((owner, rtype.to_string()), ttl);
            }
            "RRSIG" => {
                let covered = f[4].to_string();
                let alg: u8 = f[5].parse().unwrap();
                let tag: u16 = f[10].parse().unwrap();
                sigs.entry((owner, covered)).or_default().insert((alg, tag));
            }
            _ => {
                ttls.insert((owner, rtype.to_string()), ttl);
            }
        }
    }
    let sigs = sigs
        .into_iter()
        .map(|(k, v)| {
            let ttl = *ttls
                .get(&k)
                .unwrap_or_else(|| panic!("{stem}: RRSIG without RRset {k:?}"));
            (k, (ttl, v))
        })
        .collect();
    let ds = fs::read_to_string(dir.join(format!("{stem}.ds")))
        .unwrap()
        .lines()
        .map(|l| {
            // owner TTL IN DS tag algorithm digest-type digest
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f[6], "2", "SHA-256 DS expected: {l}");
            (
                f[5].parse().unwrap(),
                f[4].parse().unwrap(),
                hex(&f[7..].concat()),
            )
        })
        .collect();
    Moment {
        at: stem_secs(stem),
        stem: stem.to_string(),
        dnskeys,
        sigs,
        ds,
    }
}

/// Seconds since the epoch of a `YYYYMMDDhhmmss` stem.
fn stem_secs(stem: &str) -> u64 {
    let t = zones::time::UtcDateTime::from_compact(stem).unwrap();
    u64::try_from(t.to_unix()).unwrap()
}

/// The moments served at some time in `[from, to]`: the one in effect at `from` and every one
/// written after it up to `to`.
fn served_between(moments: &[Moment], from: u64, to: u64) -> impl Iterator<Item = &Moment> {
    let first = moments.iter().rposition(|m| m.at <= from).unwrap_or(0);
    moments[first..].iter().filter(move |m| m.at <= to)
}

/// The resolver cache model at moment `now` (see the file's doc comment).
fn check_cache_model(moments: &[Moment], i: usize, dnskey_ttl: u64, ds_ttl: u64) {
    let now = &moments[i];
    let t = now.at;
    for ds_m in served_between(moments, t.saturating_sub(ds_ttl), t) {
        for key_m in served_between(moments, t.saturating_sub(dnskey_ttl), t) {
            // The cached DNSKEY RRset validates from the cached DS: a DS names a key of the
            // set by tag, algorithm and digest, and that key signed the set.
            let key_sigs = &key_m.sigs[&("example.com.".to_string(), "DNSKEY".to_string())].1;
            let anchored = ds_m.ds.iter().any(|(alg, tag, digest)| {
                key_m
                    .dnskeys
                    .get(&(*alg, *tag))
                    .is_some_and(|(flags, d)| flags & 1 == 1 && d == digest)
                    && key_sigs.contains(&(*alg, *tag))
            });
            assert!(
                anchored,
                "at {}: the DS served at {} does not validate the DNSKEY RRset served at {}",
                now.stem, ds_m.stem, key_m.stem
            );
            // Every RRset served now has a signature by a key of the cached DNSKEY RRset.
            for (rrset, (_, signers)) in &now.sigs {
                assert!(
                    signers.iter().any(|s| key_m.dnskeys.contains_key(s)),
                    "at {}: {rrset:?} is signed by {signers:?}, none in the DNSKEY RRset served at {}",
                    now.stem,
                    key_m.stem
                );
            }
        }
    }
    // The reverse: signatures cached within their RRset's TTL match a DNSKEY served now.
    for (rrset, (ttl, _)) in &now.sigs {
        for old in served_between(moments, t.saturating_sub(*ttl), t) {
            if let Some((_, signers)) = old.sigs.get(rrset) {
                assert!(
                    signers.iter().any(|s| now.dnskeys.contains_key(s)),
                    "at {}: {rrset:?} cached from {} is signed by {signers:?}, none served now",
                    now.stem,
                    old.stem
                );
            }
        }
    }
}

/// Runs a simulation and checks every moment; returns the moments.
fn simulate_and_check(policy: &str, until: &str, refresh: &str) -> Vec<Moment> {
    simulate_and_check_from(policy, until, refresh, &[])
}

/// [`simulate_and_check`] with extra `daned simulate` arguments.
fn simulate_and_check_from(
    policy: &str,
    until: &str,
    refresh: &str,
    extra: &[&str],
) -> Vec<Moment> {
    require_tool("ldns-verify-zone");
    require_tool("ldns-read-zone");
    let dir = TempDir::new().unwrap();
    fs::write(dir.path().join("example.zone"), ZONE).unwrap();
    fs::write(
        dir.path().join("daned.toml"),
        format!(
            "[server]\nlisten = [\"127.0.0.1:53\"]\nstate_dir = \"state\"\n\n\
             [[zone]]\nname = \"example.com\"\nfile = \"example.zone\"\npolicy = \"fast\"\n\n\
             [policy.fast]\n{policy}\nrrsig_lifetime = \"5d\"\nrrsig_refresh = \"{refresh}\"\n\
             dnskey_ttl = \"1h\"\npropagation_delay = \"10m\"\nparent_ds_ttl = \"2h\"\n\
             parent_propagation_delay = \"10m\"\nsafety_margin = \"10m\"\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let start = wall_secs().to_string();
    let config = dir.path().join("daned.toml");
    let mut args = vec![
        "simulate",
        "-c",
        config.to_str().unwrap(),
        "--zone",
        "example.com",
        "--until",
        until,
        "--step",
        "1h",
        "--parent-delay",
        "3h",
        "--out",
        out.to_str().unwrap(),
        "--start",
        &start,
    ];
    args.extend_from_slice(extra);
    let run = output(daned_bin(), &args);
    assert!(
        run.status.success(),
        "simulate failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut stems: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".zone").map(str::to_string)
        })
        .collect();
    stems.sort();
    assert!(stems.len() > 10, "too few moments: {stems:?}");
    let refresh_iso = format!("P{}", refresh.to_ascii_uppercase());
    for stem in &stems {
        let zone = out.join(format!("{stem}.zone"));
        let ds = out.join(format!("{stem}.ds"));
        let v = output(
            "ldns-verify-zone",
            &[
                "-t",
                stem,
                "-e",
                &refresh_iso,
                "-k",
                ds.to_str().unwrap(),
                zone.to_str().unwrap(),
            ],
        );
        assert!(
            v.status.success(),
            "ldns-verify-zone at {stem}:\n{}{}\n{}",
            String::from_utf8_lossy(&v.stdout),
            String::from_utf8_lossy(&v.stderr),
            fs::read_to_string(&ds).unwrap()
        );
    }
    let moments: Vec<Moment> = stems.iter().map(|s| parse_moment(&out, s)).collect();
    for i in 0..moments.len() {
        check_cache_model(&moments, i, 3600, 7200);
    }
    moments
}

/// Distinct keys with the SEP flag (KSK/CSK) and without (ZSK) over all moments.
fn key_counts(moments: &[Moment]) -> (usize, usize) {
    let mut sep = BTreeSet::new();
    let mut zsk = BTreeSet::new();
    for m in moments {
        for (k, (flags, _)) in &m.dnskeys {
            if flags & 1 == 1 {
                sep.insert(*k);
            } else {
                zsk.insert(*k);
            }
        }
    }
    (sep.len(), zsk.len())
}

#[test]
fn ksk_and_zsk_rollovers_keep_the_zone_valid_for_every_cache() {
    let moments = simulate_and_check(
        "keys = \"ksk+zsk\"\nzsk_lifetime = \"8d\"\nksk_lifetime = \"20d\"",
        "50d",
        "2d",
    );
    let (ksks, zsks) = key_counts(&moments);
    eprintln!("{} moments, {ksks} KSKs, {zsks} ZSKs", moments.len());
    assert!(
        ksks >= 3,
        "expected at least two KSK rollovers, saw {ksks} KSKs"
    );
    assert!(
        zsks >= 6,
        "expected at least five ZSK rollovers, saw {zsks} ZSKs"
    );
    // The parent's DS changed with the KSKs: more than one DS set over the run.
    let ds_sets: BTreeSet<_> = moments.iter().map(|m| m.ds.clone()).collect();
    assert!(ds_sets.len() >= 3, "{ds_sets:?}");
}

#[test]
fn double_ds_ksk_rollovers_keep_the_zone_valid_for_every_cache() {
    for keys in ["ksk+zsk", "csk"] {
        let moments = simulate_and_check(
            &format!(
                "keys = \"{keys}\"\nksk_method = \"double-ds\"\nzsk_lifetime = \"12d\"\n\
                 ksk_lifetime = \"12d\""
            ),
            "40d",
            "2d",
        );
        let (sep, _) = key_counts(&moments);
        assert!(
            sep >= 3,
            "{keys}: expected two rollovers of the key signing key, saw {sep}"
        );
        // Double-DS: the DNSKEY RRset is signed by one key signing key at a time, and the
        // parent held both DS records at some moment.
        for m in &moments {
            let signers = &m.sigs[&("example.com.".to_string(), "DNSKEY".to_string())].1;
            let sep_signers = signers
                .iter()
                .filter(|k| m.dnskeys.get(k).is_some_and(|(f, _)| f & 1 == 1))
                .count();
            assert_eq!(sep_signers, 1, "{keys} at {}: {signers:?}", m.stem);
        }
        assert!(
            moments.iter().any(|m| m.ds.len() == 2),
            "{keys}: never two DS records"
        );
    }
}

#[test]
fn csk_rollovers_keep_the_zone_valid_for_every_cache() {
    let moments = simulate_and_check("keys = \"csk\"\nzsk_lifetime = \"10d\"", "45d", "2d");
    let (csks, zsks) = key_counts(&moments);
    assert_eq!(zsks, 0);
    assert!(
        csks >= 4,
        "expected at least three CSK rollovers, saw {csks}"
    );
}

#[test]
fn an_algorithm_rollover_keeps_the_zone_valid_for_every_cache() {
    // Keys start as Ed25519; the policy says ECDSA P-256: RFC 6781 section 4.1.4.
    for keys in ["ksk+zsk", "csk"] {
        let moments = simulate_and_check_from(
            &format!("keys = \"{keys}\"\nzsk_lifetime = \"0\"\nksk_lifetime = \"0\""),
            "6d",
            "2d",
            &["--from-algorithm", "ed25519"],
        );
        let algs = |m: &Moment| m.dnskeys.keys().map(|(a, _)| *a).collect::<BTreeSet<u8>>();
        let sig_algs = |m: &Moment| {
            m.sigs[&("www.example.com.".to_string(), "A".to_string())]
                .1
                .iter()
                .map(|(a, _)| *a)
                .collect::<BTreeSet<u8>>()
        };
        let (first, last) = (&moments[0], moments.last().unwrap());
        assert_eq!(algs(first), BTreeSet::from([15]), "{keys}");
        assert_eq!(algs(last), BTreeSet::from([13]), "{keys}");
        assert!(last.ds.iter().all(|(a, _, _)| *a == 13), "{keys}");
        // Signatures of the new algorithm came before its DNSKEYs, and those of the old
        // algorithm stayed after its DNSKEYs left (RFC 6781 section 4.1.4).
        assert!(
            moments
                .iter()
                .any(|m| algs(m) == BTreeSet::from([15]) && sig_algs(m).contains(&13)),
            "{keys}: no pre-signing moment"
        );
        assert!(
            moments
                .iter()
                .any(|m| algs(m) == BTreeSet::from([13]) && sig_algs(m).contains(&15)),
            "{keys}: no post-signing moment"
        );
        // Every moment: each algorithm of the DNSKEY RRset signs every RRset.
        for m in &moments {
            for (rrset, (_, signers)) in &m.sigs {
                let have: BTreeSet<u8> = signers.iter().map(|(a, _)| *a).collect();
                assert!(
                    algs(m).is_subset(&have),
                    "{keys} at {}: {rrset:?} lacks an algorithm of the DNSKEY RRset",
                    m.stem
                );
            }
        }
    }
}

#[test]
fn the_cache_model_catches_a_key_removed_too_early() {
    // The model itself must be able to fail: take a run's moments and drop the old ZSK from
    // the DNSKEY RRset at the moment a new one starts signing.
    let mut moments = simulate_and_check(
        "keys = \"ksk+zsk\"\nzsk_lifetime = \"8d\"\nksk_lifetime = \"0\"",
        "12d",
        "2d",
    );
    let switch = (1..moments.len())
        .find(|&i| {
            let a = &moments[i - 1].sigs[&("www.example.com.".into(), "A".into())].1;
            let b = &moments[i].sigs[&("www.example.com.".into(), "A".into())].1;
            a != b
        })
        .expect("a ZSK switch in 12 days");
    let old = moments[switch - 1].sigs[&("www.example.com.".into(), "A".into())]
        .1
        .clone();
    for k in &old {
        moments[switch].dnskeys.remove(k);
    }
    let caught = std::panic::catch_unwind(|| check_cache_model(&moments, switch, 3600, 7200));
    assert!(
        caught.is_err(),
        "removing the old ZSK at the switch went unnoticed"
    );
}

#[test]
fn check_refuses_key_lifetimes_shorter_than_their_rollover_with_the_reason() {
    let dir = TempDir::new().unwrap();
    // A record with a two-day TTL: a retired ZSK must stay published that long.
    fs::write(
        dir.path().join("example.zone"),
        format!("{ZONE}slow 172800 IN TXT \"cached for two days\"\n"),
    )
    .unwrap();
    let config = dir.path().join("daned.toml");
    let write = |lifetime: &str| {
        fs::write(
            &config,
            format!(
                "[server]\nlisten = [\"127.0.0.1:53\"]\nstate_dir = \"state\"\n\n\
                 [[zone]]\nname = \"example.com\"\nfile = \"example.zone\"\npolicy = \"p\"\n\n\
                 [policy.p]\nkeys = \"ksk+zsk\"\nzsk_lifetime = \"{lifetime}\"\n"
            ),
        )
        .unwrap();
    };
    write("1d");
    let out = output(daned_bin(), &["check", "-c", config.to_str().unwrap()]);
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("zsk_lifetime (86400s)") && text.contains("largest zone TTL"),
        "{text}"
    );
    write("3d");
    let out = output(daned_bin(), &["check", "-c", config.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
