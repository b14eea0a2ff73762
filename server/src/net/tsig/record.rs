//! Requests: finding a message's TSIG record and checking its MAC (RFC 8945 section 4.3,
//! 5.2).

use ring::hmac;

use super::*;

//------------ Request verification -------------------------------------------

/// A TSIG record found at the end of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TsigRecord {
    /// Offset of the record in the message.
    pub start: usize,
    /// Lowercase wire key name.
    pub key_name: Vec<u8>,
    /// Lowercase wire algorithm name.
    pub algorithm: Vec<u8>,
    /// Time signed (48 bits).
    pub time_signed: u64,
    /// Fudge.
    pub fudge: u16,
    /// The MAC.
    pub mac: Vec<u8>,
    /// The message ID when it was signed.
    pub original_id: u16,
    /// Error field.
    pub error: u16,
    /// Other data (the server's time in a BADTIME response, RFC 8945 section 5.2.3). The
    /// MAC covers it exactly as transmitted, whatever it holds (section 4.3.3).
    pub other: Vec<u8>,
}

/// The outcome of checking a request's TSIG.
#[derive(Debug)]
pub enum Verified<'k> {
    /// No TSIG record.
    Unsigned,
    /// Signed with `key`; the request MAC for signing the response.
    Signed {
        /// The key.
        key: &'k TsigKey,
        /// The request's MAC.
        mac: Vec<u8>,
    },
    /// Signed, but wrong: answer NOTAUTH with this error (signed when the key is known).
    Failed {
        /// The error.
        error: TsigError,
        /// The key when it is known (BADSIG, BADTIME); the error response is then signed
        /// only for BADTIME (RFC 8945 section 5.3.2).
        key: Option<&'k TsigKey>,
        /// The request's TSIG record.
        record: TsigRecord,
    },
    /// The TSIG record is malformed or not last: FORMERR.
    Malformed,
}

/// Checks the TSIG of `msg` (if any) against `keys` at time `now` (seconds).
pub fn verify_request<'k>(msg: &[u8], keys: &'k [TsigKey], now: u64) -> Verified<'k> {
    let record = match find_tsig(msg) {
        Ok(None) => return Verified::Unsigned,
        Ok(Some(r)) => r,
        Err(MalformedTsig) => return Verified::Malformed,
    };
    let Some(key) = keys
        .iter()
        .find(|k| *k.wire_name == *record.key_name && k.algorithm.wire_name() == record.algorithm)
    else {
        return Verified::Failed {
            error: TsigError::BadKey,
            key: None,
            record,
        };
    };
    let mut ctx = hmac::Context::with_key(&key.key);
    digest_message(&mut ctx, msg, &record);
    digest_variables(
        &mut ctx,
        &record.key_name,
        &record.algorithm,
        record.time_signed,
        record.fudge,
        record.error,
        &record.other,
    );
    if !mac_matches(ctx, &record.mac) {
        return Verified::Failed {
            error: TsigError::BadSig,
            key: Some(key),
            record,
        };
    }
    if now.abs_diff(record.time_signed) > u64::from(record.fudge) {
        return Verified::Failed {
            error: TsigError::BadTime,
            key: Some(key),
            record,
        };
    }
    Verified::Signed {
        key,
        mac: record.mac,
    }
}

/// True when `mac` is the MAC `ctx` computes, or an allowed truncation of it: at least half
/// of it and at least 10 octets (RFC 8945 section 5.2.2.1).
pub(super) fn mac_matches(ctx: hmac::Context, mac: &[u8]) -> bool {
    let expected = ctx.sign();
    let full = expected.as_ref();
    let n = mac.len();
    n <= full.len() && n >= 10.max(full.len() / 2) && constant_time_eq(&full[..n], mac)
}

/// Compares without leaking where the first difference is.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Feeds the message as RFC 8945 section 4.3.1 wants it: without its TSIG record, ARCOUNT
/// one less, and the original ID in place.
pub(super) fn digest_message(ctx: &mut hmac::Context, msg: &[u8], record: &TsigRecord) {
    let mut header = [0u8; 12];
    header.copy_from_slice(&msg[..12]);
    header[..2].copy_from_slice(&record.original_id.to_be_bytes());
    let ar = u16::from_be_bytes([header[10], header[11]]).saturating_sub(1);
    header[10..12].copy_from_slice(&ar.to_be_bytes());
    ctx.update(&header);
    ctx.update(&msg[12..record.start]);
}

/// Feeds the TSIG variables (RFC 8945 section 4.3.3).
pub(super) fn digest_variables(
    ctx: &mut hmac::Context,
    key_name: &[u8],
    algorithm: &[u8],
    time_signed: u64,
    fudge: u16,
    error: u16,
    other: &[u8],
) {
    ctx.update(key_name);
    ctx.update(&CLASS_ANY.to_be_bytes());
    ctx.update(&0u32.to_be_bytes());
    ctx.update(algorithm);
    ctx.update(&time_signed.to_be_bytes()[2..]);
    ctx.update(&fudge.to_be_bytes());
    ctx.update(&error.to_be_bytes());
    ctx.update(&(other.len() as u16).to_be_bytes());
    ctx.update(other);
}

/// A message whose TSIG record is malformed or not the last record (answered FORMERR).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed message or TSIG record not last (RFC 8945 section 5.1)")]
pub struct MalformedTsig;

/// Finds the TSIG record, which must be the last record of the message (RFC 8945 section
/// 5.1).
pub fn find_tsig(msg: &[u8]) -> Result<Option<TsigRecord>, MalformedTsig> {
    if msg.len() < 12 {
        return Err(MalformedTsig);
    }
    let count = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]) as usize;
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos).ok_or(MalformedTsig)? + 4;
    }
    let total = an + ns + ar;
    for i in 0..total {
        let start = pos;
        let (name_end, name) = read_name(msg, pos).ok_or(MalformedTsig)?;
        let fixed = msg.get(name_end..name_end + 10).ok_or(MalformedTsig)?;
        let rtype = u16::from_be_bytes([fixed[0], fixed[1]]);
        let rdlen = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let rdata = name_end + 10;
        let end = rdata + rdlen;
        if end > msg.len() {
            return Err(MalformedTsig);
        }
        if rtype == TSIG_TYPE {
            if i != total - 1 || ar == 0 {
                return Err(MalformedTsig);
            }
            let rd = &msg[rdata..end];
            let (alg_end, algorithm) = read_name(msg, rdata).ok_or(MalformedTsig)?;
            let o = alg_end - rdata;
            let field = |at: usize, len: usize| rd.get(o + at..o + at + len).ok_or(MalformedTsig);
            let t = field(0, 6)?;
            let time_signed = u64::from_be_bytes([0, 0, t[0], t[1], t[2], t[3], t[4], t[5]]);
            let fudge = u16::from_be_bytes(field(6, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let mac_len =
                u16::from_be_bytes(field(8, 2)?.try_into().map_err(|_| MalformedTsig)?) as usize;
            let mac = field(10, mac_len)?.to_vec();
            let rest = 10 + mac_len;
            let original_id =
                u16::from_be_bytes(field(rest, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let error =
                u16::from_be_bytes(field(rest + 2, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let other_len =
                u16::from_be_bytes(field(rest + 4, 2)?.try_into().map_err(|_| MalformedTsig)?);
            let other = field(rest + 6, usize::from(other_len))?.to_vec();
            return Ok(Some(TsigRecord {
                start,
                key_name: name,
                algorithm,
                time_signed,
                fudge,
                mac,
                original_id,
                error,
                other,
            }));
        }
        pos = end;
    }
    Ok(None)
}

/// Skips a possibly compressed name; the offset after it.
fn skip_name(msg: &[u8], pos: usize) -> Option<usize> {
    read_name(msg, pos).map(|(end, _)| end)
}

/// Reads a possibly compressed name: the offset after it in place, and its lowercase
/// uncompressed wire form.
fn read_name(msg: &[u8], mut pos: usize) -> Option<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut end = None;
    for _ in 0..128 {
        let len = *msg.get(pos)? as usize;
        if len & 0xc0 == 0xc0 {
            let lo = *msg.get(pos + 1)? as usize;
            end.get_or_insert(pos + 2);
            pos = ((len & 0x3f) << 8) | lo;
            continue;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        out.push(len as u8);
        if len == 0 {
            return Some((end.unwrap_or(pos + 1), out));
        }
        out.extend(
            msg.get(pos + 1..pos + 1 + len)?
                .iter()
                .map(u8::to_ascii_lowercase),
        );
        // With the root label still to come: a name is at most 255 octets in all (RFC 1035
        // section 3.1), or it is echoed into a response that no client can parse.
        if out.len() > 254 {
            return None;
        }
        pos += 1 + len;
    }
    None
}
