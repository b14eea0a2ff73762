//! Persistent arrays cut into `Arc`-shared chunks: the storage of the snapshot.
//!
//! A new snapshot version clones only the top-level table of chunk pointers (one pointer per
//! [`CHUNK`] elements) and copies the few chunks it writes to; every other chunk is shared with
//! the previous version. Reads are two indexed loads, without locks or allocation, which is
//! what the query path needs.

use core::cmp::Ordering;
use std::sync::Arc;

/// Elements per arena chunk, and the fill of a freshly built sorted chunk.
pub const CHUNK: usize = 256;

/// A sorted chunk is split in two when it grows past this.
const MAX_SORTED_CHUNK: usize = 2 * CHUNK;

//------------ Arena ---------------------------------------------------------

/// Elements addressed by a stable `u32` id. Ids of released elements are reused; a released
/// slot holds `T::default()`.
#[derive(Clone)]
pub struct Arena<T> {
    /// Full chunks of [`CHUNK`] elements, the last one possibly shorter.
    chunks: Vec<Arc<[T]>>,
    /// Released ids, reused first.
    free: Vec<u32>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T: Clone + Default> Arena<T> {
    /// The arena holding `items` at ids 0, 1, ...
    pub fn from_vec(items: Vec<T>) -> Self {
        let chunks = items.chunks(CHUNK).map(Arc::from).collect();
        Self {
            chunks,
            free: Vec::new(),
        }
    }

    /// The element with this id.
    #[inline]
    pub fn get(&self, id: u32) -> Option<&T> {
        let id = id as usize;
        self.chunks.get(id / CHUNK)?.get(id % CHUNK)
    }

    /// Number of slots, released ones included.
    pub fn slots(&self) -> usize {
        match self.chunks.last() {
            Some(last) => (self.chunks.len() - 1) * CHUNK + last.len(),
            None => 0,
        }
    }

    /// Number of released slots.
    pub fn released(&self) -> usize {
        self.free.len()
    }

    /// Every slot with its id, released ones included.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| c.iter())
            .enumerate()
            .map(|(i, t)| (i as u32, t))
    }

    /// Replaces the element at `id` (which must exist), copying its chunk if it is shared.
    pub fn set(&mut self, id: u32, value: T) {
        let id = id as usize;
        let Some(chunk) = self.chunks.get_mut(id / CHUNK) else {
            return;
        };
        match Arc::get_mut(chunk) {
            Some(slice) => slice[id % CHUNK] = value,
            None => {
                let mut copy = chunk.to_vec();
                copy[id % CHUNK] = value;
                *chunk = copy.into();
            }
        }
    }

    /// Stores `value` at a released id or a new one, returning the id.
    pub fn alloc(&mut self, value: T) -> u32 {
        if let Some(id) = self.free.pop() {
            self.set(id, value);
            return id;
        }
        let id = self.slots() as u32;
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => {
                let mut copy = Vec::with_capacity(last.len() + 1);
                copy.extend_from_slice(last);
                copy.push(value);
                *last = copy.into();
            }
            _ => self.chunks.push(Arc::from([value])),
        }
        id
    }

    /// Releases `id`: its slot is reset and will be reused.
    pub fn release(&mut self, id: u32) {
        self.set(id, T::default());
        self.free.push(id);
    }
}

impl<T: Clone + Default> core::ops::Index<u32> for Arena<T> {
    type Output = T;

    #[inline]
    fn index(&self, id: u32) -> &T {
        let id = id as usize;
        &self.chunks[id / CHUNK][id % CHUNK]
    }
}

//------------ Sorted --------------------------------------------------------

/// A sorted sequence in `Arc`-shared chunks. The order is the caller's: every search takes a
/// function telling how an element compares with the target, so that elements can be ids
/// ordered by data held elsewhere.
#[derive(Clone)]
pub struct Sorted<T> {
    /// Non-empty chunks, each sorted, in order.
    chunks: Vec<Arc<[T]>>,
    /// Number of elements.
    len: usize,
}

impl<T> Default for Sorted<T> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Clone> Sorted<T> {
    /// The sequence of `items`, which must already be sorted.
    pub fn from_sorted(items: Vec<T>) -> Self {
        Self {
            len: items.len(),
            chunks: items.chunks(CHUNK).map(Arc::from).collect(),
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when there is no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The largest element.
    pub fn last(&self) -> Option<&T> {
        self.chunks.last()?.last()
    }

    /// Every element, in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The chunk that holds the target if anything does (the last one whose first element is
    /// not greater), and the target's place in it; `None` when the target sorts before all.
    /// `cmp` tells how an element compares with the target.
    #[inline]
    fn locate(&self, cmp: impl Fn(&T) -> Ordering) -> Option<(usize, Result<usize, usize>)> {
        let after = self
            .chunks
            .partition_point(|c| cmp(&c[0]) != Ordering::Greater);
        let at = after.checked_sub(1)?;
        Some((at, self.chunks[at].binary_search_by(&cmp)))
    }

    /// The element equal to the target.
    #[inline]
    pub fn find_by(&self, cmp: impl Fn(&T) -> Ordering) -> Option<&T> {
        let (c, pos) = self.locate(cmp)?;
        self.chunks[c].get(pos.ok()?)
    }

    /// The largest element not greater than the target.
    #[inline]
    pub fn floor_by(&self, cmp: impl Fn(&T) -> Ordering) -> Option<&T> {
        let (c, pos) = self.locate(cmp)?;
        let i = match pos {
            Ok(i) => i,
            Err(i) => i.checked_sub(1)?,
        };
        self.chunks[c].get(i)
    }

    /// The elements from the first one not less than the target on, in order.
    pub fn iter_from_by(&self, cmp: impl Fn(&T) -> Ordering) -> impl Iterator<Item = &T> + '_ {
        let c = self
            .chunks
            .partition_point(|ch| ch.last().is_some_and(|l| cmp(l) == Ordering::Less));
        let i = self
            .chunks
            .get(c)
            .map_or(0, |ch| ch.partition_point(|e| cmp(e) == Ordering::Less));
        self.chunks
            .get(c..)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .flat_map(move |(n, ch)| ch[if n == 0 { i } else { 0 }..].iter())
    }

    /// Inserts `value` where `cmp` (comparing an element with `value`) places it, unless an
    /// equal element is there. Returns true when it was inserted.
    pub fn insert_by(&mut self, value: T, cmp: impl Fn(&T) -> Ordering) -> bool {
        let (c, i) = match self.locate(&cmp) {
            Some((_, Ok(_))) => return false,
            Some((c, Err(i))) => (c, i),
            None if self.chunks.is_empty() => {
                self.chunks.push(Arc::from([value]));
                self.len = 1;
                return true;
            }
            None => (0, 0),
        };
        let mut copy = Vec::with_capacity(self.chunks[c].len() + 1);
        copy.extend_from_slice(&self.chunks[c]);
        copy.insert(i, value);
        if copy.len() > MAX_SORTED_CHUNK {
            let upper = copy.split_off(copy.len() / 2);
            self.chunks.insert(c + 1, upper.into());
        }
        self.chunks[c] = copy.into();
        self.len += 1;
        true
    }

    /// Removes and returns the element equal to the target.
    pub fn remove_by(&mut self, cmp: impl Fn(&T) -> Ordering) -> Option<T> {
        let (c, Ok(i)) = self.locate(cmp)? else {
            return None;
        };
        let mut copy = self.chunks[c].to_vec();
        let removed = copy.remove(i);
        if copy.is_empty() {
            self.chunks.remove(c);
        } else {
            self.chunks[c] = copy.into();
        }
        self.len -= 1;
        Some(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_chunks_stay_sorted_through_inserts_and_removals_across_splits() {
        let mut s = Sorted::from_sorted((0..1000u32).map(|x| x * 2).collect());
        let old = s.clone();
        for x in (1..2000u32).step_by(2) {
            assert!(s.insert_by(x, |e| e.cmp(&x)));
        }
        assert!(!s.insert_by(10, |e| e.cmp(&10)));
        assert_eq!(s.len(), 2000);
        assert!(s.iter().copied().eq(0..2000));
        assert!(
            old.iter().copied().eq((0..1000).map(|x| x * 2)),
            "old version untouched"
        );
        assert_eq!(s.floor_by(|e| e.cmp(&5000)), Some(&1999));
        assert_eq!(s.find_by(|e| e.cmp(&777)), Some(&777));
        assert!(s.iter_from_by(|e| e.cmp(&1995)).copied().eq(1995..2000));
        for x in 0..1990u32 {
            assert_eq!(s.remove_by(|e| e.cmp(&x)), Some(x));
        }
        assert!(s.iter().copied().eq(1990..2000));
        assert_eq!(s.floor_by(|e| e.cmp(&5)), None);
        assert_eq!(s.remove_by(|e| e.cmp(&5)), None);
    }

    #[test]
    fn arena_ids_are_stable_and_released_ones_are_reused() {
        let mut a = Arena::from_vec((0..300u32).collect());
        let old = a.clone();
        a.set(5, 500);
        a.release(7);
        assert_eq!(a.alloc(700), 7);
        assert_eq!(a.alloc(300), 300);
        assert_eq!((a[5], a[7], a[300]), (500, 700, 300));
        assert_eq!((old[5], old[7]), (5, 7), "old version untouched");
        assert_eq!(old.get(300), None);
    }
}
