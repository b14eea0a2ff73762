//! Zone files that would multiply memory or reads are refused early, naming file and line:
//! a record whose text cannot fit 65535 octets of data, `$INCLUDE`s nested too deep, and
//! more `$INCLUDE`s in one load than allowed. The files are generated in a temporary folder.

use std::path::{Path, PathBuf};

use zones::Name;
use zones::master::{LoadError, MAX_INCLUDE_DEPTH, MAX_INCLUDES, SyntaxError, load_zone_file};

/// A temporary folder removed on drop (the crate has no dev-dependencies to keep it lean).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("zones-limits-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// Writes `text` to `name` in the folder and returns its path.
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn origin() -> Name {
    Name::from_ascii("example.com.").unwrap()
}

/// The apex records every test zone needs to pass the checks.
const APEX: &str =
    "$TTL 3600\n@ SOA ns1 hostmaster 1 7200 3600 1209600 3600\n@ NS ns1\nns1 A 192.0.2.1\n";

/// The syntax error of `err`: its file, line and kind.
fn syntax(err: LoadError) -> (String, usize, SyntaxError) {
    match err {
        LoadError::Syntax {
            file, line, kind, ..
        } => (file, line, kind),
        other => panic!("expected a syntax error, got {other}"),
    }
}

/// A TXT record of `strings` character-strings of 255 octets each, parenthesised over lines.
fn long_txt(strings: usize) -> String {
    let one = format!("\"{}\"\n", "x".repeat(255));
    format!("big TXT (\n{})\n", one.repeat(strings))
}

#[test]
fn a_txt_over_65535_octets_of_data_fails_at_its_line() {
    let dir = TempDir::new("txt");
    // 256 octets per string: 255 strings fit (65280), 257 do not (65792).
    let fits = dir.write("fits.zone", &format!("{APEX}{}", long_txt(255)));
    assert!(load_zone_file(&fits, &origin()).is_ok());
    let path = dir.write("txt.zone", &format!("{APEX}{}", long_txt(257)));
    let err = load_zone_file(&path, &origin()).unwrap_err();
    let shown = err.to_string();
    let (file, line, kind) = syntax(err);
    assert_eq!(kind, SyntaxError::RdataTooLong, "{shown}");
    assert_eq!((Path::new(&file), line), (path.as_path(), 5), "{shown}");
    assert!(shown.contains("txt.zone:5:"), "{shown}");
}

#[test]
fn a_txt_of_more_strings_than_any_record_can_hold_fails_while_read() {
    let dir = TempDir::new("strings");
    // 150,000 empty strings: each would be one octet, so no record can hold them; the entry
    // is refused by the tokenizer before it is built (450 kB of text, not gigabytes).
    let text = format!(
        "{APEX}a A 192.0.2.2\nhuge TXT (\n{})\n",
        "\"\" ".repeat(150_000)
    );
    let path = dir.write("strings.zone", &text);
    let err = load_zone_file(&path, &origin()).unwrap_err();
    let shown = err.to_string();
    let (file, line, kind) = syntax(err);
    assert_eq!(kind, SyntaxError::EntryTooLong, "{shown}");
    assert_eq!((Path::new(&file), line), (path.as_path(), 6), "{shown}");
}

/// A chain `main.zone -> d1.zone -> ... -> dN.zone`, each include on line 2 after a record.
fn include_chain(dir: &TempDir, depth: usize) -> PathBuf {
    for d in 1..=depth {
        let next = if d < depth {
            format!("$INCLUDE d{}.zone\n", d + 1)
        } else {
            String::new()
        };
        dir.write(&format!("d{d}.zone"), &format!("h{d} A 192.0.2.10\n{next}"));
    }
    dir.write("main.zone", &format!("{APEX}$INCLUDE d1.zone\n"))
}

#[test]
fn includes_nested_deeper_than_the_limit_fail_at_the_include_too_many() {
    let dir = TempDir::new("depth-ok");
    let main = include_chain(&dir, MAX_INCLUDE_DEPTH);
    let loaded = load_zone_file(&main, &origin()).unwrap();
    let last = Name::from_ascii(format!("h{MAX_INCLUDE_DEPTH}.example.com.")).unwrap();
    assert!(loaded.zone.get(&last, zones::Rtype::A).is_some());

    let dir = TempDir::new("depth");
    let main = include_chain(&dir, MAX_INCLUDE_DEPTH + 1);
    let err = load_zone_file(&main, &origin()).unwrap_err();
    let shown = err.to_string();
    let (file, line, kind) = syntax(err);
    assert_eq!(
        kind,
        SyntaxError::IncludeTooDeep(MAX_INCLUDE_DEPTH),
        "{shown}"
    );
    let deepest = dir.0.join(format!("d{MAX_INCLUDE_DEPTH}.zone"));
    assert_eq!((PathBuf::from(file), line), (deepest, 2), "{shown}");
    assert!(shown.contains("nested more than 8 deep"), "{shown}");
}

#[test]
fn more_includes_than_the_limit_fail_at_the_first_one_over() {
    // Ten includes per file, three levels: 10 + 100 + 1000 files to read.
    let dir = TempDir::new("fanout");
    let includes = |name: &str| format!("$INCLUDE {name}\n").repeat(10);
    dir.write("leaf.zone", "leaf A 192.0.2.20\n");
    dir.write("f2.zone", &includes("leaf.zone"));
    dir.write("f1.zone", &includes("f2.zone"));
    let main = dir.write("main.zone", &format!("{APEX}{}", includes("f1.zone")));
    let err = load_zone_file(&main, &origin()).unwrap_err();
    let shown = err.to_string();
    let (file, line, kind) = syntax(err);
    assert_eq!(kind, SyntaxError::TooManyIncludes(MAX_INCLUDES), "{shown}");
    // Each f1.zone costs 1 + 10 * (1 + 10) = 111 reads: the tenth starts at read 1000, and its
    // first include (f2.zone, line 1) is read 1001.
    assert_eq!(
        (PathBuf::from(file), line),
        (dir.0.join("f1.zone"), 1),
        "{shown}"
    );

    // Exactly the limit is fine (the same leaf read again only warns of duplicates).
    let dir = TempDir::new("fanout-ok");
    dir.write("leaf.zone", "leaf A 192.0.2.20\n");
    let main = dir.write(
        "main.zone",
        &format!("{APEX}{}", "$INCLUDE leaf.zone\n".repeat(MAX_INCLUDES)),
    );
    let loaded = load_zone_file(&main, &origin()).unwrap();
    assert_eq!(loaded.warnings.len(), MAX_INCLUDES - 1);
}
