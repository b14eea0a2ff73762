//! Retiring TLSA records (RFC 7671 section 8.1, RFC 7672 section 3.1): when a key leaves the
//! certificate files, its record stays published until no sender can still need it.
//!
//! A pure function of (records the files give now, records published so far, retirement
//! deadlines, last probe of each MTA, now): the daemon calls it with its clock, the tests
//! with chosen times.

use std::collections::BTreeMap;

use zones::{Name, Zone};

use super::publish::{self, TlsaBinding};
use crate::dane::probe::ProbeSeen;

/// (owner, rdata) of a retiring TLSA record -> the time (seconds since the epoch) from which
/// it may be removed.
pub type Retiring = BTreeMap<(Name, Vec<u8>), u64>;

/// `probe` address -> what the MTA presented when last probed.
pub type Probes = BTreeMap<String, ProbeSeen>;

/// Keeps in `records` the TLSA records that `previous` publishes but the files no longer give,
/// for 2 x TTL plus `propagation` seconds after they were first missed (a sender may hold the
/// old RRset that long, and the MTA may not have switched yet). With a `probe`, a record also
/// stays until the MTA was last seen presenting a key the new records match and that is not
/// this record's: a certificate on disk is not yet one in service. Deadlines are kept in
/// `retiring` (new ones start at `now`, finished ones are dropped).
pub fn retain(
    records: &mut [(TlsaBinding, Vec<Vec<u8>>)],
    previous: &Zone,
    retiring: &mut Retiring,
    probes: &Probes,
    propagation: u64,
    now: u64,
) {
    for (binding, derived) in records.iter_mut() {
        let hold = 2 * u64::from(binding.ttl.0) + propagation;
        let fresh = derived.clone();
        // Matched by the new records and not by the old one (RFC 7672 section 3, the
        // matcher every DANE check of daned uses).
        let in_service = |old: &[u8], owner: &str| match &binding.probe {
            None => true,
            Some(addr) => probes
                .get(addr)
                .and_then(|seen| seen.outcome.as_ref().ok())
                .is_some_and(|p| {
                    p.verify(&fresh, owner, now).is_match()
                        && !p.verify(&[old.to_vec()], owner, now).is_match()
                }),
        };
        for name in &binding.names {
            let owner = name.to_string();
            for old in publish::published(previous, name) {
                let key = (name.clone(), old);
                if fresh.contains(&key.1) {
                    retiring.remove(&key);
                    continue;
                }
                let until = *retiring.entry(key.clone()).or_insert(now + hold);
                if now < until || !in_service(&key.1, &owner) {
                    derived.push(key.1);
                } else {
                    retiring.remove(&key);
                }
            }
        }
        derived.sort();
        derived.dedup();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dane::probe::Presented;
    use zones::master::parse_zone_str;

    /// A self-signed certificate for the MX and its `3 1 1` record.
    struct Key {
        /// The certificate (DER).
        cert: Vec<u8>,
        /// Its `3 1 1` rdata.
        tlsa: Vec<u8>,
    }

    /// A new key for the MX.
    fn key() -> Key {
        let made = rcgen::generate_simple_self_signed(vec!["mx.example.com".into()]).unwrap();
        let cert = made.cert.der().to_vec();
        let tlsa = crate::dane::derive::tlsa_rdata(
            &cert,
            crate::dane::derive::TlsaParams::DANE_EE_SPKI_SHA256,
        )
        .unwrap();
        Key { cert, tlsa }
    }

    /// The old key (published), the new one (in the files) and one that is neither.
    static KEYS: std::sync::LazyLock<[Key; 3]> = std::sync::LazyLock::new(|| [key(), key(), key()]);

    /// The old key's record.
    fn old() -> Vec<u8> {
        KEYS[0].tlsa.clone()
    }

    /// The new key's record.
    fn new() -> Vec<u8> {
        KEYS[1].tlsa.clone()
    }

    /// Both records, in the order `retain` keeps them.
    fn both() -> Vec<Vec<u8>> {
        let mut both = vec![old(), new()];
        both.sort();
        both
    }

    /// A zone publishing OLD at two names, and a binding (TTL 100) for them.
    fn setup(probe: Option<&str>) -> (Zone, TlsaBinding) {
        let origin = Name::from_ascii("example.com.").unwrap();
        let old = crate::dane::derive::rdata_to_text(&old());
        let text = format!(
            "$ORIGIN example.com.\n$TTL 60\n@ SOA ns hm 1 1 2 3 4\n@ NS ns\nns A 192.0.2.1\n\
             _25._tcp.mx TLSA {old}\n_465._tcp.mx TLSA {old}\n"
        );
        let zone = parse_zone_str(&text, &origin, "t").unwrap().zone;
        let binding = TlsaBinding {
            names: vec![
                Name::from_ascii("_25._tcp.mx.example.com.").unwrap(),
                Name::from_ascii("_465._tcp.mx.example.com.").unwrap(),
            ],
            certs: vec![],
            keys: vec![],
            next_key: None,
            probe: probe.map(str::to_string),
            issuer: false,
            ttl: zones::Ttl(100),
            expiry_warning: 0,
        };
        (zone, binding)
    }

    /// The records kept at `now` when the files give only NEW.
    fn kept(
        zone: &Zone,
        binding: &TlsaBinding,
        retiring: &mut Retiring,
        probes: &Probes,
        now: u64,
    ) -> Vec<Vec<u8>> {
        let mut records = vec![(binding.clone(), vec![new()])];
        retain(&mut records, zone, retiring, probes, 50, now);
        records.remove(0).1
    }

    /// A probe that saw `key`'s certificate.
    fn saw(key: &Key) -> Probes {
        let outcome = Ok(Presented::of_chain(vec![key.cert.clone()]).unwrap());
        Probes::from([("mx:25".to_string(), ProbeSeen { at: 0, outcome })])
    }

    #[test]
    fn without_a_probe_an_old_key_goes_two_ttl_plus_propagation_after_it_left_the_files() {
        let (zone, binding) = setup(None);
        let mut retiring = Retiring::new();
        let both = both();
        assert_eq!(
            kept(&zone, &binding, &mut retiring, &Probes::new(), 1000),
            both
        );
        // Both names share one deadline: 1000 + 2 x 100 + 50.
        assert_eq!(retiring.values().copied().collect::<Vec<_>>(), [1250, 1250]);
        assert_eq!(
            kept(&zone, &binding, &mut retiring, &Probes::new(), 1249),
            both
        );
        assert_eq!(
            kept(&zone, &binding, &mut retiring, &Probes::new(), 1250),
            [new()]
        );
        assert!(retiring.is_empty());
    }

    #[test]
    fn with_a_probe_an_old_key_stays_until_the_mta_presents_the_new_one() {
        let (zone, binding) = setup(Some("mx:25"));
        let mut retiring = Retiring::new();
        let both = both();
        assert_eq!(
            kept(&zone, &binding, &mut retiring, &saw(&KEYS[1]), 1000),
            both,
            "too early"
        );
        for probes in [Probes::new(), saw(&KEYS[0]), saw(&KEYS[2])] {
            assert_eq!(
                kept(&zone, &binding, &mut retiring, &probes, 5000),
                both,
                "{probes:?}"
            );
        }
        let failed = Probes::from([(
            "mx:25".to_string(),
            ProbeSeen {
                at: 0,
                outcome: Err("refused".into()),
            },
        )]);
        assert_eq!(kept(&zone, &binding, &mut retiring, &failed, 5000), both);
        assert_eq!(
            kept(&zone, &binding, &mut retiring, &saw(&KEYS[1]), 5000),
            [new()]
        );
    }
}
