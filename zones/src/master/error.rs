//! The syntax errors of the master-file loader, one variant per mistake, each citing the RFC
//! it breaks where there is one.
//!
//! A leaf of its own so that the lexer, the name and rdata readers and the loader that all
//! report them depend on it, not on each other.

use std::path::PathBuf;

/// The syntax errors a master file can contain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyntaxError {
    /// A `)` without `(`, or a `(` never closed.
    #[error("unbalanced parenthesis")]
    UnbalancedParenthesis,
    /// A quoted string runs to the end of the line or file.
    #[error("unterminated quoted string")]
    UnterminatedString,
    /// A backslash at the end of input or line.
    #[error("backslash with nothing to escape")]
    DanglingEscape,
    /// A `\DDD` escape that is not three digits or exceeds 255.
    #[error("bad \\DDD escape")]
    BadEscape,
    /// Two dots in a row, or a name starting with a dot (RFC 1035 section 5.1).
    #[error("empty label in domain name")]
    EmptyLabel,
    /// A label over 63 octets (RFC 1035 section 2.3.4).
    #[error("label longer than 63 octets")]
    LabelTooLong,
    /// A name over 255 octets in wire form (RFC 1035 section 2.3.4).
    #[error("domain name longer than 255 octets")]
    NameTooLong,
    /// Names may not be quoted.
    #[error("a domain name may not be quoted")]
    QuotedName,
    /// A TTL that is not a number with optional s/m/h/d/w units, or exceeds 2^31-1.
    #[error("bad TTL {0:?}")]
    BadTtl(String),
    /// A numeric field out of range or not a number.
    #[error("bad {field} {text:?}")]
    BadNumber {
        /// The field.
        field: &'static str,
        /// What was written.
        text: String,
    },
    /// Not a type mnemonic nor `TYPEnnn` (RFC 3597 section 5).
    #[error("unknown record type {0:?}")]
    UnknownType(String),
    /// A known type without a text parser in daned: write it as `\# len hex`.
    #[error("record type {0} is only accepted in RFC 3597 form (\\# len hex)")]
    UnsupportedType(String),
    /// A class other than the zone's.
    #[error("class {found} differs from the zone's class {zone}")]
    ClassMismatch {
        /// The record's class.
        found: String,
        /// The class of the zone.
        zone: String,
    },
    /// A record with a blank owner before any owner was given.
    #[error("no previous owner name for a record with a blank owner")]
    MissingOwner,
    /// An entry with an owner but no type.
    #[error("record has no type")]
    MissingType,
    /// A field of the rdata is missing.
    #[error("missing {0}")]
    MissingField(&'static str),
    /// Fields left over after the rdata.
    #[error("unexpected {0:?} after the record data")]
    TrailingData(String),
    /// No TTL given and none to inherit (see the module docs for the rules).
    #[error("no TTL given and no $TTL or previous TTL to use")]
    NoTtl,
    /// A `$` directive daned does not know (`$GENERATE` is not supported).
    #[error("unknown directive {0}")]
    UnknownDirective(String),
    /// A directive without its argument.
    #[error("{0} needs an argument")]
    MissingArgument(&'static str),
    /// An `$INCLUDE` that includes itself, directly or not.
    #[error("include loop: {} is already being read", .0.display())]
    IncludeLoop(PathBuf),
    /// An address that does not parse.
    #[error("bad address {0:?}")]
    BadAddress(String),
    /// A character-string over 255 octets (RFC 1035 section 3.3).
    #[error("string longer than 255 octets")]
    StringTooLong,
    /// Bad base64 (RFC 4648 section 4).
    #[error("bad base64")]
    BadBase64,
    /// Bad hexadecimal.
    #[error("bad hex")]
    BadHex,
    /// Bad base32hex (RFC 4648 section 7), as in NSEC3 next hashed owner.
    #[error("bad base32hex")]
    BadBase32,
    /// An RRSIG time that is neither YYYYMMDDHHmmSS nor seconds (RFC 4034 section 3.2).
    #[error("bad time {0:?}")]
    BadTime(String),
    /// A CAA tag that is empty or not alphanumeric (RFC 8659 section 4.1).
    #[error("bad CAA tag {0:?}")]
    BadCaaTag(String),
    /// `\# len hex` whose length disagrees with the data (RFC 3597 section 5).
    #[error("generic rdata declares {declared} octets but has {actual}")]
    GenericLengthMismatch {
        /// The declared length.
        declared: usize,
        /// The length of the hex data.
        actual: usize,
    },
    /// `\# len hex` for a type daned knows, with data not valid for it (RFC 3597 section 5).
    #[error("generic rdata is not valid {0} data")]
    BadGenericRdata(String),
    /// Unknown SvcParamKey (RFC 9460 section 14.3).
    #[error("unknown SvcParamKey {0:?}")]
    UnknownSvcKey(String),
    /// A SvcParamKey given twice (RFC 9460 section 2.2).
    #[error("SvcParamKey {0} given twice")]
    DuplicateSvcKey(String),
    /// A SvcParam value that does not fit its key (RFC 9460 section 7).
    #[error("bad value for SvcParamKey {0}")]
    BadSvcValue(String),
    /// A DS or CDS digest whose length does not fit its digest type (RFC 4034 section 5.1.4,
    /// RFC 4509 section 2.2, RFC 6605 section 3).
    #[error("digest type {digest_type} needs {expected} octets, not {actual}")]
    BadDigestLength {
        /// The digest type.
        digest_type: u8,
        /// Its digest size.
        expected: usize,
        /// What was given.
        actual: usize,
    },
    /// Record data over 65535 octets.
    #[error("record data longer than 65535 octets")]
    RdataTooLong,
    /// An entry whose text is longer, or has more fields, than any record of at most 65535
    /// octets of data can be written with: refused while reading it, before it is expanded
    /// (a parenthesised TXT of millions of strings would otherwise take gigabytes).
    #[error("record text longer than any record data of 65535 octets can be written with")]
    EntryTooLong,
    /// `$INCLUDE`s nested deeper than the limit.
    #[error("$INCLUDE nested more than {0} deep")]
    IncludeTooDeep(usize),
    /// More `$INCLUDE`s in one load than the limit (each file read counts, also when the
    /// same file is included again).
    #[error("more than {0} $INCLUDEs in one zone load")]
    TooManyIncludes(usize),
}
