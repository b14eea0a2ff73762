//! Journal and saved-version reading as a torn or corrupted file: what a restart after a
//! crash, a full disk or a bad sector finds in `state_dir`, through [`zones::journal`],
//! [`zones::saved`] and the daemon's [`Versions`](crate::daemon::pipeline::Versions), which
//! replays the journal over the saved version.
//!
//! Both formats carry a CRC-32, which random bytes never match. So the input is laid out
//! for the fuzzer, and the target frames it as daned does: `flags`, a big-endian `u16`
//! length, the saved version's body, then the journal. Flags: bit 0 appends the saved body's
//! true CRC; bit 1 reads the journal as `u16`-length-prefixed entry payloads, each framed
//! with magic, length and true CRC; bit 2 tears the last octet off the journal file.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use zones::journal::Journal;
use zones::{Name, Zone};

use crate::daemon::pipeline::Versions;

/// The journal entry magic (`zones::journal`).
const ENTRY_MAGIC: &[u8; 4] = b"DJE1";
/// The zone whose state is read.
const ORIGIN: &str = "example.com.";

/// A state folder of this process's own.
pub(crate) fn state_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        base.join(format!("daned-fuzz-journal-{}", std::process::id()))
    })
}

/// Writes the files `data` describes and opens them as a restart does.
pub fn run(data: &[u8]) {
    let Some(journal_path) = write_state(data) else {
        return;
    };
    open_twice(&journal_path);
    let origin = Name::from_ascii(ORIGIN).expect("origin");
    if let Ok(versions) = Versions::open(state_dir(), &origin) {
        let _ = versions.load_saved(&origin);
    }
}

/// Writes the saved version and the journal that `data` describes into [`state_dir`];
/// returns the journal's path, or `None` for too short an input or a file error.
pub(crate) fn write_state(data: &[u8]) -> Option<PathBuf> {
    let (&flags, rest) = data.split_first()?;
    let (len, rest) = rest.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
    let (saved_body, journal_body) = rest.split_at(len);
    let mut saved = saved_body.to_vec();
    if flags & 1 != 0 {
        saved.extend_from_slice(&crc32fast::hash(saved_body).to_be_bytes());
    }
    let mut journal = if flags & 2 != 0 {
        frame_entries(journal_body)
    } else {
        journal_body.to_vec()
    };
    if flags & 4 != 0 {
        journal.pop();
    }
    let dir = state_dir();
    let stem = zones::file_stem(&Name::from_ascii(ORIGIN).expect("origin"));
    let saved_path = dir.join("zones").join(format!("{stem}.saved"));
    let journal_path = dir.join("journal").join(format!("{stem}.jnl"));
    for (path, bytes) in [(&saved_path, &saved), (&journal_path, &journal)] {
        std::fs::create_dir_all(path.parent()?).ok()?;
        std::fs::write(path, bytes).ok()?;
    }
    Some(journal_path)
}

/// A journal that was opened (its torn tail cut) opens again whole, with the same entries.
fn open_twice(path: &Path) {
    let Ok((first, _)) = Journal::open(path, u64::MAX) else {
        return;
    };
    let Ok((again, cut)) = Journal::open(path, u64::MAX) else {
        panic!("a journal that opened once does not open again");
    };
    assert_eq!(cut, 0, "a cut journal still has a torn tail");
    assert_eq!(first.len(), again.len(), "a reopened journal lost entries");
    if let Some(last) = first.last_serial() {
        assert_eq!(again.last_serial(), Some(last));
    }
}

/// Entry payloads, each `u16` length-prefixed in `body`, framed as the journal frames them.
fn frame_entries(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some((len, rest)) = body.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes(*len)).min(rest.len());
        let (payload, rest) = rest.split_at(len);
        out.extend_from_slice(ENTRY_MAGIC);
        out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&crc32fast::hash(payload).to_be_bytes());
        out.extend_from_slice(payload);
        body = rest;
    }
    out
}

/// Inputs made from a real saved version and journal: the test suite's zone saved, and two
/// changes to it journalled by [`Journal::append`], with the flags that frame them.
pub fn seeds() -> Vec<Vec<u8>> {
    let origin = Name::from_ascii(ORIGIN).expect("origin");
    let text = include_str!("../../../tests/data/dnssec/example.com.zone");
    let Ok(loaded) = zones::master::parse_zone_str(text, &origin, "seed") else {
        return Vec::new();
    };
    let v1 = loaded.zone;
    let v2 = changed(&v1, ("2026112301", "2026112302"), "www 3600 A 192.0.2.81");
    let v3 = changed(&v2, ("2026112302", "2026112303"), "new 3600 TXT \"added\"");
    let saved = zones::saved::encode(&v1);
    let saved_body = &saved[..saved.len() - 4];
    let path = state_dir().join("seed.jnl");
    let _ = std::fs::remove_file(&path);
    let mut payloads = Vec::new();
    if let Ok((mut journal, _)) = Journal::open(&path, u64::MAX) {
        for (a, b) in [(&v1, &v2), (&v2, &v3)] {
            if let Some(diff) = zones::diff::Diff::between(a, b) {
                let _ = journal.append(&diff);
            }
        }
        if let Ok(file) = std::fs::read(&path) {
            let mut rest = &file[..];
            while rest.len() >= 12 {
                let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
                let Some(payload) = rest.get(12..12 + len) else {
                    break;
                };
                payloads.push(payload.to_vec());
                rest = &rest[12 + len..];
            }
        }
    }
    let _ = std::fs::remove_file(&path);
    let mut framed = Vec::new();
    for p in &payloads {
        framed.extend_from_slice(&(p.len() as u16).to_be_bytes());
        framed.extend_from_slice(p);
    }
    let seed = |flags: u8, journal: &[u8]| {
        let mut s = vec![flags];
        s.extend_from_slice(&(saved_body.len() as u16).to_be_bytes());
        s.extend_from_slice(saved_body);
        s.extend_from_slice(journal);
        s
    };
    vec![
        seed(3, &framed),
        seed(7, &framed),
        seed(1, &[]),
        seed(2, &framed),
    ]
}

/// `zone` with its serial changed (`from`, `to`) and one more record (parsed from `line`).
fn changed(zone: &Zone, (from, to): (&str, &str), line: &str) -> Zone {
    let mut text = zones::present::write_zone(zone);
    text = text.replacen(from, to, 1);
    text.push_str(&format!("{line}\n"));
    match zones::master::parse_zone_str_unchecked(&text, &zone.origin, "seed") {
        Ok((loaded, _)) => loaded.zone,
        Err(_) => zone.clone(),
    }
}
