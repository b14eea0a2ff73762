//! TEMPORARY stand-in for the RFC 1035 master-file loader (owned by another branch; this file is
//! replaced at merge). It provides the contract's signature and types and reads a trivial
//! one-record-per-line subset so that the serving core can be tried.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::record::{Class, Name, Record, Rtype, Ttl};
use crate::zone::Zone;

/// A loaded zone and the warnings met on the way.
#[derive(Debug)]
pub struct Loaded {
    /// The zone.
    pub zone: Zone,
    /// Non-fatal findings.
    pub warnings: Vec<Warning>,
}

/// A non-fatal finding, shown as `file:line: message`.
#[derive(Debug)]
pub struct Warning {
    /// The file.
    pub file: PathBuf,
    /// The line.
    pub line: usize,
    /// What was found.
    pub message: String,
}

/// Why a zone file could not be loaded, shown as `file:line: message`.
#[derive(Debug)]
pub struct LoadError {
    /// The file.
    pub file: PathBuf,
    /// The line.
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
    }
}

impl std::error::Error for LoadError {}

/// Loads the zone at `path` with origin `origin`. Stand-in: one record per line, `owner ttl
/// class type rdata` (owner `@` or relative to the origin), types SOA NS CNAME MX A AAAA TXT
/// TLSA, `;` comments; no directives, no parentheses.
pub fn load_zone_file(path: &Path, origin: &Name) -> Result<Loaded, LoadError> {
    let err = |line: usize, message: String| LoadError {
        file: path.to_owned(),
        line,
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(0, e.to_string()))?;
    let mut zone = Zone::new(origin.clone(), Class::IN);
    for (i, raw) in text.lines().enumerate() {
        let tokens = tokenize(raw);
        if tokens.is_empty() {
            continue;
        }
        let record = parse_record(&tokens, origin).map_err(|m| err(i + 1, m))?;
        zone.insert(record);
    }
    if zone.soa().is_none() {
        return Err(err(0, "no SOA at the origin".into()));
    }
    Ok(Loaded {
        zone,
        warnings: Vec::new(),
    })
}

/// Splits a line into tokens, keeping quoted strings (without quotes) and dropping comments.
fn tokenize(line: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == ';' {
            break;
        } else if c == '"' {
            chars.next();
            let s: String = chars.by_ref().take_while(|&c| c != '"').collect();
            tokens.push(format!("\"{s}"));
        } else {
            let mut s = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == ';' {
                    break;
                }
                s.push(c);
                chars.next();
            }
            tokens.push(s);
        }
    }
    tokens
}

/// A name token, relative to `origin` unless it ends in a dot.
fn name(token: &str, origin: &Name) -> Result<Name, String> {
    if token == "@" {
        return Ok(origin.clone());
    }
    let n = Name::from_ascii(token).map_err(|e| format!("bad name {token:?}: {e}"))?;
    if n.is_fqdn() {
        Ok(n)
    } else {
        n.append_domain(origin)
            .map_err(|e| format!("bad name {token:?}: {e}"))
    }
}

/// Uncompressed wire form of a name.
fn wire(n: &Name, out: &mut Vec<u8>) {
    for label in n.iter() {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
}

/// One record from its tokens.
fn parse_record(t: &[String], origin: &Name) -> Result<Record, String> {
    if t.len() < 4 {
        return Err("expected: owner ttl class type rdata".into());
    }
    let owner = name(&t[0], origin)?;
    let ttl: u32 = t[1].parse().map_err(|_| format!("bad TTL {:?}", t[1]))?;
    if !t[2].eq_ignore_ascii_case("IN") {
        return Err(format!("class {:?} unsupported", t[2]));
    }
    let rtype: Rtype = t[3]
        .to_ascii_uppercase()
        .parse()
        .map_err(|_| format!("unknown type {:?}", t[3]))?;
    let args = &t[4..];
    let num = |s: &str| s.parse::<u32>().map_err(|_| format!("bad number {s:?}"));
    let want = |n: usize| {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("{rtype} needs {n} fields"))
        }
    };
    let mut rdata = Vec::new();
    match rtype {
        Rtype::A => {
            want(1)?;
            let a: std::net::Ipv4Addr = args[0].parse().map_err(|_| "bad IPv4 address")?;
            rdata.extend_from_slice(&a.octets());
        }
        Rtype::AAAA => {
            want(1)?;
            let a: std::net::Ipv6Addr = args[0].parse().map_err(|_| "bad IPv6 address")?;
            rdata.extend_from_slice(&a.octets());
        }
        Rtype::NS | Rtype::CNAME | Rtype::PTR => {
            want(1)?;
            wire(&name(&args[0], origin)?, &mut rdata);
        }
        Rtype::MX => {
            want(2)?;
            rdata.extend_from_slice(&(num(&args[0])? as u16).to_be_bytes());
            wire(&name(&args[1], origin)?, &mut rdata);
        }
        Rtype::SOA => {
            want(7)?;
            wire(&name(&args[0], origin)?, &mut rdata);
            wire(&name(&args[1], origin)?, &mut rdata);
            for a in &args[2..] {
                rdata.extend_from_slice(&num(a)?.to_be_bytes());
            }
        }
        Rtype::TXT => {
            if args.is_empty() {
                return Err("TXT needs a string".into());
            }
            for a in args {
                let s = a.strip_prefix('"').unwrap_or(a).as_bytes();
                for chunk in s.chunks(255) {
                    rdata.push(chunk.len() as u8);
                    rdata.extend_from_slice(chunk);
                }
            }
        }
        Rtype::TLSA => {
            if args.len() < 4 {
                return Err("TLSA needs usage selector matching data".into());
            }
            for a in &args[..3] {
                rdata.push(num(a)? as u8);
            }
            let hex: String = args[3..].concat();
            if hex.len() & 1 == 1 {
                return Err("odd hex length".into());
            }
            for i in (0..hex.len()).step_by(2) {
                let b = u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| "bad hex")?;
                rdata.push(b);
            }
        }
        other => return Err(format!("type {other} not supported by the stand-in loader")),
    }
    Ok(Record {
        owner,
        rtype,
        class: Class::IN,
        ttl: Ttl(ttl),
        rdata: rdata.into(),
    })
}
