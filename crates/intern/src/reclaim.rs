//! Where outgrown tables go: a private list freed at the owner's checkpoint, or, once the
//! owner opted in to early reclamation, the owner's [`Collector`].
//!
//! Why not always the collector: [`Collector::try_reclaim`] is safe to call and frees a batch
//! as soon as every *registered* participant passed a quiescent state. `intern(&self)` takes no
//! guard, so a thread that never registered could still be probing an outgrown table while some
//! other code calls `interner.collector().try_reclaim()` (a safe call). Keeping tables out of the
//! collector until the owner promised (an `unsafe fn`) that every caller is an online
//! participant closes that hole without putting a guard on the hit path.

use std::sync::Arc;

use tern_quiesce::Collector;

use crate::raw::RetiredTable;
use crate::stats::Shared;
use crate::sync::{Mutex, lock};

#[derive(Debug)]
pub(crate) struct Reclaim {
    /// Tables outgrown before early reclamation was allowed; freed by `checkpoint`.
    private: Mutex<Vec<RetiredTable>>,
    /// Set by the owner's `assume_registered_readers` (under `&mut`).
    early: bool,
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
            early: false,
            shared: Arc::new(Shared::default()),
        }
    }

    /// Takes a table swung out of `current`.
    pub(crate) fn retire(&self, collector: &Collector, t: RetiredTable) {
        Shared::add(&self.shared.retired_bytes, t.bytes());
        if self.early {
            collector.retire_with((t, Arc::clone(&self.shared)), |(t, shared)| {
                Shared::add(&shared.reclaimed_bytes, t.bytes());
                // SAFETY: the collector runs this after a grace period of its registered
                // participants, and the owner's `assume_registered_readers` contract says every
                // thread that can hold the table is one of them (or the owner has `&mut`).
                unsafe { t.free() };
            });
            collector.try_reclaim();
        } else {
            lock(&self.private).push(t);
        }
    }

    /// Allows retiring to the collector from now on.
    ///
    /// # Safety
    ///
    /// `r.allow_early()` is sound if and only if:
    /// - the owner's `assume_registered_readers` contract holds from now on: every thread
    ///   that calls a `&self` method of the owner does so while holding an online participant
    ///   of the collector passed to `retire`, and
    /// - no such thread passes a quiescent state of that participant during such a call.
    pub(crate) unsafe fn allow_early(&mut self) {
        self.early = true;
    }

    /// Runs `collector`'s elapsed batches when early reclamation was allowed; returns how many
    /// resources were freed (0 without the opt-in, whose tables wait for `checkpoint`).
    pub(crate) fn try_reclaim(&self, collector: &Collector) -> usize {
        if self.early {
            collector.try_reclaim()
        } else {
            0
        }
    }

    /// Frees every outgrown table (exclusive access: no reader is left).
    pub(crate) fn checkpoint(&mut self, collector: &mut Collector) {
        let list = std::mem::take(&mut *lock(&self.private));
        for t in list {
            Shared::add(&self.shared.reclaimed_bytes, t.bytes());
            // SAFETY: `&mut` of the owner: no `&self` borrow, so no operation (and no reader of
            // an old table) is running.
            unsafe { t.free() };
        }
        collector.checkpoint();
    }
}

impl Drop for Reclaim {
    fn drop(&mut self) {
        for t in std::mem::take(&mut *lock(&self.private)) {
            // SAFETY: dropping the owner is exclusive access, as in `checkpoint`.
            unsafe { t.free() };
        }
    }
}
