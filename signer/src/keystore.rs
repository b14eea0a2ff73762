//! Key files under the state directory, in BIND's format (`K<zone>.+<alg>+<tag>.key` and
//! `.private`, Private-key-format v1.3) with daned's metadata beside them (`.meta`).
//!
//! Using BIND's format as the native one means an operator can import keys made by
//! `dnssec-keygen` ([`KeyStore::import_bind`]) and take daned's keys elsewhere. Private files
//! are mode 0600; every write goes to a temporary file that is synced, renamed over the
//! target, and followed by a sync of the directory, so a crash leaves the old or the new file,
//! never a torn one. A damaged file is reported with its path and is never replaced by a
//! fresh key: losing a published key silently would break the chain of trust.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use data_encoding::BASE64;
use zones::Name;
use zones::fs::{WriteError, write_atomic, write_atomic_all};

use crate::key::{
    Algorithm, Dnskey, KeyError, KeyRole, PrivateMaterial, RingSigningKey, SigningKey,
    split_rsa_public,
};
pub use crate::phase::{DsState, KeyPhase};
use crate::sign::SigningKeyEntry;
use crate::time::Timestamp;

//------------ KeyMetadata / StoredKey ---------------------------------------

/// What daned knows about a key beyond its material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyMetadata {
    /// What the key signs.
    pub role: KeyRole,
    /// When it was generated or imported.
    pub created: Timestamp,
    /// Its lifecycle phase.
    pub phase: KeyPhase,
    /// When it entered that phase.
    pub since: Timestamp,
    /// Its DS at the parent.
    pub ds: DsState,
}

impl KeyMetadata {
    /// A new key's metadata: phase `Generated` since `now`, no DS.
    pub fn new(role: KeyRole, now: Timestamp) -> Self {
        Self {
            role,
            created: now,
            phase: KeyPhase::Generated,
            since: now,
            ds: DsState::NotSeen,
        }
    }

    /// Moves the key to `phase` at `now`.
    pub fn enter(&mut self, phase: KeyPhase, now: Timestamp) {
        if self.phase != phase {
            self.phase = phase;
            self.since = now;
        }
    }
}

/// A key loaded from the store.
#[derive(Debug)]
pub struct StoredKey {
    /// The zone the key belongs to.
    pub zone: Name,
    /// The key pair.
    pub key: RingSigningKey,
    /// Role, creation time and phase.
    pub meta: KeyMetadata,
    /// The key tag of its DNSKEY (with the role's flags).
    pub tag: u16,
}

impl StoredKey {
    /// The DNSKEY of this key.
    pub fn dnskey(&self) -> Dnskey {
        self.key.dnskey(self.meta.role.flags())
    }

    /// What the signer does with this key in its current phase, as the rollover's table
    /// ([`crate::rollover::key_use`]) says; `None` when the key is not in the zone.
    /// `ctx` is the zone's (see [`signing_entries`]).
    pub fn signing_entry(&self, ctx: crate::rollover::Context) -> Option<SigningKeyEntry<'_>> {
        let used = crate::rollover::key_use(self.meta.role, self.meta.phase, ctx);
        (used.publish || used.sign_as.is_some()).then(|| SigningKeyEntry {
            key: &self.key,
            // A CSK that only signs the DNSKEY RRset is, for the signer, a KSK: same flags.
            role: used.sign_as.unwrap_or(self.meta.role),
            publish: used.publish,
            sign: used.sign_as.is_some(),
            cds: used.cds,
        })
    }

    /// BIND's file name stem, `K<zone>+<alg>+<tag>`.
    pub fn file_stem(&self) -> String {
        file_stem(&self.zone, self.key.algorithm(), self.tag)
    }
}

/// What the signer does with each of a zone's keys under the KSK `method`.
pub fn signing_entries(
    keys: &[StoredKey],
    method: crate::rollover::KskMethod,
) -> Vec<SigningKeyEntry<'_>> {
    let ctx = crate::rollover::Context::of(
        keys.iter().map(|k| (k.key.algorithm(), k.meta.phase)),
        method,
    );
    keys.iter().filter_map(|k| k.signing_entry(ctx)).collect()
}

//------------ KeyStoreError -------------------------------------------------

/// What is wrong with a key file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// A field the format requires is absent.
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// A field's value is not valid base64, a number or a known word.
    #[error("field {0} has an invalid value")]
    BadValue(&'static str),
    /// No `DNSKEY` record in a `.key` file.
    #[error("no DNSKEY record")]
    NoDnskey,
    /// The algorithm is not one daned can sign with.
    #[error("unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The private key does not belong to the public key beside it, or is not a valid key.
    #[error("private key does not match the public key")]
    KeyMismatch,
    /// An RSA modulus below 2048 bits: ring (and RFC 8624 practice) refuses them.
    #[error("RSA keys below 2048 bits are not supported")]
    RsaKeyTooSmall,
    /// The file's name does not follow `K<zone>.+<alg>+<tag>`.
    #[error("file name is not K<zone>.+<alg>+<tag>")]
    BadFileName,
}

/// Why a key store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A key file exists but cannot be used.
    #[error("{}: {problem}", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: Damage,
    },
    /// Writing a file failed (its temporary file is gone, the old file is unchanged).
    #[error(transparent)]
    Write(#[from] WriteError),
    /// Key generation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Every attempt produced a key tag already used in this zone.
    #[error("could not find an unused key tag")]
    TagCollision,
    /// No key of the zone has this tag.
    #[error("no key with tag {0}")]
    UnknownKey(u16),
}

//------------ KeyStore ------------------------------------------------------

/// The key files of all zones, in one directory.
#[derive(Clone, Debug)]
pub struct KeyStore {
    /// The directory.
    dir: PathBuf,
}

impl KeyStore {
    /// Opens (creating it, mode 0700) the key directory.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, KeyStoreError> {
        let dir = dir.into();
        let io = |source| KeyStoreError::Io {
            path: dir.clone(),
            source,
        };
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(io)?;
            fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).map_err(io)?;
        }
        Ok(Self { dir })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Generates a key for `zone`, writes its files and returns it in phase `Generated`.
    pub fn generate(
        &self,
        zone: &Name,
        algorithm: Algorithm,
        role: KeyRole,
        now: Timestamp,
    ) -> Result<StoredKey, KeyStoreError> {
        self.generate_as(zone, algorithm, role, now, |_| {})
    }

    /// [`KeyStore::generate`] with the metadata set by `prepare` before the files are written,
    /// so that a key that starts in another phase (a zone's first key, active at once) is
    /// written once, not written and then rewritten.
    pub fn generate_as(
        &self,
        zone: &Name,
        algorithm: Algorithm,
        role: KeyRole,
        now: Timestamp,
        prepare: impl FnOnce(&mut KeyMetadata),
    ) -> Result<StoredKey, KeyStoreError> {
        let taken = self.tags_in_use(zone)?;
        for _ in 0..16 {
            let key = RingSigningKey::generate(algorithm)?;
            let dnskey = key.dnskey(role.flags());
            let tag = dnskey.key_tag();
            // RFC 5011 revocation changes the tag (flags + 128); avoid both collisions.
            let revoked = Dnskey {
                flags: dnskey.flags | 0x80,
                ..dnskey
            }
            .key_tag();
            if taken.contains(&tag) || taken.contains(&revoked) {
                continue;
            }
            let mut meta = KeyMetadata::new(role, now);
            prepare(&mut meta);
            let stored = StoredKey {
                zone: zone.to_lowercase(),
                key,
                meta,
                tag,
            };
            self.write(&stored)?;
            return Ok(stored);
        }
        Err(KeyStoreError::TagCollision)
    }

    /// Imports a BIND key pair (`dnssec-keygen` output) into the store. The role is taken
    /// from the SEP flag when not given (SEP: KSK, else ZSK); the phase is `Generated`.
    pub fn import_bind(
        &self,
        key_path: &Path,
        private_path: &Path,
        role: Option<KeyRole>,
        now: Timestamp,
    ) -> Result<StoredKey, KeyStoreError> {
        let (zone, dnskey, key) = read_bind_pair(key_path, private_path)?;
        let role = role.unwrap_or(if dnskey.flags & 1 == 1 {
            KeyRole::Ksk
        } else {
            KeyRole::Zsk
        });
        let stored = StoredKey {
            tag: key.dnskey(role.flags()).key_tag(),
            zone,
            key,
            meta: KeyMetadata::new(role, now),
        };
        self.write(&stored)?;
        Ok(stored)
    }

    /// Loads every key of `zone`. Any damaged file is an error: a key is never skipped.
    pub fn load_zone(&self, zone: &Name) -> Result<Vec<StoredKey>, KeyStoreError> {
        let prefix = format!("K{}+", zone_file_name(zone));
        let mut out = Vec::new();
        for stem in self.stems()? {
            if !stem.starts_with(&prefix) {
                continue;
            }
            out.push(self.load(&stem)?);
        }
        out.sort_by_key(|k| k.tag);
        // Held by the zone for its life: a zone of one key would otherwise keep room for four
        // (a key is a few hundred bytes, and a server may hold ten thousand zones).
        out.shrink_to_fit();
        Ok(out)
    }

    /// Loads one key by its file stem.
    pub fn load(&self, stem: &str) -> Result<StoredKey, KeyStoreError> {
        let key_path = self.dir.join(format!("{stem}.key"));
        let private_path = self.dir.join(format!("{stem}.private"));
        let meta_path = self.dir.join(format!("{stem}.meta"));
        let (zone, dnskey, key) = read_bind_pair(&key_path, &private_path)?;
        let meta = parse_meta(&read(&meta_path)?, &meta_path)?;
        let tag = key.dnskey(meta.role.flags()).key_tag();
        if tag != dnskey.key_tag() {
            return Err(damaged(&meta_path, Damage::BadValue("role")));
        }
        Ok(StoredKey {
            zone,
            key,
            meta,
            tag,
        })
    }

    /// Saves the metadata of a key (after a phase change).
    pub fn save_metadata(&self, key: &StoredKey) -> Result<(), KeyStoreError> {
        let path = self.dir.join(format!("{}.meta", key.file_stem()));
        Ok(write_atomic(&path, meta_text(&key.meta).as_bytes(), 0o644)?)
    }

    /// Writes all three files of a key.
    fn write(&self, key: &StoredKey) -> Result<(), KeyStoreError> {
        let stem = key.file_stem();
        let dnskey = key.dnskey();
        let private = self.dir.join(format!("{stem}.private"));
        let public = self.dir.join(format!("{stem}.key"));
        let meta = self.dir.join(format!("{stem}.meta"));
        let private_text = private_text(&key.key, key.meta.created);
        let key_text = key_text(&key.zone, &dnskey, key.meta.role, key.tag);
        let meta_text = meta_text(&key.meta);
        Ok(write_atomic_all(&[
            (&private, private_text.as_bytes(), 0o600),
            (&public, key_text.as_bytes(), 0o644),
            (&meta, meta_text.as_bytes(), 0o644),
        ])?)
    }

    /// The stems of every `.key` file in the directory.
    fn stems(&self) -> Result<Vec<String>, KeyStoreError> {
        let io = |source| KeyStoreError::Io {
            path: self.dir.clone(),
            source,
        };
        let mut out = Vec::new();
        for entry in fs::read_dir(&self.dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name();
            let stem = name.to_str().and_then(|n| n.strip_suffix(".key"));
            if let Some(stem) = stem.filter(|s| s.starts_with('K')) {
                out.push(stem.to_owned());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Tags (from the file names) already used by `zone`.
    fn tags_in_use(&self, zone: &Name) -> Result<Vec<u16>, KeyStoreError> {
        let prefix = format!("K{}+", zone_file_name(zone));
        Ok(self
            .stems()?
            .iter()
            .filter_map(|s| s.strip_prefix(&prefix))
            .filter_map(|rest| rest.rsplit('+').next()?.parse().ok())
            .collect())
    }
}

//------------ BIND formats --------------------------------------------------

/// The zone as BIND writes it in file names: lowercase, with the trailing dot.
fn zone_file_name(zone: &Name) -> String {
    let mut s = zone.to_lowercase().to_ascii();
    if !s.ends_with('.') {
        s.push('.');
    }
    s
}

/// `K<zone>+<alg:03>+<tag:05>`.
fn file_stem(zone: &Name, alg: Algorithm, tag: u16) -> String {
    format!("K{}+{:03}+{:05}", zone_file_name(zone), alg.0, tag)
}

/// The `.key` file: a comment and the DNSKEY record.
pub fn key_text(zone: &Name, dnskey: &Dnskey, role: KeyRole, tag: u16) -> String {
    let kind = if role.signs_keys() {
        "key-signing"
    } else {
        "zone-signing"
    };
    format!(
        "; This is a {kind} key, keyid {tag}, for {zone}\n{zone} IN DNSKEY {} {} {} {}\n",
        dnskey.flags,
        dnskey.protocol,
        dnskey.algorithm.0,
        BASE64.encode(&dnskey.public_key),
        zone = zone_file_name(zone),
    )
}

/// The `.private` file, Private-key-format v1.3.
pub fn private_text(key: &RingSigningKey, created: Timestamp) -> String {
    let alg = key.algorithm();
    let mut s = format!(
        "Private-key-format: v1.3\nAlgorithm: {} ({})\n",
        alg.0,
        alg.mnemonic()
    );
    match key.private_material() {
        PrivateMaterial::EcdsaP256(d) | PrivateMaterial::Ed25519(d) => {
            s.push_str(&format!("PrivateKey: {}\n", BASE64.encode(d)));
        }
        PrivateMaterial::Rsa(fields) => {
            for (name, value) in RSA_FIELDS.iter().zip(fields.iter()) {
                s.push_str(&format!("{name}: {}\n", BASE64.encode(value)));
            }
        }
    }
    s.push_str(&format!("Created: {}\n", created.to_rrsig_presentation()));
    s
}

/// The RSA fields of BIND's private format, in order.
const RSA_FIELDS: [&str; 8] = [
    "Modulus",
    "PublicExponent",
    "PrivateExponent",
    "Prime1",
    "Prime2",
    "Exponent1",
    "Exponent2",
    "Coefficient",
];

/// Reads a BIND `.key` and `.private` pair into zone, DNSKEY and key pair.
pub fn read_bind_pair(
    key_path: &Path,
    private_path: &Path,
) -> Result<(Name, Dnskey, RingSigningKey), KeyStoreError> {
    let (zone, dnskey) = parse_key_file(&read(key_path)?, key_path)?;
    let private = read(private_path)?;
    let bad = |problem| damaged(private_path, problem);
    let field = |name: &'static str| -> Result<Vec<u8>, KeyStoreError> {
        let line = private
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .ok_or_else(|| bad(Damage::MissingField(name)))?;
        BASE64
            .decode(line.trim().as_bytes())
            .map_err(|_| bad(Damage::BadValue(name)))
    };
    let alg_line = private
        .lines()
        .find_map(|l| l.strip_prefix("Algorithm:"))
        .ok_or_else(|| bad(Damage::MissingField("Algorithm")))?;
    let alg: u8 = alg_line
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad(Damage::BadValue("Algorithm")))?;
    let alg = Algorithm(alg);
    if alg != dnskey.algorithm {
        return Err(bad(Damage::KeyMismatch));
    }
    let material = match alg {
        Algorithm::ECDSAP256SHA256 | Algorithm::ED25519 => {
            let d: [u8; 32] = field("PrivateKey")?
                .try_into()
                .map_err(|_| bad(Damage::BadValue("PrivateKey")))?;
            if alg == Algorithm::ED25519 {
                PrivateMaterial::Ed25519(d)
            } else {
                PrivateMaterial::EcdsaP256(d)
            }
        }
        Algorithm::RSASHA256 => {
            let mut fields: [Vec<u8>; 8] = Default::default();
            for (slot, name) in fields.iter_mut().zip(RSA_FIELDS) {
                *slot = field(name)?;
            }
            match split_rsa_public(&dnskey.public_key) {
                None => return Err(damaged(key_path, Damage::BadValue("public key"))),
                Some((_, n)) if n.len() < 256 => return Err(bad(Damage::RsaKeyTooSmall)),
                Some(_) => {}
            }
            PrivateMaterial::Rsa(Box::new(fields))
        }
        _ => return Err(bad(Damage::UnsupportedAlgorithm)),
    };
    let key = RingSigningKey::from_private(alg, material, Some(dnskey.public_key.clone()))
        .map_err(|_| bad(Damage::KeyMismatch))?;
    Ok((zone, dnskey, key))
}

/// Parses a `.key` file: comments after `;`, optional TTL and class, one DNSKEY record,
/// possibly in parentheses over several lines.
fn parse_key_file(text: &str, path: &Path) -> Result<(Name, Dnskey), KeyStoreError> {
    let tokens: Vec<&str> = text
        .lines()
        .map(|l| l.split(';').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .filter(|t| *t != "(" && *t != ")")
        .collect();
    let bad = |problem| damaged(path, problem);
    let pos = tokens
        .iter()
        .position(|t| t.eq_ignore_ascii_case("DNSKEY"))
        .ok_or_else(|| bad(Damage::NoDnskey))?;
    let owner = tokens
        .first()
        .filter(|_| pos > 0)
        .ok_or_else(|| bad(Damage::NoDnskey))?;
    let zone = Name::from_ascii(owner).map_err(|_| bad(Damage::NoDnskey))?;
    let num = |i: usize, name| {
        tokens
            .get(pos + i)
            .and_then(|t| t.trim_matches(|c| c == '(' || c == ')').parse::<u16>().ok())
            .ok_or_else(|| bad(Damage::BadValue(name)))
    };
    let flags = num(1, "flags")?;
    let protocol = num(2, "protocol")?;
    let algorithm = num(3, "algorithm")?;
    let b64: String = tokens[(pos + 4).min(tokens.len())..]
        .iter()
        .flat_map(|t| t.chars().filter(|c| *c != '(' && *c != ')'))
        .collect();
    let public_key = BASE64
        .decode(b64.as_bytes())
        .map_err(|_| bad(Damage::BadValue("public key")))?;
    let (Ok(protocol), Ok(algorithm)) = (u8::try_from(protocol), u8::try_from(algorithm)) else {
        return Err(bad(Damage::BadValue("algorithm")));
    };
    Ok((
        zone.to_lowercase(),
        Dnskey {
            flags,
            protocol,
            algorithm: Algorithm(algorithm),
            public_key,
        },
    ))
}

/// The metadata file: `key: value` lines.
fn meta_text(meta: &KeyMetadata) -> String {
    format!(
        "; daned key metadata\nrole: {}\ncreated: {}\nphase: {}\nsince: {}\nds: {}\n",
        meta.role.as_str(),
        meta.created.as_secs(),
        meta.phase.as_str(),
        meta.since.as_secs(),
        meta.ds.to_text()
    )
}

/// Parses [`meta_text`] output.
fn parse_meta(text: &str, path: &Path) -> Result<KeyMetadata, KeyStoreError> {
    let get = |name: &'static str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
            .ok_or_else(|| damaged(path, Damage::MissingField(name)))
    };
    let bad = |name| damaged(path, Damage::BadValue(name));
    let role = KeyRole::from_str_opt(get("role")?).ok_or_else(|| bad("role"))?;
    let created = Timestamp(get("created")?.parse().map_err(|_| bad("created"))?);
    let phase = KeyPhase::from_str_opt(get("phase")?).ok_or_else(|| bad("phase"))?;
    // `since` and `ds` came with rollovers; files written before then lack them: the key
    // has been in its phase since it was made, and an active key signing keys has its DS.
    let since = match get("since") {
        Ok(v) => Timestamp(v.parse().map_err(|_| bad("since"))?),
        Err(_) => created,
    };
    let ds = match get("ds") {
        Ok(v) => DsState::from_text(v).ok_or_else(|| bad("ds"))?,
        Err(_) if phase == KeyPhase::Active && role.signs_keys() => DsState::Seen(created),
        Err(_) => DsState::NotSeen,
    };
    Ok(KeyMetadata {
        role,
        created,
        phase,
        since,
        ds,
    })
}

//------------ file helpers --------------------------------------------------

/// A damaged-file error.
fn damaged(path: &Path, problem: Damage) -> KeyStoreError {
    KeyStoreError::Damaged {
        path: path.to_owned(),
        problem,
    }
}

/// Reads a file as UTF-8; non-UTF-8 content is damage, not an I/O error.
fn read(path: &Path) -> Result<String, KeyStoreError> {
    let bytes = fs::read(path).map_err(|source| KeyStoreError::Io {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| damaged(path, Damage::BadValue("text encoding")))
}

#[cfg(test)]
mod tests;
