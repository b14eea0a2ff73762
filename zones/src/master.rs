//! The RFC 1035 section 5.1 master-file loader, with `$TTL` (RFC 2308 section 4) and the
//! RFC 3597 generic rdata form, reporting every error as `FILE:LINE:COL: message`.
//!
//! hickory-proto keeps its text rdata parsers private, so the front end is daned's own: a
//! tokenizer (`lexer`), names with escapes (`name`), and text to wire per type (`text`,
//! `svcb`). Records are stored as uncompressed wire rdata, as the rest of the crate expects.
//!
//! Default TTL, as BIND does it: a record without a TTL takes `$TTL`; failing that, the last
//! TTL written explicitly; failing that, if the record is the SOA, its MINIMUM field (with a
//! warning). Any other record without a TTL before one is known is an error.
//!
//! Types with a text form here: A NS CNAME SOA PTR HINFO MX TXT AAAA SRV NAPTR DNAME DS SSHFP
//! RRSIG NSEC DNSKEY NSEC3 NSEC3PARAM TLSA SMIMEA CDS CDNSKEY OPENPGPKEY SVCB HTTPS SPF CAA.
//! Every other type (LOC, CERT, URI, ZONEMD, ...) is accepted in RFC 3597 form only, and
//! written back in it. `$GENERATE` is not supported. Identical records are collapsed and
//! differing TTLs in an RRset unified to the lowest, each with a [`Warning`].

mod error;
pub(crate) mod lexer;
pub(crate) mod name;
pub(crate) mod svcb;
pub(crate) mod text;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::{self, CheckError, Location, Provenance};
use crate::record::{Class, Name, Rdata, Record, Rtype, Ttl};
use crate::safe_read::{MAX_ZONE_FILE_BYTES, read_regular};
use crate::zone::Zone;
pub use error::SyntaxError;
use lexer::{Entry, Located, Token};

/// How deep `$INCLUDE`s may nest: zones split by hand use one or two levels.
pub const MAX_INCLUDE_DEPTH: usize = 8;

/// How many `$INCLUDE`s one load may read: an include tree fanning out (ten per file, six
/// deep) would otherwise read a million files.
pub const MAX_INCLUDES: usize = 1000;

//------------ Public API ----------------------------------------------------

/// A zone read from text, with the warnings found on the way.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The zone.
    pub zone: Zone,
    /// Things that were accepted but deserve a look (duplicates, TTLs unified).
    pub warnings: Vec<Warning>,
}

/// Loads the zone file at `path` for the zone `origin` and runs the semantic checks of
/// [`crate::check`]. `$INCLUDE` paths are relative to the including file's folder.
pub fn load_zone_file(path: &Path, origin: &Name) -> Result<Loaded, LoadError> {
    let label = path.display().to_string();
    let bytes = read_regular(path, MAX_ZONE_FILE_BYTES).map_err(|source| LoadError::Io {
        file: label.clone(),
        source,
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loader = Loader::new(origin);
    loader.stack.push(canonical(path));
    loader.load_text(&bytes, &label, &dir, origin.clone())?;
    loader.finish()
}

/// Parses zone text as if it were a file named `source_label`, then runs the checks.
/// `$INCLUDE` paths are relative to the current directory.
pub fn parse_zone_str(text: &str, origin: &Name, source_label: &str) -> Result<Loaded, LoadError> {
    let mut loader = Loader::new(origin);
    loader.load_text(text.as_bytes(), source_label, Path::new(""), origin.clone())?;
    loader.finish()
}

/// Like [`parse_zone_str`] but without the semantic checks, for fragments and tools that
/// check later (the checks need a whole zone: SOA, apex NS).
pub fn parse_zone_str_unchecked(
    text: &str,
    origin: &Name,
    source_label: &str,
) -> Result<(Loaded, Provenance), LoadError> {
    let mut loader = Loader::new(origin);
    loader.load_text(text.as_bytes(), source_label, Path::new(""), origin.clone())?;
    Ok((
        Loaded {
            zone: loader.zone,
            warnings: loader.warnings,
        },
        loader.provenance,
    ))
}

//------------ LoadError -----------------------------------------------------

/// Why a zone could not be loaded. Every variant names the file (the included one when the
/// problem is there) and, where there is one, the line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The text does not follow master-file syntax.
    #[error("{file}:{line}:{col}: {kind}")]
    Syntax {
        /// File the error is in.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What is wrong.
        kind: SyntaxError,
    },
    /// The zone file itself could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A file named by `$INCLUDE` could not be read.
    #[error("{file}:{line}: cannot read included file {}: {source}", path.display())]
    Include {
        /// The including file.
        file: String,
        /// Line of the `$INCLUDE`.
        line: usize,
        /// The included path as resolved.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The zone parsed but breaks a semantic rule.
    #[error(transparent)]
    Check(#[from] CheckError),
}

impl LoadError {
    /// The line the error points at, if any (useful to tests and editors).
    pub fn line(&self) -> Option<usize> {
        match self {
            Self::Syntax { line, .. } | Self::Include { line, .. } => Some(*line),
            Self::Check(c) => Some(c.location().line),
            Self::Io { .. } => None,
        }
    }
}

//------------ Warning -------------------------------------------------------

/// Something accepted at load that deserves attention, with its file and line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// Where.
    pub at: Location,
    /// What.
    pub kind: WarningKind,
}

/// The kinds of [`Warning`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WarningKind {
    /// An identical record appeared before; this one was collapsed (RFC 2181 section 5).
    #[error("duplicate {rtype} record at {owner} collapsed")]
    DuplicateRecord {
        /// Owner.
        owner: String,
        /// Type mnemonic.
        rtype: String,
    },
    /// The RRset had another TTL; all its records now have the lowest (RFC 2181 section 5.2).
    #[error("TTL of {rtype} RRset at {owner} differs; unified to {ttl}")]
    TtlUnified {
        /// Owner.
        owner: String,
        /// Type mnemonic.
        rtype: String,
        /// The TTL now used for the set.
        ttl: u32,
    },
    /// No `$TTL` and no earlier TTL: the SOA took its MINIMUM field as TTL, as BIND does.
    #[error("no TTL given; using the SOA MINIMUM {0}")]
    SoaMinimumUsedAsTtl(u32),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.kind)
    }
}

//------------ Loader --------------------------------------------------------

/// State that lasts across files of one load.
struct Loader {
    /// The zone being built.
    zone: Zone,
    /// Warnings so far.
    warnings: Vec<Warning>,
    /// Where each RRset's records came from, in file order.
    provenance: Provenance,
    /// `$TTL`, once set.
    default_ttl: Option<u32>,
    /// The last TTL written explicitly on a record.
    last_ttl: Option<u32>,
    /// The last owner name, for blank owners.
    last_owner: Option<Name>,
    /// The class of the first record; all must agree.
    class: Option<Class>,
    /// Files being read, for include loop detection.
    stack: Vec<PathBuf>,
    /// How deep the `$INCLUDE` being read is nested (0: the zone's own text).
    include_depth: usize,
    /// `$INCLUDE`s read so far in this load.
    includes: usize,
}

/// `path` made absolute and resolved, or as given when that fails (the read will fail too).
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Loader {
    /// A loader for a zone at `origin`.
    fn new(origin: &Name) -> Self {
        Self {
            zone: Zone::new(origin.clone(), Class::IN),
            warnings: Vec::new(),
            provenance: HashMap::new(),
            default_ttl: None,
            last_ttl: None,
            last_owner: None,
            class: None,
            stack: Vec::new(),
            include_depth: 0,
            includes: 0,
        }
    }

    /// Runs the checks and hands the zone over.
    fn finish(self) -> Result<Loaded, LoadError> {
        check::check(&self.zone, Some(&self.provenance))?;
        Ok(Loaded {
            zone: self.zone,
            warnings: self.warnings,
        })
    }

    /// Reads one file's text. `origin` is the starting `$ORIGIN`.
    fn load_text(
        &mut self,
        bytes: &[u8],
        label: &str,
        dir: &Path,
        mut origin: Name,
    ) -> Result<(), LoadError> {
        let file: Arc<str> = Arc::from(label);
        let syntax = |e: Located| LoadError::Syntax {
            file: label.to_string(),
            line: e.line,
            col: e.col,
            kind: e.kind,
        };
        let entries = lexer::tokenize(bytes).map_err(syntax)?;
        for entry in &entries {
            let first = &entry.tokens[0];
            if !entry.blank_owner && !first.quoted && first.text.first() == Some(&b'$') {
                self.directive(entry, &file, dir, &mut origin)?;
                continue;
            }
            self.record(entry, &file, &origin).map_err(syntax)?;
        }
        Ok(())
    }

    /// Handles `$ORIGIN`, `$TTL` and `$INCLUDE`.
    fn directive(
        &mut self,
        entry: &Entry,
        file: &Arc<str>,
        dir: &Path,
        origin: &mut Name,
    ) -> Result<(), LoadError> {
        let syntax = |t: &Token, kind| LoadError::Syntax {
            file: file.to_string(),
            line: t.line,
            col: t.col,
            kind,
        };
        let first = &entry.tokens[0];
        let arg = |name: &'static str, i: usize| {
            entry
                .tokens
                .get(i)
                .ok_or_else(|| syntax(first, SyntaxError::MissingArgument(name)))
        };
        let upper = first.text.to_ascii_uppercase();
        match &upper[..] {
            b"$ORIGIN" => {
                let t = arg("$ORIGIN", 1)?;
                *origin = name::parse_name(t, origin).map_err(|k| syntax(t, k))?;
                if let Some(extra) = entry.tokens.get(2) {
                    return Err(syntax(extra, SyntaxError::TrailingData(extra.as_str())));
                }
            }
            b"$TTL" => {
                let t = arg("$TTL", 1)?;
                let ttl = text::parse_ttl(&t.text)
                    .filter(|&v| v <= Ttl::MAX.0)
                    .ok_or_else(|| syntax(t, SyntaxError::BadTtl(t.as_str())))?;
                self.default_ttl = Some(ttl);
                if let Some(extra) = entry.tokens.get(2) {
                    return Err(syntax(extra, SyntaxError::TrailingData(extra.as_str())));
                }
            }
            b"$INCLUDE" => {
                let t = arg("$INCLUDE", 1)?;
                let rel = lexer::unescape(&t.text).map_err(|k| syntax(t, k))?;
                let rel = PathBuf::from(String::from_utf8_lossy(&rel).into_owned());
                let path = dir.join(rel);
                let inc_origin = match entry.tokens.get(2) {
                    Some(o) => name::parse_name(o, origin).map_err(|k| syntax(o, k))?,
                    None => origin.clone(),
                };
                if let Some(extra) = entry.tokens.get(3) {
                    return Err(syntax(extra, SyntaxError::TrailingData(extra.as_str())));
                }
                let canon = canonical(&path);
                if self.stack.contains(&canon) {
                    return Err(syntax(t, SyntaxError::IncludeLoop(path)));
                }
                if self.include_depth >= MAX_INCLUDE_DEPTH {
                    return Err(syntax(
                        first,
                        SyntaxError::IncludeTooDeep(MAX_INCLUDE_DEPTH),
                    ));
                }
                if self.includes >= MAX_INCLUDES {
                    return Err(syntax(first, SyntaxError::TooManyIncludes(MAX_INCLUDES)));
                }
                self.includes += 1;
                let bytes = read_regular(&path, MAX_ZONE_FILE_BYTES).map_err(|source| {
                    LoadError::Include {
                        file: file.to_string(),
                        line: t.line,
                        path: path.clone(),
                        source,
                    }
                })?;
                let sub_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                self.stack.push(canon);
                self.include_depth += 1;
                let saved_owner = self.last_owner.clone();
                let label = path.display().to_string();
                let result = self.load_text(&bytes, &label, &sub_dir, inc_origin);
                self.include_depth -= 1;
                self.stack.pop();
                self.last_owner = saved_owner;
                result?;
            }
            _ => {
                return Err(syntax(first, SyntaxError::UnknownDirective(first.as_str())));
            }
        }
        Ok(())
    }

    /// Parses one record entry and adds it to the zone.
    fn record(&mut self, entry: &Entry, file: &Arc<str>, origin: &Name) -> Result<(), Located> {
        let toks = &entry.tokens;
        let at = |t: &Token, kind| Located {
            line: t.line,
            col: t.col,
            kind,
        };
        let mut i = 0;
        let owner = if entry.blank_owner {
            self.last_owner
                .clone()
                .ok_or_else(|| at(&toks[0], SyntaxError::MissingOwner))?
        } else {
            i = 1;
            name::parse_name(&toks[0], origin).map_err(|k| at(&toks[0], k))?
        };
        self.last_owner = Some(owner.clone());
        let mut ttl = None;
        let mut class = None;
        for _ in 0..2 {
            let Some(t) = toks.get(i) else { break };
            if ttl.is_none() && !t.quoted && t.text.first().is_some_and(u8::is_ascii_digit) {
                let v = text::parse_ttl(&t.text)
                    .filter(|&v| v <= Ttl::MAX.0)
                    .ok_or_else(|| at(t, SyntaxError::BadTtl(t.as_str())))?;
                ttl = Some(v);
                i += 1;
            } else if class.is_none() && text::class_from_text(t).is_some() {
                class = text::class_from_text(t);
                i += 1;
            } else {
                break;
            }
        }
        let type_tok = toks
            .get(i)
            .ok_or_else(|| at(&toks[toks.len() - 1], SyntaxError::MissingType))?;
        let code = if type_tok.quoted {
            None
        } else {
            crate::registry::type_from_text(&type_tok.text)
        };
        let code = code.ok_or_else(|| at(type_tok, SyntaxError::UnknownType(type_tok.as_str())))?;
        let rtype = Rtype::from(code);
        let class = Class::from(class.unwrap_or_else(|| self.class.map_or(1, u16::from)));
        match self.class {
            None => {
                self.class = Some(class);
                self.zone.class = class;
            }
            Some(zc) if zc != class => {
                return Err(at(
                    type_tok,
                    SyntaxError::ClassMismatch {
                        found: crate::registry::class_to_text(u16::from(class)),
                        zone: crate::registry::class_to_text(u16::from(zc)),
                    },
                ));
            }
            Some(_) => {}
        }
        let rdata = text::rdata_from_text(rtype, &toks[i + 1..], origin, type_tok)?;
        let location = Location {
            file: file.clone(),
            line: entry.line,
        };
        let ttl = match ttl {
            Some(v) => {
                self.last_ttl = Some(v);
                v
            }
            None => match self.default_ttl.or(self.last_ttl) {
                Some(v) => v,
                None if code == 6 && rdata.len() >= 4 => {
                    let n = rdata.len();
                    let min = u32::from_be_bytes([
                        rdata[n - 4],
                        rdata[n - 3],
                        rdata[n - 2],
                        rdata[n - 1],
                    ]);
                    let min = min.min(Ttl::MAX.0);
                    self.warnings.push(Warning {
                        at: location.clone(),
                        kind: WarningKind::SoaMinimumUsedAsTtl(min),
                    });
                    self.last_ttl = Some(min);
                    min
                }
                None => return Err(at(type_tok, SyntaxError::NoTtl)),
            },
        };
        self.add(
            Record {
                owner,
                rtype,
                class,
                ttl: Ttl(ttl),
                rdata: Rdata::from(rdata),
            },
            location,
        );
        Ok(())
    }

    /// Inserts a record, noting duplicates and TTL differences.
    fn add(&mut self, record: Record, at: Location) {
        // Texts for warnings are made only when there is one: this runs for every record.
        let owner = || crate::present::name_to_text(&record.owner);
        let rtype_text = || crate::registry::type_to_text(u16::from(record.rtype));
        let covered = crate::zone::covered_type(record.rtype, record.rdata.as_bytes());
        let key = (
            record.owner.to_lowercase(),
            u16::from(record.rtype),
            covered,
        );
        // One lookup for both questions: on a million-name file the map's name comparisons
        // are most of the loading time.
        let existing = self.zone.rrsets.get(&key);
        let old_ttl = existing.map(|s| s.ttl);
        let ttl = record.ttl;
        // Duplicates compare in canonical form (RFC 4034 section 6.2): `NS a.example.` and
        // `NS A.EXAMPLE.` are one record, and keeping both would sign the same data twice.
        let rtype = record.rtype;
        let canonical = |r: &Rdata| crate::rdata::to_canonical(rtype, r.as_bytes());
        let is_duplicate = existing.is_some_and(|s| {
            s.rdatas.binary_search(&record.rdata).is_ok()
                || (!crate::rdata::canonical_names(rtype, record.rdata.as_bytes()).is_empty() && {
                    let mine = canonical(&record.rdata);
                    s.rdatas.iter().any(|r| canonical(r) == mine)
                })
        });
        if is_duplicate {
            self.warnings.push(Warning {
                at: at.clone(),
                kind: WarningKind::DuplicateRecord {
                    owner: owner(),
                    rtype: rtype_text(),
                },
            });
        }
        if let Some(old) = old_ttl
            && old != ttl
        {
            self.warnings.push(Warning {
                at: at.clone(),
                kind: WarningKind::TtlUnified {
                    owner: owner(),
                    rtype: rtype_text(),
                    ttl: old.min(ttl).0,
                },
            });
        }
        if is_duplicate {
            // Keep the first spelling; only the TTL may still lower the set's.
            if let Some(set) = self.zone.rrsets.get_mut(&key) {
                set.ttl = set.ttl.min(ttl);
            }
        } else {
            self.zone.insert(record);
        }
        self.provenance.entry(key).or_default().push(at);
    }
}

#[cfg(test)]
mod tests;
