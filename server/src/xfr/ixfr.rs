//! IXFR out (RFC 1995) from the history the snapshot carries.
//!
//! A client at the current serial gets the SOA alone (section 4). A client whose serial the
//! history reaches gets, after the new SOA, each diff as "old SOA, removed records, new SOA,
//! added records", and the new SOA again at the end. Anything else (a serial the journal no
//! longer holds, or one newer than ours) gets the whole zone in AXFR form, which RFC 1995
//! section 4 allows and every secondary understands.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWrite;
use zones::diff::Diff;
use zones::serial::Serial;
use zones::snapshot::ZoneSnapshot;
use zones::{Record, Rrset};

use super::axfr::{AxfrError, AxfrStream, Item, apex_soa, send_axfr, send_stream};
use crate::net::tsig::ResponseSigner;

/// What an IXFR answer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IxfrKind {
    /// The client is current: our SOA only.
    UpToDate,
    /// The diffs since the client's serial.
    Incremental {
        /// How many diffs.
        diffs: usize,
    },
    /// The whole zone (AXFR form).
    Full,
}

/// Sends the IXFR answer for a client at `client` onto `w`. Returns what was sent and the
/// number of messages.
pub async fn send_ixfr<W: AsyncWrite + Unpin>(
    snapshot: &ZoneSnapshot,
    query: &[u8],
    client: Serial,
    w: &mut W,
    write_timeout: Duration,
    signer: Option<&mut ResponseSigner<'_>>,
) -> Result<(IxfrKind, usize), AxfrError> {
    let soa = apex_soa(snapshot)?;
    let current = Serial(snapshot.serial);
    if client == current {
        let one: Box<dyn Iterator<Item = Item> + Send> =
            Box::new(std::iter::once((Arc::new(soa), 0)));
        let n = send_stream(
            AxfrStream::from_records(one, query)?,
            w,
            write_timeout,
            signer,
        )
        .await?;
        return Ok((IxfrKind::UpToDate, n));
    }
    let Some(diffs) = read_chain(snapshot, client).await else {
        let n = send_axfr(snapshot, query, w, write_timeout, signer).await?;
        return Ok((IxfrKind::Full, n));
    };
    let sequence = sequence(&soa, &diffs);
    let items: Box<dyn Iterator<Item = Item> + Send> =
        Box::new(sequence.into_iter().map(|set| (Arc::new(set), 0)));
    let n = send_stream(
        AxfrStream::from_records(items, query)?,
        w,
        write_timeout,
        signer,
    )
    .await?;
    Ok((IxfrKind::Incremental { diffs: diffs.len() }, n))
}

/// The diffs from `client` to the version served, read from the journal file off the
/// runtime's threads; `None` when the history does not reach back to `client` or the file
/// cannot be read (logged: the client then gets the whole zone, which is always right).
async fn read_chain(snapshot: &ZoneSnapshot, client: Serial) -> Option<Vec<Diff>> {
    let chain = snapshot.diffs_since(client)?.to_vec();
    let history = snapshot.history.clone();
    let read = tokio::task::spawn_blocking(move || history.read_all(&chain)).await;
    match read {
        Ok(Ok(diffs)) => Some(diffs),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot read the journal for IXFR; sending the whole zone");
            None
        }
        Err(_) => None,
    }
}

/// The IXFR record sequence (RFC 1995 section 4), one record per one-rdata set.
fn sequence(current_soa: &Rrset, diffs: &[Diff]) -> Vec<Rrset> {
    let one = |r: &Record| {
        let mut set = Rrset::new(r.owner.clone(), r.rtype, r.class, r.ttl);
        set.rdatas.push(r.rdata.clone());
        set
    };
    let soa = {
        let mut set = Rrset::new(
            current_soa.owner.clone(),
            current_soa.rtype,
            current_soa.class,
            current_soa.ttl,
        );
        set.rdatas.push(current_soa.rdatas[0].clone());
        set
    };
    let mut out = vec![soa.clone()];
    for d in diffs {
        out.push(one(&d.soa_from));
        out.extend(d.removed.iter().map(one));
        out.push(one(&d.soa_to));
        out.extend(d.added.iter().map(one));
    }
    out.push(soa);
    out
}
