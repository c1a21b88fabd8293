//! Where outgrown tables go: decided by each call, not by the interner.
//!
//! - A call made through a plain `&Interner` (or `&ValueInterner`) keeps the table it outgrew
//!   in a private list, freed only under `&mut` ([`Reclaim::free_private`], at the owner's
//!   `checkpoint`) or by the owner's drop. Such a call proves nothing about the other threads
//!   that may be probing the table, so nothing but exclusive access may free it.
//! - A call made through a reader ([`crate::Reader`], [`crate::ValueReader`]) retires it to
//!   the owner's collector, which frees it once every participant has passed a quiescent
//!   state. That is sound only while every thread that can be probing the table is covered by
//!   an online participant: [`crate::Guarded`] makes that a type (all access goes through
//!   readers), and `tern-session` does the same for its passes.
//!
//! Retiring never runs reclamation: a table handed to the collector is freed at a quiescent
//! state, `try_reclaim`, `synchronize` or `checkpoint` of the collector, never inside the
//! insert that outgrew it (so no foreign destructor, and no panic of one, runs inside
//! `intern`).

use std::sync::Arc;

use tern_quiesce::Collector;

use crate::raw::RetiredTable;
use crate::stats::Shared;
use crate::sync::{Mutex, lock};

/// Where a call sends the table it outgrew.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retire {
    /// The owner's private list (plain `&self` calls).
    Private,
    /// The owner's collector (calls through a reader, covered by an online participant).
    Collector,
}

#[derive(Debug)]
pub(crate) struct Reclaim {
    /// Tables outgrown by plain calls; freed under `&mut` or on drop.
    private: Mutex<Vec<RetiredTable>>,
    pub(crate) shared: Arc<Shared>,
}

impl core::fmt::Debug for RetiredTable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RetiredTable")
            .field("bytes", &self.bytes())
            .finish()
    }
}

impl Reclaim {
    pub(crate) fn new() -> Self {
        Reclaim {
            private: Mutex::new(Vec::new()),
            shared: Arc::new(Shared::default()),
        }
    }

    /// Takes a table swung out of `current`, sending it where the call decided.
    ///
    /// # Safety
    ///
    /// `r.retire(collector, t, to)` is sound if and only if:
    /// - `to` is [`Retire::Private`], or every thread that can still be probing `t` (one that
    ///   loaded it, or a predecessor of it, from the owner's table) holds an online participant
    ///   of `collector` that passes no quiescent state before its probe ends, or is joined by
    ///   such a thread before that participant's next quiescent state (the contract of
    ///   [`crate::Interner::reader_unchecked`]).
    pub(crate) unsafe fn retire(&self, collector: &Collector, t: RetiredTable, to: Retire) {
        let bytes = t.bytes();
        Shared::add(&self.shared.retired_bytes, bytes);
        match to {
            Retire::Private => lock(&self.private).push(t),
            Retire::Collector => collector.retire_with_bytes(
                (t, Arc::clone(&self.shared)),
                |(t, shared)| {
                    Shared::add(&shared.reclaimed_bytes, t.bytes());
                    // SAFETY: the collector runs this after a grace period of its
                    // participants, and by this function's contract every thread that could
                    // probe the table was covered by one of them.
                    unsafe { t.free() };
                },
                bytes,
            ),
        }
    }

    /// Frees every table in the private list (exclusive access: no reader is left) and
    /// returns their bytes.
    pub(crate) fn free_private(&mut self) -> usize {
        let list = std::mem::take(&mut *lock(&self.private));
        let mut freed = 0;
        for t in list {
            let bytes = t.bytes();
            freed += bytes;
            Shared::add(&self.shared.reclaimed_bytes, bytes);
            // SAFETY: `&mut` of the owner: no `&self` borrow, so no operation (and no reader
            // of an old table) is running.
            unsafe { t.free() };
        }
        freed
    }

    /// The owner's pass boundary: frees the private list, then everything the collector may
    /// free. With exclusive use of the collector (nobody else holds its `Arc`, so no
    /// participant can be alive) that is everything it holds, without atomics; a shared
    /// collector frees what every registered participant has passed.
    pub(crate) fn checkpoint(&mut self, collector: &mut Arc<Collector>) {
        self.free_private();
        match Arc::get_mut(collector) {
            Some(c) => {
                c.checkpoint();
            }
            None => {
                collector.try_reclaim();
            }
        }
    }
}

impl Drop for Reclaim {
    fn drop(&mut self) {
        self.free_private();
    }
}
