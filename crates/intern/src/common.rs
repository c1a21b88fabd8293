//! What [`Interner`](crate::Interner) and [`ValueInterner`](crate::ValueInterner) share: the
//! table, the counters, reclamation, the collector and the arenas, with the operations that
//! do not depend on what is interned. The two interners' public methods of the same name
//! (`checkpoint`, `free_outgrown`, `reclaim`, `set_count_hits`, `collector`, ...) are one-line
//! calls into [`Core`].

use std::sync::Arc;

use tern_arena::Arenas;
use tern_quiesce::Collector;

use crate::raw::{RawTable, RetiredTable};
use crate::reclaim::{Reclaim, Retire};
use crate::stats::{Counters, Shared};
use crate::tagged::SlotFormat;

/// The shared part of an interner whose table has slot format `F`.
pub(crate) struct Core<F: SlotFormat> {
    pub(crate) table: RawTable<F>,
    pub(crate) counters: Counters,
    pub(crate) reclaim: Reclaim,
    // Declared after the table: dropped after it (the collector may still hold retired
    // tables; the arenas hold what the keys refer to).
    pub(crate) collector: Arc<Collector>,
    pub(crate) arenas: Arenas,
}

/// The table counters both interners report (each adds its own fields).
pub(crate) struct TableStats {
    pub(crate) hits: u64,
    pub(crate) misses: u64,
    pub(crate) races_lost: u64,
    pub(crate) resizes: u64,
    pub(crate) table_slots: usize,
    pub(crate) table_bytes: usize,
    pub(crate) retired_bytes: u64,
    pub(crate) reclaimed_bytes: u64,
    pub(crate) race_wasted_bytes: u64,
}

impl<F: SlotFormat> Core<F> {
    pub(crate) fn new(
        capacity: usize,
        count_hits: bool,
        collector: Option<Arc<Collector>>,
        arenas: Option<Arenas>,
    ) -> Self {
        Core {
            table: RawTable::with_capacity(capacity),
            counters: Counters::new(count_hits),
            reclaim: Reclaim::new(),
            collector: collector.unwrap_or_else(|| Arc::new(Collector::new())),
            arenas: arenas.unwrap_or_else(Arenas::for_any_thread),
        }
    }

    /// Sends an outgrown table where the call decided.
    ///
    /// # Safety
    ///
    /// `core.retire(t, to)` is sound if and only if:
    /// - the contract of [`Reclaim::retire`] holds for `to`.
    pub(crate) unsafe fn retire(&self, t: RetiredTable, to: Retire) {
        // SAFETY: the caller's contract.
        unsafe { self.reclaim.retire(&self.collector, t, to) };
    }

    /// Counts an insert that lost its race to an equal key: its node's bytes stay unused in
    /// the arena, and the caller returns the winner (a hit).
    pub(crate) fn lost_race(&self, wasted_bytes: usize) {
        let sh = &self.reclaim.shared;
        Shared::add(&sh.race_wasted_bytes, wasted_bytes);
        Shared::add(&sh.races_lost, 1);
        self.counters.hit();
    }

    pub(crate) fn checkpoint(&mut self) {
        self.reclaim.checkpoint(&mut self.collector);
    }

    pub(crate) fn free_outgrown(&mut self) -> usize {
        self.reclaim.free_private()
    }

    pub(crate) fn reclaim(&self) -> usize {
        self.collector.try_reclaim()
    }

    pub(crate) fn set_count_hits(&mut self, on: bool) {
        self.counters.set_count_hits(on);
    }

    /// Bytes of outgrown tables handed to reclamation and not freed yet.
    fn pending_bytes(&self) -> usize {
        let sh = &self.reclaim.shared;
        Shared::get(&sh.retired_bytes).saturating_sub(Shared::get(&sh.reclaimed_bytes)) as usize
    }

    /// The live tables, the outgrown ones not freed yet, and the arena chunks.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.table.heap_bytes() + self.pending_bytes() + self.arenas.total_capacity()
    }

    pub(crate) fn table_stats(&self) -> TableStats {
        let (hits, misses) = self.counters.sum();
        let sh = &self.reclaim.shared;
        TableStats {
            hits,
            misses,
            races_lost: Shared::get(&sh.races_lost),
            resizes: self.table.resizes() as u64,
            table_slots: self.table.slots(),
            table_bytes: self.table.table_bytes(),
            retired_bytes: Shared::get(&sh.retired_bytes),
            reclaimed_bytes: Shared::get(&sh.reclaimed_bytes),
            race_wasted_bytes: Shared::get(&sh.race_wasted_bytes),
        }
    }

    /// The collector and the arenas, everything else dropped (tables first).
    pub(crate) fn into_parts(self) -> (Arc<Collector>, Arenas) {
        let Core {
            table,
            counters,
            reclaim,
            collector,
            arenas,
        } = self;
        drop((table, counters, reclaim));
        (collector, arenas)
    }
}
