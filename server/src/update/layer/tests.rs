use super::*;
use crate::update::test_util::zone;

fn record(text: &str) -> Record {
    let origin = Name::from_ascii("example.com.").unwrap();
    let (l, _) = parse_zone_str_unchecked(text, &origin, "t").unwrap();
    l.zone.records().next().unwrap()
}

#[test]
fn the_layer_round_trips_through_its_file() {
    let dir = std::env::temp_dir().join(format!("daned-layer-{}", std::process::id()));
    let zone_name = Name::from_ascii("example.com.").unwrap();
    let mut layer = Layer::default();
    layer.record(&Records {
        removed: vec![record("multi.example.com. 300 IN A 192.0.2.2")],
        added: vec![record("_acme-challenge.mx1.example.com. 60 IN TXT \"a b\"")],
    });
    layer.save(&dir, &zone_name).unwrap();
    let path = Layer::path(&dir, &zone_name);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(Layer::load(&dir, &zone_name).unwrap(), layer);
    Layer::default().save(&dir, &zone_name).unwrap();
    assert!(!path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_added_record_deleted_again_leaves_no_trace() {
    let mut layer = Layer::default();
    let r = record("x.example.com. 60 IN TXT \"t\"");
    layer.record(&Records {
        removed: vec![],
        added: vec![r.clone()],
    });
    layer.record(&Records {
        removed: vec![r],
        added: vec![],
    });
    assert!(layer.is_empty());
}

#[test]
fn the_layer_applies_over_the_file_and_wins() {
    let mut layer = Layer::default();
    layer.record(&Records {
        removed: vec![record("multi.example.com. 300 IN A 192.0.2.2")],
        added: vec![record("new.example.com. 60 IN TXT \"t\"")],
    });
    let z = layer.apply_to(zone());
    let multi = z.get(
        &Name::from_ascii("multi.example.com.").unwrap(),
        zones::Rtype::A,
    );
    assert_eq!(multi.unwrap().rdatas.len(), 1);
    assert!(
        z.get(
            &Name::from_ascii("new.example.com.").unwrap(),
            zones::Rtype::TXT
        )
        .is_some()
    );
}
