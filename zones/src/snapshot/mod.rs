//! The immutable, wire-form view of all served zones that the query path reads.
//!
//! A snapshot is published with one atomic pointer swap; the query path only ever reads it,
//! without locks or allocation. Everything a query needs is precomputed: names as lowercase
//! wire keys in a hash index, every RRset as a ready-to-copy wire blob (type, class, TTL,
//! rdlength, rdata per record, owner left out so that the writer can compress it), empty
//! non-terminals as nodes without data, the topmost zone cut or DNAME above every occluded
//! name, and the additional-section targets of NS, MX and SRV. All owner names are stored
//! lowercase: DNS is case-insensitive (RFC 4343) and the only case a response must preserve is
//! the question's, which the writer echoes from the query.
//!
//! # Versions: built once, then changed by diffs
//!
//! [`ZoneSnapshot::build_with`] builds a snapshot from a whole zone. [`ZoneSnapshot::apply`]
//! makes the next version from the previous one and a [`Diff`] in time proportional to the
//! diff (times log n), sharing everything untouched with the previous version, so that
//! serving a one-record change does not cost a rebuild of a 100k-name zone. How:
//!
//! - Nodes live in an [`chunked::Arena`]: `Arc`-shared chunks of 256 nodes addressed by a
//!   stable id. A version copies the table of chunk pointers (n/256 pointers) and the chunks
//!   it writes; node fields are `Arc`s, so copying a chunk copies no RRset bytes. Ids stay
//!   stable across versions, so references between nodes (the cut above a name, additional
//!   targets, the NSEC order, the NSEC3 record of a name) need no fixing when something else
//!   moves, and a changed A record of an MX target shows up through the id it already had.
//! - The name index ([`index::NameIndex`]) is a shared base hash table plus a small per-version
//!   overlay of new names, rebuilt when the overlay grows past an eighth of the zone.
//! - The NSEC order and the NSEC3 chain are [`chunked::Sorted`] sequences (sorted `Arc` chunks);
//!   NSEC3 records sit in their own arena, so a name's NSEC3 record keeps its id while its
//!   next-hash or signatures change.
//! - What a change can reach beyond its own names is tracked explicitly: the ancestors of a
//!   changed name (empty non-terminals, cuts), the names below a name that became or stopped
//!   being a cut (their occlusion), the owners of NS/MX/SRV records pointing at a name whose
//!   address records or occlusion changed (a reverse index, `referrers`), and the names whose
//!   NSEC3 hash gained or lost its record (a hash-to-node index, `hashes`).
//!
//! Chosen over a persistent map (`imbl`) for the nodes and sorted sets because its lookups
//! walk a tree and its ordered searches allocate a cursor, and the query path must neither
//! slow down nor allocate; chosen over a base-plus-overlay of whole nodes because references
//! between nodes would then need resolving through the overlay on every read. A change of the
//! denial mode or of the NSEC3 parameters rebuilds the snapshot whole.

mod apply;
mod build;
mod catalog;
pub mod chunked;
mod index;
mod node;
mod records;
mod version;
mod wire;

pub use catalog::Catalog;
pub use wire::{canonical_cmp, label_offsets, lowercase_wire, name_key};

pub use node::{Node, NodeId, Nsec3Entry, Nsec3Hash, Nsec3Hasher, RrsetWire};
pub use version::{Denial, Nsec3Chain, ZoneSnapshot};

#[cfg(test)]
mod tests;
