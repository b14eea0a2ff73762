//! Who holds the TCP connection slots, so that one client cannot shut out every other.
//!
//! The pool is shared by every listener. Each source address may hold at most
//! `max_per_source` connections, and the pool at most `max_connections`. A new connection
//! over either limit takes the slot of the connection that has been idle longest (waiting for
//! the first octet of its next query) — of its own source when that source is at its cap,
//! of anyone when the pool is full — instead of being refused: a client that parks
//! connections cannot keep a secondary's transfer out (RFC 7766 section 6.2.2 lets a server
//! close idle connections when it needs the resources). A connection in the middle of reading
//! a query or writing a response or transfer is never taken; that work is bounded by the
//! query and write timeouts instead.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

//------------ TcpLimits -----------------------------------------------------

/// How many TCP connections are served and how long each may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpLimits {
    /// Most connections open at once, over every listener.
    pub max_connections: usize,
    /// Most connections open at once from one source address.
    pub max_per_source: usize,
    /// A connection waiting this long for the first octet of a query is closed.
    pub idle_timeout: Duration,
    /// A query whose first octet came must be complete within this long (byte-dribbling
    /// clients would otherwise hold a busy, unevictable slot for as long as they like).
    pub query_timeout: Duration,
    /// A client that does not take a response or transfer message within this long is dropped;
    /// a transfer holds one message at a time, so memory stays bounded.
    pub write_timeout: Duration,
}

//------------ Full ----------------------------------------------------------

/// Why a connection was not admitted: every slot it could take is busy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Full {
    /// Its source holds `max_per_source` connections, none idle.
    Source,
    /// The pool holds `max_connections`, none idle.
    Pool,
}

//------------ ConnectionPool ------------------------------------------------

/// The open connections, by source, and which of them are idle.
pub struct ConnectionPool {
    /// Most connections at once.
    max_connections: usize,
    /// Most connections at once from one address.
    max_per_source: usize,
    /// The connections.
    state: Mutex<State>,
}

/// The pool's bookkeeping (a short lock: no I/O while it is held).
#[derive(Default)]
struct State {
    /// Id of the next connection.
    next: u64,
    /// Open connections by id.
    open: HashMap<u64, Entry>,
    /// Open connections per source address.
    per_source: HashMap<IpAddr, usize>,
}

/// One open connection.
struct Entry {
    /// Its source address.
    source: IpAddr,
    /// Since when it waits for a query; `None` while it reads one or writes.
    idle_since: Option<Instant>,
    /// Woken when its slot is taken.
    evict: Arc<Notify>,
}

impl ConnectionPool {
    /// A pool of at most `max_connections`, `max_per_source` from one address (both at
    /// least 1).
    pub fn new(max_connections: usize, max_per_source: usize) -> Self {
        Self {
            max_connections: max_connections.max(1),
            max_per_source: max_per_source.max(1),
            state: Mutex::new(State::default()),
        }
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.lock().open.len()
    }

    /// Admits a connection from `source`, taking the slot of the longest-idle connection
    /// when a limit is reached. Returns the slot and the source of the connection evicted,
    /// if any.
    pub fn admit(self: &Arc<Self>, source: IpAddr) -> Result<(Slot, Option<IpAddr>), Full> {
        let source = source_key(source);
        let mut state = self.lock();
        let mut evicted = None;
        if state.per_source.get(&source).copied().unwrap_or(0) >= self.max_per_source {
            evicted = Some(
                state
                    .evict_longest_idle(|e| e.source == source)
                    .ok_or(Full::Source)?,
            );
        } else if state.open.len() >= self.max_connections {
            evicted = Some(state.evict_longest_idle(|_| true).ok_or(Full::Pool)?);
        }
        let id = state.next;
        state.next += 1;
        let evict = Arc::new(Notify::new());
        state.open.insert(
            id,
            Entry {
                source,
                // Busy until its task waits for a query: the query of a connection just
                // accepted is often already in the socket, and a burst of accepts from
                // other clients (before that task ran) must not evict it unread.
                idle_since: None,
                evict: Arc::clone(&evict),
            },
        );
        *state.per_source.entry(source).or_insert(0) += 1;
        drop(state);
        Ok((
            Slot {
                pool: Arc::clone(self),
                id,
                evict,
            },
            evicted,
        ))
    }

    /// The state; a panic elsewhere while it was held leaves consistent counts (every change
    /// is made in one step), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The source a connection counts against: its IPv4 address, or the /64 of its IPv6 address
/// (one host usually has a whole /64, so a per-address cap would not hold it back). An
/// IPv4-mapped IPv6 address is its IPv4 address.
fn source_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        },
    }
}

impl State {
    /// Removes the connection matching `which` that has been idle longest, wakes it so it
    /// closes, and returns its source; `None` when every matching connection is busy.
    fn evict_longest_idle(&mut self, which: impl Fn(&Entry) -> bool) -> Option<IpAddr> {
        let id = self
            .open
            .iter()
            .filter(|(_, e)| which(e))
            .filter_map(|(id, e)| e.idle_since.map(|since| (since, *id)))
            .min()
            .map(|(_, id)| id)?;
        let entry = self.remove(id)?;
        // notify_one keeps the wake-up until the connection next waits for it.
        entry.evict.notify_one();
        Some(entry.source)
    }

    /// Forgets connection `id`.
    fn remove(&mut self, id: u64) -> Option<Entry> {
        let entry = self.open.remove(&id)?;
        if let Some(n) = self.per_source.get_mut(&entry.source) {
            *n -= 1;
            if *n == 0 {
                self.per_source.remove(&entry.source);
            }
        }
        Some(entry)
    }
}

//------------ Slot ----------------------------------------------------------

/// One admitted connection's place in the pool; freed when dropped.
pub struct Slot {
    /// The pool.
    pool: Arc<ConnectionPool>,
    /// The connection's id.
    id: u64,
    /// Woken when the slot is taken by a newer connection.
    evict: Arc<Notify>,
}

impl Slot {
    /// The connection now waits for a query: it may be evicted.
    pub fn idle(&self) {
        if let Some(e) = self.pool.lock().open.get_mut(&self.id) {
            e.idle_since.get_or_insert_with(Instant::now);
        }
    }

    /// The connection reads a query or writes: it may not be evicted. `false` when it was
    /// evicted already (the connection should close).
    pub fn busy(&self) -> bool {
        match self.pool.lock().open.get_mut(&self.id) {
            Some(e) => {
                e.idle_since = None;
                true
            }
            None => false,
        }
    }

    /// Completes when a newer connection has taken this slot.
    pub async fn evicted(&self) {
        self.evict.notified().await;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.pool.lock().remove(self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([127, 0, 0, last])
    }

    #[test]
    fn one_source_is_capped_and_its_longest_idle_connection_makes_room() {
        let pool = Arc::new(ConnectionPool::new(10, 2));
        let (a, _) = pool.admit(ip(1)).unwrap();
        let (b, _) = pool.admit(ip(1)).unwrap();
        // Both busy: a third from the same source is refused, another source is not.
        assert_eq!(pool.admit(ip(1)).err(), Some(Full::Source));
        let (_other, evicted) = pool.admit(ip(2)).unwrap();
        assert_eq!(evicted, None);
        // b goes idle first, then a: b has been idle longest and is the one taken.
        b.idle();
        std::thread::sleep(Duration::from_millis(2));
        a.idle();
        let (_c, evicted) = pool.admit(ip(1)).unwrap();
        assert_eq!(evicted, Some(ip(1)));
        assert!(!b.busy(), "b was evicted");
        assert!(a.busy(), "a kept its slot");
        assert_eq!(pool.open(), 3);
    }

    #[test]
    fn a_full_pool_takes_the_longest_idle_connection_of_any_source() {
        let pool = Arc::new(ConnectionPool::new(2, 2));
        let (a, _) = pool.admit(ip(1)).unwrap();
        let (_b, _) = pool.admit(ip(2)).unwrap();
        assert_eq!(pool.admit(ip(3)).err(), Some(Full::Pool));
        a.idle();
        let (c, evicted) = pool.admit(ip(3)).unwrap();
        assert_eq!(evicted, Some(ip(1)));
        assert!(!a.busy());
        // Dropping the evicted slot does not free anyone else's.
        drop(a);
        assert_eq!(pool.open(), 2);
        drop(c);
        assert_eq!(pool.open(), 1);
        let (_d, evicted) = pool.admit(ip(4)).unwrap();
        assert_eq!(evicted, None);
    }

    #[test]
    fn an_ipv6_source_is_its_slash_64() {
        let pool = Arc::new(ConnectionPool::new(10, 1));
        let (_a, _) = pool.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        assert_eq!(
            pool.admit("2001:db8:1:2:ffff::7".parse().unwrap()).err(),
            Some(Full::Source)
        );
        assert!(pool.admit("2001:db8:1:3::1".parse().unwrap()).is_ok());
        let (_b, _) = pool.admit("::ffff:192.0.2.1".parse().unwrap()).unwrap();
        assert_eq!(
            pool.admit("192.0.2.1".parse().unwrap()).err(),
            Some(Full::Source)
        );
    }

    #[tokio::test]
    async fn an_evicted_connection_is_woken() {
        let pool = Arc::new(ConnectionPool::new(1, 1));
        let (a, _) = pool.admit(ip(1)).unwrap();
        // Not evictable before its task waits for a query.
        assert_eq!(pool.admit(ip(2)).err(), Some(Full::Pool));
        a.idle();
        let (_b, evicted) = pool.admit(ip(2)).unwrap();
        assert_eq!(evicted, Some(ip(1)));
        tokio::time::timeout(Duration::from_secs(1), a.evicted())
            .await
            .expect("woken");
    }
}
