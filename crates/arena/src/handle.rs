//! Handles a thread holds on an [`ArenaSet`](crate::ArenaSet): [`LocalArena`] (its arena,
//! looked up once) and [`ThreadRegistration`] (its permission to use a strict set).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Mutex;

use bumpalo::Bump;

use crate::ArenaSet;
use crate::markers::{Kind, Session};
use crate::set::{Extra, lock};
use crate::slot::OwnedSlot;
use crate::thread::cache_remove;

/// The calling thread's arena in a set, looked up once: from [`ArenaSet::local_arena`].
///
/// Has the same allocation methods as [`ArenaSet`] (counted in stats, under the limit), minus
/// the per-call thread lookup, for loops that allocate a lot (one handle per task or per
/// file). Results borrow the set (`'a`), not the handle. `!Send`, like the `&Bump` inside: it
/// cannot leave its thread:
///
/// ```compile_fail,E0277
/// let arenas = tern_arena::Arenas::for_any_thread();
/// let here = arenas.local_arena();
/// std::thread::scope(|s| {
///     s.spawn(move || here.alloc(1u8));
/// });
/// ```
pub struct LocalArena<'a, K: Kind = Session> {
    pub(crate) set: &'a ArenaSet<K>,
    pub(crate) owned: OwnedSlot<'a>,
}

impl<K: Kind> Clone for LocalArena<'_, K> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: Kind> Copy for LocalArena<'_, K> {}

impl<K: Kind> fmt::Debug for LocalArena<'_, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slot = self.owned.slot();
        f.debug_struct("LocalArena")
            .field("label", &slot.label)
            .field("used", &slot.used())
            .finish_non_exhaustive()
    }
}

impl<'a, K: Kind> LocalArena<'a, K> {
    /// This arena's `Bump` (as [`ArenaSet::local`]).
    pub fn bump(&self) -> &'a Bump {
        self.owned.bump()
    }

    /// Bytes taken by this arena's counted methods (as
    /// [`WorkerStats::used`](crate::WorkerStats::used)).
    pub fn used(&self) -> usize {
        self.owned.slot().used()
    }
}

/// A thread's permission to use a strict-mode set, from [`ArenaSet::register_thread`].
///
/// Dropping it deregisters the thread (when it was its last registration): in a strict set,
/// later lookups from the thread panic again (a [`LocalArena`] or `&Bump` it already holds
/// stays usable on it: the arena is still this thread's alone). The thread's arena and
/// everything allocated in it **stay** in the set until the set is dropped (or reset, for
/// scratch sets), so references handed out earlier remain valid; registering the same thread
/// again reuses that arena.
///
/// `!Send`: it must be dropped on the thread it registered.
#[must_use = "the thread is deregistered when this is dropped"]
pub struct ThreadRegistration<'a> {
    pub(crate) set_id: u64,
    /// The set's extra list, when this registration added (or counted) an extra slot.
    pub(crate) extra: Option<&'a Mutex<Vec<Extra>>>,
    pub(crate) token: u64,
    pub(crate) _not_send: PhantomData<*const ()>,
}

impl fmt::Debug for ThreadRegistration<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadRegistration")
            .field("set_id", &self.set_id)
            .field("needed", &self.extra.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for ThreadRegistration<'_> {
    fn drop(&mut self) {
        let Some(extra) = self.extra else { return };
        let mut extra = lock(extra);
        if let Some(e) = extra.iter_mut().find(|e| e.token == self.token) {
            e.registrations -= 1;
            if e.registrations == 0 {
                // Runs on the registering thread (`!Send`), so this clears the right cache;
                // an any-thread set would simply re-find the slot on next use.
                cache_remove(self.set_id);
            }
        }
    }
}
