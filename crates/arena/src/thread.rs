//! Thread identity for arena sets.
//!
//! Two process-wide counters hand out identities that are never reused:
//!
//! - a **thread token** per OS thread, assigned on the thread's first use of any arena set;
//! - a **set id** per [`ArenaSet`](crate::ArenaSet), assigned when the set is built.
//!
//! Neither can be confused with an earlier one after a thread exits or a set is dropped (a
//! `ThreadId` or an address could be, by a later allocation at the same place), which is what
//! lets the per-thread [`SlotCache`] below keep raw slot pointers keyed by set id: an entry left
//! behind by a dropped set can never match a live set, so it is never dereferenced.

use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::slot::Slot;

/// Next thread token; 0 means "not yet assigned" in [`TOKEN`].
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);
/// Next arena-set id; 0 marks an empty [`SlotCache`] entry.
static NEXT_SET_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's token, 0 until first asked for.
    static TOKEN: Cell<u64> = const { Cell::new(0) };
    /// This thread's most recently used extra (registered or auto-registered) slots.
    static CACHE: SlotCache = const { SlotCache::new() };
}

/// The calling thread's token: unique among all threads this process ever ran.
#[inline]
pub(crate) fn thread_token() -> u64 {
    TOKEN.with(|t| {
        let token = t.get();
        if token != 0 { token } else { assign_token(t) }
    })
}

#[cold]
fn assign_token(t: &Cell<u64>) -> u64 {
    // Relaxed: the counter only has to hand out distinct values (every RMW reads the latest
    // value in its modification order); no other memory is published through it.
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    t.set(token);
    token
}

/// A fresh arena-set id, never 0 and never handed out before.
pub(crate) fn next_set_id() -> u64 {
    // Relaxed: as in `assign_token`, only distinctness is needed.
    NEXT_SET_ID.fetch_add(1, Ordering::Relaxed)
}

/// Number of entries in each thread's slot cache behind the one-entry front. A thread using
/// more sets than this in turn still works: a miss goes through the full lookup (the driver
/// token, rayon's index, or the set's mutex).
const WAYS: usize = 4;

/// A tiny per-thread map from set id to this thread's own slot in that set.
///
/// Two levels: a one-entry front (`last_*`, the set this thread allocated in most recently,
/// checked first by every lookup: one thread-local access and one comparison) and `WAYS`
/// entries behind it, filled round-robin. Holds the driver's slot (found by its token), pool
/// workers' slots (found by `ThreadPool::current_thread_index()`, a few non-inlined calls
/// into rayon) and extra slots (registered or auto-registered threads, found under the set's
/// mutex). An entry is inserted only after the set checked that the slot belongs to this
/// thread, and an extra slot's entries are removed when the thread deregisters. The cache is
/// a hint: a miss falls back to the full lookup, never to a wrong slot.
pub(crate) struct SlotCache {
    /// Set id of the front entry; 0 (no set has it) when empty.
    last_id: Cell<u64>,
    /// This thread's slot in set `last_id`.
    last_slot: Cell<*const Slot>,
    ids: [Cell<u64>; WAYS],
    slots: [Cell<*const Slot>; WAYS],
    /// Round-robin victim for the next insertion behind the front.
    next: Cell<usize>,
}

impl SlotCache {
    const fn new() -> Self {
        SlotCache {
            last_id: Cell::new(0),
            last_slot: Cell::new(ptr::null()),
            ids: [const { Cell::new(0) }; WAYS],
            slots: [const { Cell::new(ptr::null()) }; WAYS],
            next: Cell::new(0),
        }
    }
}

/// This thread's slot for set `set_id` if it is the front entry: the allocation fast path.
///
/// A returned pointer was inserted by [`cache_insert`] on this thread for the live set
/// `set_id` (ids are never reused, so the set that inserted it is the caller's set) and not
/// removed since.
#[inline]
pub(crate) fn cache_front(set_id: u64) -> Option<*const Slot> {
    CACHE.with(|c| (c.last_id.get() == set_id).then(|| c.last_slot.get()))
}

/// This thread's cached slot for set `set_id`, if any, looked up behind the front; a hit
/// becomes the front entry. Same guarantee as [`cache_front`].
pub(crate) fn cache_lookup(set_id: u64) -> Option<*const Slot> {
    CACHE.with(|c| {
        let i = c.ids.iter().position(|id| id.get() == set_id)?;
        let slot = c.slots[i].get();
        // Swap with the front, so the set used before stays cached too.
        c.ids[i].set(c.last_id.get());
        c.slots[i].set(c.last_slot.get());
        c.last_id.set(set_id);
        c.last_slot.set(slot);
        Some(slot)
    })
}

/// Remembers `slot` as this thread's slot in set `set_id`, as the front entry (the previous
/// front moves behind it).
pub(crate) fn cache_insert(set_id: u64, slot: *const Slot) {
    CACHE.with(|c| {
        if c.last_id.get() != 0 {
            let i = c.next.get();
            c.next.set((i + 1) % WAYS);
            c.ids[i].set(c.last_id.get());
            c.slots[i].set(c.last_slot.get());
        }
        c.last_id.set(set_id);
        c.last_slot.set(slot);
    });
}

/// Forgets this thread's slot in set `set_id`, if cached.
pub(crate) fn cache_remove(set_id: u64) {
    CACHE.with(|c| {
        let entries = std::iter::once((&c.last_id, &c.last_slot)).chain(c.ids.iter().zip(&c.slots));
        for (id, slot) in entries {
            if id.get() == set_id {
                id.set(0);
                slot.set(ptr::null());
            }
        }
    });
}

/// A human-readable name for the calling thread: `thread 'name' (ThreadId(n))`, or
/// `thread ThreadId(n)` when unnamed.
pub(crate) fn describe_current_thread() -> String {
    let t = std::thread::current();
    match t.name() {
        Some(name) => format!("thread '{name}' ({:?})", t.id()),
        None => format!("thread {:?}", t.id()),
    }
}
