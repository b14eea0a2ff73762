use super::*;
use crate::mailrec::dkim::record::KeyKind;

/// An Ed25519 key whose public key is `byte` repeated.
fn key(byte: u8) -> DkimKey {
    DkimKey {
        kind: KeyKind::Ed25519,
        bits: 256,
        public: vec![byte; 32],
    }
}

/// s1 current (key file "k1"), s2 next ("k2"), 1 day retire_after, revoked after.
fn binding(selector: &str, next: Option<&str>) -> DkimBinding {
    DkimBinding {
        selector: selector.into(),
        key: PathBuf::from(format!("k-{selector}")),
        next: next.map(|n| (n.to_string(), PathBuf::from(format!("k-{n}")))),
        retire_after: 86_400,
        revoke: true,
        ttl: Ttl(3600),
    }
}

/// Reads "k-s1" as key 1, "k-s2" as key 2, anything else fails naming the file.
fn read(path: &Path) -> Result<DkimKey, String> {
    match path.to_str() {
        Some("k-s1") => Ok(key(1)),
        Some("k-s2") => Ok(key(2)),
        _ => Err(format!("{}: unreadable", path.display())),
    }
}

/// Notes every planned record as published at `now` (what the manager does after a
/// publication).
fn publish(state: &mut DkimState, planned: &[Planned], now: u64) {
    for p in planned {
        if let Some(r) = &p.rdata {
            state
                .first_seen
                .entry((p.selector.clone(), r.clone()))
                .or_insert(now);
        }
    }
    state.first_seen.retain(|(s, r), _| {
        planned
            .iter()
            .any(|p| &p.selector == s && p.rdata.as_ref() == Some(r))
    });
}

#[test]
fn a_full_rotation_goes_next_current_retiring_revoked_removed() {
    let mut state = DkimState::default();
    let none = |_: &str| None;
    let plan0 = plan(&[binding("s1", Some("s2"))], &read, &none, &mut state, 0);
    let roles: Vec<_> = plan0
        .iter()
        .map(|p| (p.selector.as_str(), p.role))
        .collect();
    assert_eq!(roles, [("s1", Role::Current), ("s2", Role::Next)]);
    assert_eq!(plan0[0].rdata, Some(key(1).rdata()));
    publish(&mut state, &plan0, 0);
    // The signer switched: s2 is current, s1 has left.
    let t = 10_000;
    let plan1 = plan(&[binding("s2", None)], &read, &none, &mut state, t);
    let s1 = plan1.iter().find(|p| p.selector == "s1").unwrap();
    assert_eq!(s1.role, Role::Retiring { until: t + 86_400 });
    assert_eq!(s1.rdata, Some(key(1).rdata()), "the old key stays");
    assert_eq!(next_change(&state, t), Some(t + 86_400));
    publish(&mut state, &plan1, t);
    let plan2 = plan(&[binding("s2", None)], &read, &none, &mut state, t + 86_400);
    let s1 = plan2.iter().find(|p| p.selector == "s1").unwrap();
    assert_eq!(
        s1.role,
        Role::Revoked {
            until: t + 2 * 86_400
        }
    );
    assert_eq!(
        s1.rdata.as_deref().and_then(txt_text).unwrap(),
        "v=DKIM1; k=ed25519; p="
    );
    publish(&mut state, &plan2, t + 86_400);
    let plan3 = plan(
        &[binding("s2", None)],
        &read,
        &none,
        &mut state,
        t + 2 * 86_400,
    );
    let s1 = plan3.iter().find(|p| p.selector == "s1").unwrap();
    assert_eq!((s1.role, s1.rdata.clone()), (Role::Removed, None));
    assert!(state.left.is_empty());
    publish(&mut state, &plan3, t + 2 * 86_400);
    let plan4 = plan(
        &[binding("s2", None)],
        &read,
        &none,
        &mut state,
        t + 3 * 86_400,
    );
    assert_eq!(plan4.len(), 1, "s1 is gone for good: {plan4:?}");
}

#[test]
fn without_revoke_a_retired_selector_is_removed_at_once() {
    let mut state = DkimState::default();
    let none = |_: &str| None;
    let p = plan(&[binding("s1", None)], &read, &none, &mut state, 0);
    publish(&mut state, &p, 0);
    let mut b = binding("s2", None);
    b.revoke = false;
    plan(&[b.clone()], &read, &none, &mut state, 5);
    let p = plan(&[b], &read, &none, &mut state, 5 + 86_400);
    let s1 = p.iter().find(|p| p.selector == "s1").unwrap();
    assert_eq!(s1.role, Role::Removed);
}

#[test]
fn an_unreadable_key_file_keeps_the_served_record_and_the_error_names_the_file() {
    let mut state = DkimState::default();
    let served = |s: &str| (s == "s3").then(|| b"\x05kept!".to_vec());
    let p = plan(&[binding("s3", None)], &read, &served, &mut state, 0);
    assert_eq!(p[0].rdata.as_deref(), Some(&b"\x05kept!"[..]));
    assert!(p[0].error.as_deref().unwrap().contains("k-s3"));
}

#[test]
fn a_selector_that_comes_back_is_current_again_not_retiring() {
    let mut state = DkimState::default();
    let none = |_: &str| None;
    let p = plan(&[binding("s1", None)], &read, &none, &mut state, 0);
    publish(&mut state, &p, 0);
    plan(&[binding("s2", None)], &read, &none, &mut state, 10);
    assert!(state.left.contains_key("s1"));
    let p = plan(&[binding("s1", None)], &read, &none, &mut state, 20);
    assert!(!state.left.contains_key("s1"));
    assert_eq!(
        p.iter().find(|p| p.selector == "s1").unwrap().role,
        Role::Current
    );
}
