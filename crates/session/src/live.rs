//! [`LiveSymbols`]: a concurrent set of symbols, the liveness mark for compaction.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use tern_intern::Symbol;

/// Bits in segment 0; segment `k ≥ 1` holds `FIRST << (k - 1)` bits, so 29 segments cover
/// every id.
const FIRST: usize = 1 << 12;
const SEGMENTS: usize = 29;

/// A set of symbols that workers mark concurrently during a pass (one `fetch_or` per mark,
/// no lock), read at the pass boundary to decide what a [`Session::compact`](crate::Session)
/// keeps. Keyed by [`Symbol::index`]; memory grows in doubling segments with the largest id
/// marked, never moves, and is reused after [`clear`](Self::clear).
///
/// ```
/// use tern_session::{LiveSymbols, Session};
///
/// let mut s = Session::builder().threads(2).build().unwrap();
/// let live = LiveSymbols::new();
/// s.pass("old", 100, |cx, i| cx.intern(&format!("old{i}")));
/// s.pass("new", 10, |cx, i| live.insert(cx.intern(&format!("new{i}"))));
/// let remap = s.compact(|sym| live.contains(sym));
/// assert_eq!(s.interner().get("old5"), None);
/// assert!(s.interner().get("new5").is_some());
/// assert_eq!(s.reports().last().unwrap().compaction.unwrap().dropped, 100);
/// # drop(remap);
/// ```
#[derive(Default)]
pub struct LiveSymbols {
    segments: [OnceLock<Box<[AtomicU64]>>; SEGMENTS],
}

impl fmt::Debug for LiveSymbols {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveSymbols")
            .field("len", &self.len())
            .finish()
    }
}

/// Segment and bit of index `i`.
#[inline]
fn locate(i: usize) -> (usize, usize) {
    if i < FIRST {
        return (0, i);
    }
    let k = (i / FIRST).ilog2() as usize + 1;
    (k, i - (FIRST << (k - 1)))
}

fn segment_bits(k: usize) -> usize {
    if k == 0 { FIRST } else { FIRST << (k - 1) }
}

impl LiveSymbols {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Marks `sym` live; `true` if it was not yet.
    #[inline]
    pub fn insert(&self, sym: Symbol) -> bool {
        let (k, bit) = locate(sym.index());
        let seg = self.segments[k].get_or_init(|| {
            (0..segment_bits(k) / 64)
                .map(|_| AtomicU64::new(0))
                .collect()
        });
        let mask = 1u64 << (bit % 64);
        // Relaxed: a set of bits, published to the reader by the pass's end (the pool's join).
        seg[bit / 64].fetch_or(mask, Ordering::Relaxed) & mask == 0
    }

    /// Whether `sym` is marked.
    #[inline]
    pub fn contains(&self, sym: Symbol) -> bool {
        let (k, bit) = locate(sym.index());
        self.segments[k].get().is_some_and(|seg| {
            // Relaxed: as in `insert`.
            seg[bit / 64].load(Ordering::Relaxed) & (1u64 << (bit % 64)) != 0
        })
    }

    /// Number of marked symbols.
    pub fn len(&self) -> usize {
        self.segments
            .iter()
            .filter_map(OnceLock::get)
            .flat_map(|seg| seg.iter())
            // Relaxed: as in `insert`.
            .map(|w| w.load(Ordering::Relaxed).count_ones() as usize)
            .sum()
    }

    /// `true` when nothing is marked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Unmarks everything, keeping the memory for the next round.
    pub fn clear(&mut self) {
        for seg in self.segments.iter_mut().filter_map(OnceLock::get_mut) {
            for w in seg.iter_mut() {
                *w.get_mut() = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_tile_every_index() {
        let mut expect = 0;
        for k in 0..6 {
            assert_eq!(locate(expect), (k, 0));
            assert_eq!(
                locate(expect + segment_bits(k) - 1),
                (k, segment_bits(k) - 1)
            );
            expect += segment_bits(k);
        }
    }

    #[test]
    fn insert_contains_clear() {
        let mut s = LiveSymbols::new();
        // The last id reaches a late segment: 2^27 bits (16 MiB) natively; Miri tracks every
        // byte of a segment and ran out of memory on that one, so it stops at 2^17.
        let last = if cfg!(miri) { 1 << 17 } else { 1 << 27 };
        let ids = [1u32, 2, 4096, 4097, 70_000, last];
        for &id in &ids {
            let sym = Symbol::from_u32(id).unwrap();
            assert!(!s.contains(sym));
            assert!(s.insert(sym));
            assert!(!s.insert(sym));
            assert!(s.contains(sym));
        }
        assert_eq!(s.len(), ids.len());
        s.clear();
        assert!(s.is_empty());
        assert!(!s.contains(Symbol::from_u32(4097).unwrap()));
    }
}
