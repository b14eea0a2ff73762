use std::collections::BTreeSet;

use super::*;

const H: u64 = 3600;
const D: u64 = 86400;
const T0: Timestamp = Timestamp(1_800_000_000);

fn timings() -> Timings {
    Timings {
        dnskey_ttl: H,
        max_zone_ttl: 2 * H,
        propagation_delay: 600,
        parent_ds_ttl: D,
        parent_propagation_delay: H,
        safety_margin: 300,
        zsk_lifetime: 30 * D,
        ksk_lifetime: 365 * D,
        ds_timeout: 0,
        secondary_timeout: D,
        ksk_method: KskMethod::DoubleKsk,
    }
}

/// RFC 7583 section 3.2.1 (ZSK pre-publication): Ipub = Dprp + TTLkey and
/// Iret = Dsgn + Dprp + TTLsig; with Dsgn = 0 (everything re-signed at the switch) and the
/// safety margin added to each.
#[test]
fn zsk_intervals_follow_rfc7583_section_3_2_1() {
    let t = timings();
    assert_eq!(t.publish_interval(), 600 + 3600 + 300);
    assert_eq!(t.retire_interval(), 600 + 7200 + 300);
    // The new ZSK is generated Ipub before the old one's lifetime ends, so that it can sign
    // exactly at the end: Tpub = Tact(old) + Lzsk - Ipub.
    let key = KeyState {
        tag: 1,
        algorithm: Algorithm::ECDSAP256SHA256,
        role: KeyRole::Zsk,
        phase: KeyPhase::Active,
        since: T0,
        ds: DsState::NotSeen,
    };
    assert_eq!(
        rollover_start(&key, &t),
        T0.add_secs(30 * D - t.publish_interval())
    );
    // Lzsk must cover Ipub + Iret or rollovers would overlap.
    assert_eq!(t.rollover_duration(KeyRole::Zsk), 4500 + 8100);
}

/// RFC 7583 section 3.3.2 (double-KSK): the old DS must leave caches, DprpP + TTLds, and the
/// parent's DS TTL, not the DNSKEY TTL, is what is waited.
#[test]
fn ksk_intervals_use_the_parent_ds_ttl() {
    let t = timings();
    assert_eq!(t.ds_interval(), 3600 + 86400 + 300);
    assert_eq!(
        t.rollover_duration(KeyRole::Ksk),
        t.publish_interval() + 2 * t.ds_interval()
    );
    let short = Timings {
        parent_ds_ttl: 60,
        ..t
    };
    assert!(short.ds_interval() < t.ds_interval());
}

/// The use table: what is published, who signs what, what goes to CDS.
#[test]
fn key_use_table() {
    let u = key_use(KeyRole::Zsk, KeyPhase::Published, Context::default());
    assert!(u.publish && u.sign_as.is_none() && !u.cds);
    let u = key_use(KeyRole::Ksk, KeyPhase::Published, Context::default());
    assert_eq!(u.sign_as, Some(KeyRole::Ksk));
    assert!(!u.cds, "a new KSK is announced only after Ipub");
    assert!(key_use(KeyRole::Ksk, KeyPhase::Ready, Context::default()).cds);
    assert_eq!(
        key_use(KeyRole::Csk, KeyPhase::Retired, Context::default()).sign_as,
        Some(KeyRole::Ksk)
    );
    assert_eq!(
        key_use(KeyRole::Csk, KeyPhase::Active, Context::default()).sign_as,
        Some(KeyRole::Csk)
    );
    assert!(!key_use(KeyRole::Csk, KeyPhase::Removed, Context::default()).publish);
}

/// A tiny executor: applies the plan the way the daemon does, with a parent that publishes
/// the CDS keys' DS after `parent_delay`.
struct World {
    keys: Vec<KeyState>,
    layout: Vec<KeyRole>,
    next_tag: u16,
    now: Timestamp,
    /// (time the CDS set changed, the set)
    cds_history: Vec<(Timestamp, Vec<(u8, u16)>)>,
    parent_delay: u64,
    log: Vec<String>,
    /// The policy's algorithm (new keys get it).
    algorithm: Algorithm,
    /// The KSK method.
    method: KskMethod,
}

impl World {
    fn new(layout: &[KeyRole]) -> Self {
        let mut w = Self {
            keys: Vec::new(),
            layout: layout.to_vec(),
            next_tag: 100,
            now: T0,
            cds_history: Vec::new(),
            parent_delay: 2 * H,
            log: Vec::new(),
            algorithm: Algorithm::ECDSAP256SHA256,
            method: KskMethod::DoubleKsk,
        };
        for &role in layout {
            let tag = w.fresh_tag();
            w.keys.push(KeyState {
                tag,
                algorithm: Algorithm::ECDSAP256SHA256,
                role,
                phase: KeyPhase::Active,
                since: T0,
                ds: if role.signs_keys() {
                    DsState::Seen(T0)
                } else {
                    DsState::NotSeen
                },
            });
        }
        w.note_cds();
        w
    }

    fn ctx(&self) -> Context {
        Context::of(
            self.keys.iter().map(|k| (k.algorithm, k.phase)),
            self.method,
        )
    }

    fn fresh_tag(&mut self) -> u16 {
        self.next_tag += 1;
        self.next_tag
    }

    fn cds(&self) -> Vec<(u8, u16)> {
        let mut v: Vec<_> = self
            .keys
            .iter()
            .filter(|k| key_use(k.role, k.phase, self.ctx()).cds)
            .map(|k| (k.algorithm.0, k.tag))
            .collect();
        v.sort_unstable();
        v
    }

    fn note_cds(&mut self) {
        let cds = self.cds();
        if self.cds_history.last().map(|(_, c)| c) != Some(&cds) {
            self.cds_history.push((self.now, cds));
        }
    }

    /// The DS the parent serves now: the CDS set of `parent_delay` ago.
    fn parent_ds(&self) -> Vec<(u8, u16)> {
        let at = self.now.sub_secs(self.parent_delay);
        self.cds_history
            .iter()
            .rev()
            .find(|(t, _)| *t <= at)
            .or(self.cds_history.first())
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }

    fn step(&mut self, t: &Timings) {
        for _ in 0..8 {
            let obs = Observations {
                parent_ds: Some(self.parent_ds()),
                ..Observations::default()
            };
            let plan = plan(&self.keys, &self.layout, self.algorithm, t, self.now, &obs);
            if plan.actions.is_empty() {
                break;
            }
            for a in plan.actions {
                self.log.push(format!("{} {a:?}", (self.now.0 - T0.0) / H));
                match a {
                    Action::Generate { role, into } => {
                        let tag = self.fresh_tag();
                        self.keys.push(KeyState {
                            tag,
                            algorithm: self.algorithm,
                            role,
                            phase: into,
                            since: self.now,
                            ds: DsState::NotSeen,
                        });
                    }
                    Action::Transition { tag, to } => {
                        let k = self.keys.iter_mut().find(|k| k.tag == tag).unwrap();
                        k.phase = to;
                        k.since = self.now;
                    }
                    Action::Ds { tag, state, .. } => {
                        self.keys.iter_mut().find(|k| k.tag == tag).unwrap().ds = state;
                    }
                }
            }
            self.note_cds();
        }
    }

    /// Keys in the zone (DNSKEY) and the roles that sign now.
    fn check_invariants(&self) {
        for role in [KeyRole::Ksk, KeyRole::Zsk] {
            let signs = self.keys.iter().any(|k| {
                key_use(k.role, k.phase, self.ctx())
                    .sign_as
                    .is_some_and(|r| {
                        if role == KeyRole::Ksk {
                            r.signs_keys()
                        } else {
                            r.signs_zone()
                        }
                    })
            });
            assert!(
                signs,
                "nothing signs as {role:?} at {:?}: {:?}",
                self.now, self.keys
            );
        }
        // A DS the parent serves names a key that is published and signs the DNSKEY RRset;
        // with double-KSK every one does.
        let anchors = |tag: u16| {
            let k = self.keys.iter().find(|k| k.tag == tag);
            let u = k.map(|k| key_use(k.role, k.phase, self.ctx()));
            u.is_some_and(|u| u.publish && u.sign_as.is_some_and(KeyRole::signs_keys))
        };
        let ds = self.parent_ds();
        let ok = match self.method {
            KskMethod::DoubleKsk => ds.iter().all(|(_, t)| anchors(*t)),
            KskMethod::DoubleDs => ds.iter().any(|(_, t)| anchors(*t)),
        };
        assert!(
            ok,
            "DS {ds:?} at the parent: no signing DNSKEY at {:?}: {:?}",
            self.now, self.keys
        );
    }

    fn run(&mut self, t: &Timings, until: u64, step: u64) {
        let end = self.now.add_secs(until);
        while self.now < end {
            self.step(t);
            self.check_invariants();
            self.now = self.now.add_secs(step);
        }
    }

    fn count(&self, role: KeyRole) -> usize {
        self.keys.iter().filter(|k| k.role == role).count()
    }
}

#[test]
fn zsk_rolls_at_the_end_of_its_lifetime_with_pre_publication() {
    let t = timings();
    let mut w = World::new(&[KeyRole::Ksk, KeyRole::Zsk]);
    w.run(&t, 95 * D, H);
    // Three rollovers in 95 days with 30-day ZSKs, none for the KSK.
    assert_eq!(w.count(KeyRole::Zsk), 4, "{:#?}", w.log);
    assert_eq!(w.count(KeyRole::Ksk), 1);
    let first_new = w.keys.iter().find(|k| k.tag == 103).unwrap();
    assert_ne!(first_new.phase, KeyPhase::Published);
    // Old ZSKs removed, the newest active, one retired at most.
    let active: Vec<_> = w
        .keys
        .iter()
        .filter(|k| k.role == KeyRole::Zsk && k.phase == KeyPhase::Active)
        .collect();
    assert_eq!(active.len(), 1);
}

#[test]
fn ksk_rolls_only_after_the_parent_publishes_the_ds() {
    let t = Timings {
        ksk_lifetime: 20 * D,
        zsk_lifetime: 0,
        ..timings()
    };
    let mut w = World::new(&[KeyRole::Ksk, KeyRole::Zsk]);
    w.run(&t, 45 * D, H);
    assert_eq!(w.count(KeyRole::Ksk), 3, "{:#?}", w.log);
    assert_eq!(w.count(KeyRole::Zsk), 1);
    // The log shows the DS seen before activation, and the wait of the parent's DS TTL.
    let seen = w
        .log
        .iter()
        .position(|l| l.contains("Ds { tag: 103, state: Seen"))
        .unwrap();
    let active = w
        .log
        .iter()
        .position(|l| l.contains("tag: 103, to: Active"))
        .unwrap();
    assert!(seen < active);
}

#[test]
fn ksk_waits_forever_without_a_ds_unless_told() {
    let t = Timings {
        ksk_lifetime: 20 * D,
        zsk_lifetime: 0,
        ..timings()
    };
    let mut w = World::new(&[KeyRole::Ksk, KeyRole::Zsk]);
    w.parent_delay = u64::MAX / 4; // the parent never acts
    w.run(&t, 60 * D, 6 * H);
    let new = w.keys.iter().find(|k| k.tag == 103).unwrap();
    assert_eq!(new.phase, KeyPhase::Ready);
    let obs = Observations::default();
    let p = plan(
        &w.keys,
        &w.layout,
        Algorithm::ECDSAP256SHA256,
        &t,
        w.now,
        &obs,
    );
    assert!(
        p.waits
            .iter()
            .any(|x| x.what == WaitFor::DsPublished && x.tag == 103)
    );
    // With a timeout, the DS is assumed after it.
    let t2 = Timings {
        ds_timeout: 10 * D,
        ..t
    };
    let p = plan(
        &w.keys,
        &w.layout,
        Algorithm::ECDSAP256SHA256,
        &t2,
        w.now,
        &obs,
    );
    assert!(p.actions.iter().any(|a| matches!(
        a,
        Action::Ds {
            tag: 103,
            assumed: true,
            ..
        }
    )));
}

#[test]
fn csk_rolls_through_the_parent() {
    let t = Timings {
        zsk_lifetime: 15 * D,
        ..timings()
    };
    let mut w = World::new(&[KeyRole::Csk]);
    w.run(&t, 50 * D, H);
    assert_eq!(w.count(KeyRole::Csk), 4, "{:#?}", w.log);
}

#[test]
fn one_rollover_at_a_time() {
    // Both due at once: the ZSK goes first; the KSK waits until the ZSK rollover ended.
    let t = Timings {
        ksk_lifetime: 10 * D,
        zsk_lifetime: 10 * D,
        ..timings()
    };
    let mut w = World::new(&[KeyRole::Ksk, KeyRole::Zsk]);
    w.now = T0.add_secs(10 * D);
    w.step(&t);
    let generated: Vec<_> = w.log.iter().filter(|l| l.contains("Generate")).collect();
    assert_eq!(generated.len(), 1, "{generated:?}");
    assert!(generated[0].contains("Zsk"));
}

#[test]
fn secondaries_hold_a_step_until_they_serve_it_or_time_out() {
    let t = timings();
    let key = KeyState {
        tag: 7,
        algorithm: Algorithm::ECDSAP256SHA256,
        role: KeyRole::Zsk,
        phase: KeyPhase::Published,
        since: T0,
        ds: DsState::NotSeen,
    };
    let old = KeyState {
        tag: 6,
        phase: KeyPhase::Active,
        ..key
    };
    let keys = [old, key];
    let later = T0.add_secs(t.publish_interval());
    let stale = Observations {
        secondaries: Secondaries::SyncedAt(Some(T0.sub_secs(1))),
        ..Observations::default()
    };
    let p = plan(
        &keys,
        &[KeyRole::Zsk],
        Algorithm::ECDSAP256SHA256,
        &t,
        later,
        &stale,
    );
    assert!(p.actions.is_empty());
    assert_eq!(p.waits[1].what, WaitFor::Secondaries);
    let synced = Observations {
        secondaries: Secondaries::SyncedAt(Some(T0.add_secs(60))),
        ..Observations::default()
    };
    let p = plan(
        &keys,
        &[KeyRole::Zsk],
        Algorithm::ECDSAP256SHA256,
        &t,
        later,
        &synced,
    );
    assert!(p.actions.contains(&Action::Transition {
        tag: 7,
        to: KeyPhase::Active
    }));
    let p = plan(
        &keys,
        &[KeyRole::Zsk],
        Algorithm::ECDSAP256SHA256,
        &t,
        later.add_secs(t.secondary_timeout),
        &stale,
    );
    assert!(!p.actions.is_empty(), "the timeout lets the step go");
}

#[test]
fn a_crash_between_activation_and_retirement_is_finished() {
    let t = timings();
    let a = KeyState {
        tag: 1,
        algorithm: Algorithm::ECDSAP256SHA256,
        role: KeyRole::Zsk,
        phase: KeyPhase::Active,
        since: T0,
        ds: DsState::NotSeen,
    };
    let b = KeyState {
        tag: 2,
        since: T0.add_secs(D),
        ..a
    };
    let p = plan(
        &[a, b],
        &[KeyRole::Zsk],
        Algorithm::ECDSAP256SHA256,
        &t,
        T0.add_secs(D + 5),
        &Observations::default(),
    );
    assert_eq!(
        p.actions,
        vec![Action::Transition {
            tag: 1,
            to: KeyPhase::Retired
        }]
    );
}

#[test]
fn a_requested_rollover_starts_now_and_a_second_waits() {
    let t = timings();
    let mut w = World::new(&[KeyRole::Csk]);
    let obs = Observations {
        roll_request: Some(KeyRole::Csk),
        ..Observations::default()
    };
    let p = plan(
        &w.keys,
        &w.layout,
        Algorithm::ECDSAP256SHA256,
        &t,
        T0.add_secs(60),
        &obs,
    );
    assert_eq!(
        p.actions,
        vec![Action::Generate {
            role: KeyRole::Csk,
            into: KeyPhase::Published
        }]
    );
    w.keys.push(KeyState {
        tag: 9,
        phase: KeyPhase::Published,
        since: T0.add_secs(60),
        ds: DsState::NotSeen,
        ..w.keys[0]
    });
    let p = plan(
        &w.keys,
        &w.layout,
        Algorithm::ECDSAP256SHA256,
        &t,
        T0.add_secs(120),
        &obs,
    );
    assert!(p.actions.is_empty());
    // A request for a role the layout lacks is ignored.
    let wrong = Observations {
        roll_request: Some(KeyRole::Zsk),
        ..Observations::default()
    };
    w.keys.pop();
    assert!(
        plan(
            &w.keys,
            &w.layout,
            Algorithm::ECDSAP256SHA256,
            &t,
            T0.add_secs(60),
            &wrong
        )
        .actions
        .is_empty()
    );
}

/// Every RRset a cache may hold must carry a signature of every algorithm in any DNSKEY RRset
/// it may hold with it; here: every key that is published signs, while two algorithms are
/// in the zone, and unpublished signers come and go around the published phase.
#[test]
fn an_algorithm_rollover_follows_rfc6781_section_4_1_4() {
    for layout in [vec![KeyRole::Ksk, KeyRole::Zsk], vec![KeyRole::Csk]] {
        let t = Timings {
            zsk_lifetime: 0,
            ksk_lifetime: 0,
            ..timings()
        };
        let mut w = World::new(&layout);
        w.keys
            .iter_mut()
            .for_each(|k| k.algorithm = Algorithm::ED25519);
        w.cds_history.clear();
        w.note_cds();
        w.algorithm = Algorithm::ECDSAP256SHA256;
        let mut phases_seen = Vec::new();
        let end = w.now.add_secs(10 * D);
        while w.now < end {
            w.step(&t);
            w.check_invariants();
            // While two algorithms are in the DNSKEY RRset, each signs the DNSKEY RRset and
            // the zone.
            let published: BTreeSet<u8> = w
                .keys
                .iter()
                .filter(|k| key_use(k.role, k.phase, w.ctx()).publish)
                .map(|k| k.algorithm.0)
                .collect();
            for alg in &published {
                for zone_data in [false, true] {
                    assert!(
                        w.keys.iter().any(|k| k.algorithm.0 == *alg
                            && key_use(k.role, k.phase, w.ctx()).sign_as.is_some_and(|r| {
                                if zone_data {
                                    r.signs_zone()
                                } else {
                                    r.signs_keys()
                                }
                            })),
                        "algorithm {alg} published without signing (zone data: {zone_data}) at {:?}: {:?}",
                        w.now,
                        w.keys
                    );
                }
            }
            for k in &w.keys {
                if !phases_seen.contains(&(k.algorithm.0, k.phase)) {
                    phases_seen.push((k.algorithm.0, k.phase));
                }
            }
            w.now = w.now.add_secs(H);
        }
        // New keys signed before they were published; old ones kept signing after.
        assert!(
            phases_seen.contains(&(13, KeyPhase::Signing)),
            "{phases_seen:?}"
        );
        assert!(
            phases_seen.contains(&(15, KeyPhase::Signing)),
            "{phases_seen:?}"
        );
        assert!(
            w.keys.iter().all(|k| k.algorithm == Algorithm::ED25519
                && k.phase == KeyPhase::Removed
                || k.algorithm == Algorithm::ECDSAP256SHA256 && k.phase == KeyPhase::Active),
            "{:#?}\n{:#?}",
            w.keys,
            w.log
        );
        assert_eq!(w.parent_ds().len(), 1);
        assert_eq!(w.parent_ds()[0].0, 13);
    }
}

#[test]
fn double_ds_signs_with_one_ksk_at_a_time_and_keeps_the_old_ds_until_its_signature_expired() {
    for layout in [vec![KeyRole::Ksk, KeyRole::Zsk], vec![KeyRole::Csk]] {
        // A CSK lives as long as a ZSK; here only the key signing role rolls.
        let t = Timings {
            ksk_lifetime: 20 * D,
            zsk_lifetime: if layout[0] == KeyRole::Csk { 20 * D } else { 0 },
            ksk_method: KskMethod::DoubleDs,
            ..timings()
        };
        let mut w = World::new(&layout);
        w.method = KskMethod::DoubleDs;
        let end = w.now.add_secs(45 * D);
        while w.now < end {
            w.step(&t);
            w.check_invariants();
            let signing_keys = w
                .keys
                .iter()
                .filter(|k| {
                    key_use(k.role, k.phase, w.ctx())
                        .sign_as
                        .is_some_and(KeyRole::signs_keys)
                })
                .count();
            assert_eq!(
                signing_keys, 1,
                "one DNSKEY signer at {:?}: {:?}",
                w.now, w.keys
            );
            w.now = w.now.add_secs(H);
        }
        let role = layout[0];
        assert!(w.count(role) >= 3, "{:#?}", w.log);
    }
}
