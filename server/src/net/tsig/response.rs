//! Responses to our own signed requests: checking their TSIG (RFC 8945 section 5.4).

use ring::hmac;

use super::*;

//------------ Response verification ------------------------------------------

/// Why the response to a request of our own, signed with a key, is not accepted (RFC 8945
/// section 5.4: the client checks the response's TSIG as the server checked the request's).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseTsigError {
    /// The response carries no TSIG record although the request was signed.
    #[error("the response is not signed")]
    Unsigned,
    /// The TSIG record is malformed or not the last record (RFC 8945 section 5.1).
    #[error(transparent)]
    Malformed(#[from] MalformedTsig),
    /// Signed with another key name or algorithm than the request.
    #[error("the response is signed with another key or algorithm")]
    WrongKey,
    /// The peer refused the request's signature: the TSIG error it reports (16 BADSIG, 17
    /// BADKEY, 18 BADTIME, RFC 8945 section 5.2).
    #[error("the peer rejected the request's TSIG: {}", error_name(*.0))]
    Rejected(u16),
    /// The response's MAC does not verify with the key (RFC 8945 section 5.4.2).
    #[error("the response's MAC does not verify")]
    BadSig,
    /// The response was signed too far from our time (RFC 8945 section 5.4.3).
    #[error("the response's time signed is {signed}, outside our time {now} +/- {fudge} s")]
    BadTime {
        /// Time signed in the response.
        signed: u64,
        /// Our time.
        now: u64,
        /// The response's fudge.
        fudge: u16,
    },
}

/// The mnemonic of a TSIG error code, with the code.
fn error_name(code: u16) -> String {
    match code {
        16 => "BADSIG (16)".into(),
        17 => "BADKEY (17)".into(),
        18 => "BADTIME (18)".into(),
        22 => "BADTRUNC (22)".into(),
        other => format!("error {other}"),
    }
}

/// Checks the TSIG of `msg`, the response to a request we signed with `key` whose MAC was
/// `request_mac`, at time `now` (seconds). The MAC covers the request MAC, the response
/// without its TSIG record and the TSIG variables (RFC 8945 section 4.3.2).
pub fn verify_response(
    msg: &[u8],
    key: &TsigKey,
    request_mac: &[u8],
    now: u64,
) -> Result<(), ResponseTsigError> {
    let record = find_tsig(msg)?.ok_or(ResponseTsigError::Unsigned)?;
    if *key.wire_name != *record.key_name || key.algorithm.wire_name() != record.algorithm {
        return Err(ResponseTsigError::WrongKey);
    }
    // BADSIG and BADKEY answers are unsigned (RFC 8945 section 5.3.2): the error is all there is.
    if record.error != 0 && record.mac.is_empty() {
        return Err(ResponseTsigError::Rejected(record.error));
    }
    let mut ctx = hmac::Context::with_key(&key.key);
    ctx.update(&(request_mac.len() as u16).to_be_bytes());
    ctx.update(request_mac);
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
        return Err(ResponseTsigError::BadSig);
    }
    if record.error != 0 {
        return Err(ResponseTsigError::Rejected(record.error));
    }
    if now.abs_diff(record.time_signed) > u64::from(record.fudge) {
        return Err(ResponseTsigError::BadTime {
            signed: record.time_signed,
            now,
            fudge: record.fudge,
        });
    }
    Ok(())
}
