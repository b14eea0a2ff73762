//! Data-driven tests of the master-file loader, the checks and the presentation output.
//!
//! - `data/master/NN_<TYPE>.zone` is loaded and written with `write_zone`; the text must equal
//!   `NN_<TYPE>.expected` (regenerate with `UPDATE_GOLDEN=1 cargo test -p zones`), parse back
//!   to the same zone, and agree with `ldns-read-zone` on the same input.
//! - `data/check/<variant>.zone` each break one rule; the first line says `; line N`, the line
//!   the error must name, and the file stem is the `CheckError` variant in snake case.

use std::path::{Path, PathBuf};
use std::process::Command;

use zones::Name;
use zones::check::CheckError;
use zones::master::{LoadError, load_zone_file, parse_zone_str};
use zones::present::write_zone;

/// The origin every test zone uses.
fn origin() -> Name {
    Name::from_ascii("example.com.").unwrap()
}

/// Test data folder.
fn data(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(sub)
}

/// Files in `dir` ending in `ext`, sorted.
fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    assert!(!v.is_empty(), "no .{ext} files in {}", dir.display());
    v
}

/// Lines made comparable across tools: ldns's `;{...}` comments dropped, whitespace collapsed,
/// case folded, quotes removed; sorted.
fn normalise(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| match l.find(";{") {
            Some(i) => &l[..i],
            None => l,
        })
        .map(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_lowercase()
                .replace('"', "")
        })
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines
}

/// `ldns-read-zone` output for `path`; a missing tool fails the test.
fn ldns_read_zone(path: &Path) -> String {
    let out = Command::new("ldns-read-zone")
        .arg(path)
        .output()
        .expect("ldns-read-zone must be installed (apt-get install ldnsutils)");
    assert!(
        out.status.success(),
        "ldns-read-zone rejected {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_golden_zone_is_written_as_expected_and_parses_back_to_the_same_zone() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for path in files(&data("master"), "zone") {
        let loaded = load_zone_file(&path, &origin())
            .unwrap_or_else(|e| panic!("{} failed to load: {e}", path.display()));
        let written = write_zone(&loaded.zone);
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &written).unwrap();
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        assert_eq!(
            written,
            expected,
            "write_zone output of {} differs from {}",
            path.display(),
            expected_path.display()
        );
        let again = parse_zone_str(&written, &origin(), "written")
            .unwrap_or_else(|e| panic!("output of {} does not parse: {e}", path.display()));
        assert_eq!(
            again.zone,
            loaded.zone,
            "{} does not round-trip",
            path.display()
        );
    }
}

#[test]
fn ldns_read_zone_agrees_with_write_zone_on_every_golden_zone() {
    let mut all = files(&data("master"), "zone");
    all.push(data("all_types.zone"));
    for path in all {
        let ours = write_zone(&load_zone_file(&path, &origin()).unwrap().zone);
        let theirs = ldns_read_zone(&path);
        assert_eq!(
            normalise(&ours),
            normalise(&theirs),
            "write_zone and ldns-read-zone differ on {}",
            path.display()
        );
    }
}

#[test]
fn a_zone_with_every_type_round_trips_through_text() {
    let loaded = load_zone_file(&data("all_types.zone"), &origin()).unwrap();
    let text = write_zone(&loaded.zone);
    let again = parse_zone_str(&text, &origin(), "written").unwrap();
    assert_eq!(again.zone, loaded.zone);
    assert_eq!(write_zone(&again.zone), text);
}

/// `no_apex_ns` → `NoApexNs`.
fn camel(stem: &str) -> String {
    stem.split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn every_bad_zone_fails_with_its_check_variant_at_its_line() {
    for path in files(&data("check"), "zone") {
        let text = std::fs::read_to_string(&path).unwrap();
        let line: usize = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("; line "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{} must start with `; line N`", path.display()));
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let err = match load_zone_file(&path, &origin()) {
            Err(LoadError::Check(e)) => e,
            other => panic!("{}: expected a check error, got {other:?}", path.display()),
        };
        let debug = format!("{err:?}");
        assert!(
            debug.starts_with(&format!("{} ", camel(stem))),
            "{}: expected variant {}, got {debug}",
            path.display(),
            camel(stem)
        );
        assert_eq!(
            err.location().line,
            line,
            "{}: wrong line in {err}",
            path.display()
        );
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!("{}:{line}: ", path.display())),
            "{}: message must start with file:line, got {shown}",
            path.display()
        );
    }
}

#[test]
fn there_is_one_bad_zone_per_check_variant() {
    let variants = [
        "no_soa",
        "multiple_soa",
        "soa_not_at_apex",
        "no_apex_ns",
        "cname_and_other_data",
        "multiple_cnames",
        "out_of_zone",
        "missing_glue",
        "data_below_dname",
    ];
    for v in variants {
        assert!(
            data("check").join(format!("{v}.zone")).exists(),
            "missing tests/data/check/{v}.zone"
        );
    }
    // Keep the list above in step with the enum: this match fails to compile otherwise.
    let _ = |e: CheckError| match e {
        CheckError::NoSoa { .. }
        | CheckError::MultipleSoa { .. }
        | CheckError::SoaNotAtApex { .. }
        | CheckError::NoApexNs { .. }
        | CheckError::CnameAndOtherData { .. }
        | CheckError::MultipleCnames { .. }
        | CheckError::OutOfZone { .. }
        | CheckError::MissingGlue { .. }
        | CheckError::DataBelowDname { .. } => (),
        _ => (),
    };
}

#[test]
fn includes_are_read_relative_to_the_including_file_with_their_own_origin() {
    let loaded = load_zone_file(&data("include/main.zone"), &origin()).unwrap();
    let text = write_zone(&loaded.zone);
    assert!(
        text.contains("www.inc.example.com. 3600 IN A 192.0.2.80"),
        "{text}"
    );
    // The origin is restored after the include.
    assert!(
        text.contains("after.example.com. 3600 IN A 192.0.2.81"),
        "{text}"
    );
}

#[test]
fn an_error_in_an_included_file_names_that_file_and_line() {
    let err = load_zone_file(&data("include/bad_main.zone"), &origin()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("bad_inc.zone:2:"), "{shown}");
}

#[test]
fn an_include_loop_is_an_error() {
    let err = load_zone_file(&data("include/loop_a.zone"), &origin()).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("include loop"), "{shown}");
}

/// `named-checkzone -D` output for `path` (BIND's canonical dump), comment and status lines
/// dropped; a missing tool fails the test.
fn named_dump(path: &Path) -> String {
    let out = Command::new("named-checkzone")
        .args(["-D", "-k", "ignore", "-i", "none", "-o", "-", "example.com"])
        .arg(path)
        .output()
        .expect("named-checkzone must be installed (apt-get install bind9-utils)");
    assert!(
        out.status.success(),
        "named-checkzone rejected {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with(';') && !l.starts_with("zone ") && *l != "OK")
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn bind_reads_every_golden_zone_to_the_same_records_as_daned() {
    // Our parser reads BIND's canonical text; the zone must be what we read from the source.
    // This pins our wire encodings to BIND's for every type in the golden set.
    let mut all = files(&data("master"), "zone");
    all.push(data("all_types.zone"));
    for path in all {
        let ours = load_zone_file(&path, &origin()).unwrap().zone;
        let dump = named_dump(&path);
        let theirs = parse_zone_str(&dump, &origin(), "named-checkzone output")
            .unwrap_or_else(|e| {
                panic!(
                    "BIND's dump of {} does not parse: {e}\n{dump}",
                    path.display()
                )
            })
            .zone;
        assert_eq!(
            write_zone(&theirs),
            write_zone(&ours),
            "BIND and daned read {} differently",
            path.display()
        );
    }
}

#[test]
fn ldns_output_parses_back_to_the_same_zone() {
    let mut all = files(&data("master"), "zone");
    all.push(data("all_types.zone"));
    for path in all {
        let ours = load_zone_file(&path, &origin()).unwrap().zone;
        let text = ldns_read_zone(&path);
        let theirs = parse_zone_str(&text, &origin(), "ldns-read-zone output")
            .unwrap_or_else(|e| panic!("ldns output for {} does not parse: {e}", path.display()))
            .zone;
        assert_eq!(
            theirs,
            ours,
            "ldns and daned read {} differently",
            path.display()
        );
    }
}

#[test]
fn parse_zone_str_reads_includes_relative_to_the_current_directory() {
    // Cargo runs integration tests in the package folder.
    let text = "$TTL 3600\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n\
                $INCLUDE tests/data/include/sub/inc.zone inc\n";
    let loaded = parse_zone_str(text, &origin(), "inline").unwrap();
    assert!(write_zone(&loaded.zone).contains("www.inc.example.com. 3600 IN A 192.0.2.80"));
}
