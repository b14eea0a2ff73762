//! The zone pipeline: from a loaded zone file (or a clock tick) to the next served version.
//!
//! Every new version goes through [`Versions::commit`]: the diff from the version served so
//! far is appended to the zone's journal and fsynced, the new version is written to
//! `state_dir/zones/` atomically (in wire form, [`zones::saved`]), and only then is it handed back to be served (and announced
//! by NOTIFY). The serial moves forward by the zone's serial policy whenever the content
//! changes (RFC 1982), and the zone file's own serial is respected when it moves ahead.
//!
//! Keeping the last served version on disk is what lets a restarted daemon continue where it
//! stopped: it re-signs only what changed or went stale, and its journal still links up, so
//! secondaries keep getting IXFR.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use signer::Timestamp;
use zones::diff::Diff;
use zones::journal::{History, Journal, JournalError};
use zones::serial::{Serial, SerialPolicy};
use zones::zone::RrsetKey;
use zones::{Name, Record, Rrset, Rtype, Zone};

/// Journal size past which the oldest diffs are dropped.
pub const JOURNAL_MAX_BYTES: u64 = 64 << 20;

/// A diff of at most this many records is journalled without rewriting the saved version
/// at once (the journal holds it, and a restart replays it over the saved version).
const SMALL_DIFF: usize = 1000;
/// At most this many such diffs are left unsaved, far fewer than the journal keeps after
/// compaction, so the saved version's serial is always still in the journal.
const MAX_UNSAVED: usize = 64;
/// Unsaved diffs older than this are saved at the next timer tick.
const SAVE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Types the signer makes; they do not count as content when deciding whether a zone file
/// changed.
const GENERATED: [Rtype; 7] = [
    Rtype::RRSIG,
    Rtype::NSEC,
    Rtype::NSEC3,
    Rtype::NSEC3PARAM,
    Rtype::DNSKEY,
    Rtype::CDS,
    Rtype::CDNSKEY,
];

/// Why a version could not be committed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The journal could not be written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The folder of the saved version could not be made.
    #[error("saving into {path}: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The served version could not be saved.
    #[error("saving the zone: {0}")]
    Save(#[from] zones::fs::WriteError),
}

/// A zone's durable history: its journal and the last served version on disk.
pub struct Versions {
    /// The journal.
    journal: Mutex<Journal>,
    /// Diffs journalled since the saved version was last written, and since when.
    unsaved: Mutex<(usize, Option<std::time::Instant>)>,
    /// Where the last served version is kept.
    saved: PathBuf,
    /// The daemon's state folder.
    state_dir: PathBuf,
    /// A background rewrite of the saved version is under way.
    saving: Arc<std::sync::atomic::AtomicBool>,
}

impl Versions {
    /// Opens the journal and finds the saved version of `zone` under `state_dir`.
    pub fn open(state_dir: &Path, zone: &Name) -> Result<Self, PipelineError> {
        let stem = zones::file_stem(zone);
        let (journal, cut) = Journal::open(
            &state_dir.join("journal").join(format!("{stem}.jnl")),
            JOURNAL_MAX_BYTES,
        )?;
        if cut > 0 {
            tracing::warn!(zone = %zone, bytes = cut, "journal had a torn tail (crash during a write); cut off");
        }
        Ok(Self {
            journal: Mutex::new(journal),
            unsaved: Mutex::new((0, None)),
            saved: state_dir.join("zones").join(format!("{stem}.saved")),
            state_dir: state_dir.to_path_buf(),
            saving: Arc::default(),
        })
    }

    /// The version served before the daemon last stopped: the saved version, with the
    /// journal's diffs since its serial applied (the saved copy is written lazily; see
    /// [`Versions::commit_diff`]). `None` when nothing was saved or it does not read.
    pub fn load_saved(&self, origin: &Name) -> Option<Zone> {
        let bytes = std::fs::read(&self.saved).ok()?;
        let Some(mut zone) = zones::saved::decode(&bytes, origin, zones::Class::IN) else {
            tracing::warn!(file = %self.saved.display(), "saved zone damaged; starting from the zone file alone");
            return None;
        };
        let journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        let serial = serial_of(&zone);
        if journal.last_serial().is_some_and(|last| last != serial) {
            match journal.diffs_from(serial) {
                Some(chain) => {
                    for diff in &chain {
                        diff.apply(&mut zone);
                    }
                    tracing::info!(event = "journal-replayed", zone = %origin, from = serial.0, to = serial_of(&zone).0, diffs = chain.len(), "journal replayed over the saved version");
                }
                None => {
                    tracing::warn!(zone = %origin, serial = serial.0, "the journal does not continue the saved version; starting from it")
                }
            }
        }
        Some(zone)
    }

    /// Makes `next` the served version: the journal entry (from `previous`) first, then the
    /// saved copy. Returns the history to serve with it.
    pub fn commit(&self, previous: Option<&Zone>, next: &Zone) -> Result<History, PipelineError> {
        let diff = previous.and_then(|p| Diff::between(p, next));
        self.commit_diff(diff.as_ref(), next)
    }

    /// Makes `next` the served version, `diff` leading to it from the version served so far:
    /// the diff is appended to the journal and fsynced. The saved copy (the whole zone) is
    /// rewritten at once only when the diff is large or many small ones piled up; otherwise
    /// later ([`Versions::flush`]), since a restart replays the journal over it. A one-record
    /// change thus costs one small fsynced append, not a rewrite of the zone.
    pub fn commit_diff(&self, diff: Option<&Diff>, next: &Zone) -> Result<History, PipelineError> {
        let mut journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        let small = diff.is_some_and(|d| d.added.len() + d.removed.len() <= SMALL_DIFF);
        if let Some(diff) = diff {
            journal.append(diff)?;
        }
        if let Some(e) = journal.take_compact_error() {
            tracing::warn!(error = %e, "cannot compact the journal; it keeps growing until it can");
        }
        let mut unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
        if small && unsaved.0 < MAX_UNSAVED {
            unsaved.0 += 1;
            unsaved.1.get_or_insert_with(std::time::Instant::now);
        } else if small {
            // Many small diffs piled up (a stream of UPDATEs): the whole zone is rewritten
            // off the publication path, so no single small change waits for it. The journal
            // holds every diff meanwhile, and a restart replays it over whichever saved
            // version is on disk.
            if self.save_in_background(next) {
                *unsaved = (0, None);
            } else {
                unsaved.0 += 1;
            }
        } else if let Err(e) = {
            // A background write of an older version must not land after this one.
            self.wait_for_background_save();
            self.save(next)
        } {
            // The change is journalled (a restart replays it over the older saved copy), so
            // it is published; the save is tried again at the next flush. Refusing here would
            // leave a journalled version unserved and the next one with the same serial.
            tracing::warn!(file = %self.saved.display(), error = %e, "cannot write the saved version; the journal keeps the changes");
            unsaved.0 += 1;
            unsaved.1.get_or_insert_with(std::time::Instant::now);
        } else {
            *unsaved = (0, None);
        }
        Ok(journal.history())
    }

    /// Starts writing `zone` as the saved version in a thread of its own; false when one is
    /// still writing (or no thread could be started): the caller keeps counting.
    fn save_in_background(&self, zone: &Zone) -> bool {
        use std::sync::atomic::Ordering;
        if self.saving.swap(true, Ordering::AcqRel) {
            return false;
        }
        let (zone, path, saving) = (zone.clone(), self.saved.clone(), Arc::clone(&self.saving));
        let started = std::thread::Builder::new()
            .name("save-zone".into())
            .spawn(move || {
                if let Err(e) = save_to(&path, &zone) {
                    tracing::warn!(file = %path.display(), error = %e, "cannot write the saved version; the journal keeps the changes");
                }
                saving.store(false, Ordering::Release);
            });
        if started.is_err() {
            self.saving.store(false, Ordering::Release);
        }
        started.is_ok()
    }

    /// Waits (at most 30 s) for a background write of the saved version to end.
    fn wait_for_background_save(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.saving.load(std::sync::atomic::Ordering::Acquire)
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Writes the saved version when diffs since the last write have waited long enough
    /// (`force`: whenever any wait, e.g. at exit). `zone` is asked for only then: a served
    /// zone at rest is a snapshot, and rebuilding it at every timer check to find nothing to
    /// write cost every zone a rebuild a minute.
    pub fn flush(
        &self,
        zone: impl FnOnce() -> Arc<Zone>,
        force: bool,
    ) -> Result<(), PipelineError> {
        if force {
            // At exit: a background write of an older version must not land after this one.
            self.wait_for_background_save();
        }
        let mut unsaved = self.unsaved.lock().unwrap_or_else(|e| e.into_inner());
        let due = unsaved
            .1
            .is_some_and(|since| force || since.elapsed() >= SAVE_AFTER);
        if due {
            self.wait_for_background_save();
            self.save(&zone())?;
            *unsaved = (0, None);
        }
        Ok(())
    }

    /// Writes `zone` as the saved version, atomically.
    fn save(&self, zone: &Zone) -> Result<(), PipelineError> {
        save_to(&self.saved, zone)
    }

    /// The daemon's state folder.
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// The history to serve with the current version: the journal's diffs.
    pub fn history(&self) -> History {
        let journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        journal.history()
    }
}

/// Writes `zone` to `path` (the saved version), atomically.
fn save_to(path: &Path, zone: &Zone) -> Result<(), PipelineError> {
    let bytes = zones::saved::encode(zone);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|source| PipelineError::Folder {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    Ok(zones::fs::write_atomic(path, &bytes, 0o644)?)
}

/// True when `a` and `b` hold the same records apart from the SOA and what the signer makes.
pub fn same_content(a: &Zone, b: &Zone) -> bool {
    let (removed, added) = content_diff(a, b);
    removed.is_empty() && added.is_empty()
}

/// The records of `from` that `to` lacks and those it adds, apart from the SOA and what the
/// signer makes: a zone file's change as the incremental signer takes it. An RRset whose TTL
/// changed is replaced whole. One pass over both zones in key order.
pub fn content_diff(from: &Zone, to: &Zone) -> (Vec<Record>, Vec<Record>) {
    fn content(z: &Zone) -> impl Iterator<Item = (&RrsetKey, &Rrset)> {
        z.rrsets
            .iter()
            .filter(|(_, s)| s.rtype != Rtype::SOA && !GENERATED.contains(&s.rtype))
    }
    let (mut a, mut b) = (content(from).peekable(), content(to).peekable());
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
        };
        match order {
            Ordering::Less => removed.extend(a.next().into_iter().flat_map(|(_, s)| s.records())),
            Ordering::Greater => added.extend(b.next().into_iter().flat_map(|(_, s)| s.records())),
            Ordering::Equal => {
                let (Some((_, old)), Some((_, new))) = (a.next(), b.next()) else {
                    break;
                };
                if old.ttl != new.ttl {
                    removed.extend(old.records());
                    added.extend(new.records());
                } else if old.rdatas != new.rdatas {
                    removed.extend(old.records().filter(|r| !new.rdatas.contains(&r.rdata)));
                    added.extend(new.records().filter(|r| !old.rdatas.contains(&r.rdata)));
                }
            }
        }
    }
    (removed, added)
}

/// True when the SOAs of `a` and `b` differ at most in the serial.
pub fn same_soa_but_serial(a: &Zone, b: &Zone) -> bool {
    let soa = |z: &Zone| {
        z.rrsets
            .get(&(z.origin.to_lowercase(), u16::from(Rtype::SOA), 0))
            .map(|s| {
                let rdatas: Vec<Vec<u8>> = s
                    .rdatas
                    .iter()
                    .map(|r| {
                        let mut b = r.as_bytes().to_vec();
                        if let Some(at) = b.len().checked_sub(20) {
                            b[at..at + 4].fill(0);
                        }
                        b
                    })
                    .collect();
                (s.ttl, rdatas)
            })
    };
    soa(a).is_some() && soa(a) == soa(b)
}

/// The serial the next version gets: the policy's next after `served`, and never behind the
/// zone file's own serial.
pub fn next_serial(policy: SerialPolicy, served: Serial, file: Serial, now: Timestamp) -> Serial {
    served.next(policy, file, now.0, zones::serial::yyyymmdd(now.0))
}

/// Sets the SOA serial of `zone`.
pub fn set_serial(zone: &mut Zone, serial: Serial) {
    let key = (zone.origin.to_lowercase(), u16::from(Rtype::SOA), 0);
    if let Some(soa) = zone.rrsets.get_mut(&key) {
        for rdata in &mut soa.rdatas {
            let b = &mut rdata.0;
            if let Some(at) = b.len().checked_sub(20) {
                b[at..at + 4].copy_from_slice(&serial.0.to_be_bytes());
            }
        }
    }
}

/// The serial of a zone's SOA.
pub fn serial_of(zone: &Zone) -> Serial {
    zone.serial().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zones::master::parse_zone_str;

    fn zone(text: &str) -> Zone {
        parse_zone_str(text, &Name::from_ascii("example.com.").unwrap(), "t")
            .unwrap()
            .zone
    }

    const Z: &str =
        "$ORIGIN example.com.\n$TTL 60\n@ SOA ns hm 5 1 2 3 4\n@ NS ns\nns A 192.0.2.1\n";

    #[test]
    fn content_ignores_the_soa_and_signer_made_types() {
        let a = zone(Z);
        let b = zone(&Z.replace(" 5 1 2 3 4", " 9 1 2 3 4"));
        assert!(same_content(&a, &b));
        let c = zone(&format!("{Z}www A 192.0.2.2\n"));
        assert!(!same_content(&a, &c));
    }

    #[test]
    fn a_content_diff_lists_changed_records_and_replaces_a_set_whose_ttl_changed() {
        let a = zone(&format!(
            "{Z}www A 192.0.2.2\nwww A 192.0.2.3\nold TXT gone\nt 60 TXT x\n"
        ));
        let b = zone(&format!(
            "{}www A 192.0.2.3\nwww A 192.0.2.4\nnew TXT here\nt 90 TXT x\n",
            Z.replace(" 5 1 2 3 4", " 6 1 2 3 4")
        ));
        let (removed, added) = content_diff(&a, &b);
        let text = |rs: &[Record]| {
            let mut v: Vec<String> = rs
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {:?} {}",
                        r.owner,
                        r.ttl.0,
                        r.rtype,
                        r.rdata.as_bytes().len()
                    )
                })
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            text(&removed),
            [
                "old.example.com. 60 TXT 5",
                "t.example.com. 60 TXT 2",
                "www.example.com. 60 A 4"
            ]
        );
        assert_eq!(
            text(&added),
            [
                "new.example.com. 60 TXT 5",
                "t.example.com. 90 TXT 2",
                "www.example.com. 60 A 4"
            ]
        );
        assert!(same_soa_but_serial(&a, &b));
        let c = zone(&Z.replace(" 5 1 2 3 4", " 5 1 2 3 9"));
        assert!(!same_soa_but_serial(&a, &c));
    }

    #[test]
    fn commits_journal_the_diff_and_save_the_version() {
        let dir = std::env::temp_dir().join(format!("daned-pipeline-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let origin = Name::from_ascii("example.com.").unwrap();
        let v = Versions::open(&dir, &origin).unwrap();
        let one = zone(Z);
        let mut two = zone(&format!("{Z}www A 192.0.2.2\n"));
        set_serial(&mut two, Serial(6));
        v.commit(None, &one).unwrap();
        let history = v.commit(Some(&one), &two).unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history.spans()[0].from, Serial(5));
        assert_eq!(history.spans()[0].to, Serial(6));
        assert_eq!(
            history.read(&history.spans()[0]).unwrap(),
            Diff::between(&one, &two).unwrap()
        );
        // A restart finds both again.
        let again = Versions::open(&dir, &origin).unwrap();
        let saved = again.load_saved(&origin).unwrap();
        assert_eq!(serial_of(&saved), Serial(6));
        assert_eq!(again.history().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
