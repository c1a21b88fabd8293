//! tern-intern: the concurrent interner (design note below is filled in by the next commit).

mod ids;
mod interner;
mod raw;
mod reclaim;
mod serial;
mod stats;
mod symbol;
mod sync;
mod value;

pub use interner::{CapacityError, CapacityErrorKind, Interner, InternerBuilder};
pub use serial::{ImportError, Order, Remap};
pub use symbol::{PREINTERNED, Symbol, kw, sym};
pub use value::{Interned, ValueInterner};

/// Counters of an [`Interner`] or [`ValueInterner`], from [`Interner::stats`].
///
/// Hits and misses are summed from per-thread blocks (no read-modify-write on the hit path);
/// a snapshot taken while other threads run may lag behind their last operations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Lookups that found the key (`intern` of a known string, `get` → `Some`, and lost
    /// insert races, which return the winner).
    pub hits: u64,
    /// Lookups that did not (`intern` that inserted, `get` → `None`).
    pub misses: u64,
    /// Inserts that lost a race to an equal key (their id was kept for reuse, their bytes
    /// are counted in `race_wasted_bytes`).
    pub races_lost: u64,
    /// Table growths.
    pub resizes: u64,
    /// Symbols (values for a [`ValueInterner`]).
    pub len: usize,
    /// Bytes of all interned strings (without headers).
    pub string_bytes: usize,
    /// Slots of the current table.
    pub table_slots: usize,
    /// Bytes of the current table.
    pub table_bytes: usize,
    /// Bytes of the id → string segments.
    pub id_table_bytes: usize,
    /// Bytes of outgrown tables handed to reclamation so far.
    pub retired_bytes: u64,
    /// Bytes of outgrown tables freed so far.
    pub reclaimed_bytes: u64,
    /// Arena bytes of nodes built by inserters that lost a race (never reused).
    pub race_wasted_bytes: u64,
    /// Ids held for reuse after lost races (holes in the id sequence until reused).
    pub spare_ids: usize,
}
