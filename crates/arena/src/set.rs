//! [`ArenaSet`]: the shared implementation of [`Arenas`](crate::Arenas) and
//! [`ScratchArenas`](crate::ScratchArenas): the slots, the thread lookup, stats, reset and
//! drop.

use std::alloc::Layout;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bumpalo::Bump;
use rayon::ThreadPool;

use crate::builder::{ArenasBuilder, Config, ThreadPolicy};
use crate::error::{AllocError, AllocErrorKind};
use crate::handle::{LocalArena, ThreadRegistration};
use crate::markers::{Kind, Scratch, Session};
use crate::slot::{OwnedSlot, Refusal, Role, Slot};
use crate::thread::{
    cache_front, cache_insert, cache_lookup, describe_current_thread, next_set_id, thread_token,
};

/// An arena slot for a thread outside the pool and the driver. Owns its `Slot` (made by
/// `Box::into_raw`, freed in `ArenaSet::drop`); kept as a raw pointer because the owner
/// thread's cache holds a copy of it.
pub(crate) struct Extra {
    pub(crate) token: u64,
    slot: NonNull<Slot>,
    /// Live [`ThreadRegistration`]s of this thread.
    pub(crate) registrations: usize,
}

/// A set of bump arenas, one per thread that allocates: the implementation behind
/// [`Arenas`](crate::Arenas) (kind [`Session`]) and [`ScratchArenas`](crate::ScratchArenas)
/// (kind [`Scratch`]).
///
/// Each thread allocates only in its own `bumpalo::Bump`, found without a lock or an atomic
/// read-modify-write through a small thread-local cache keyed by the set's id (filled on a
/// thread's first use: the driver by its thread token, pool workers by
/// `ThreadPool::current_thread_index()`, registered threads under a mutex). See the
/// [crate docs](crate#threads) for the rules.
///
/// # Values that need `Drop` are refused
///
/// The set never runs destructors. A type that needs one (`String`, `Vec`, `Box`, ...) is
/// rejected at compile time by every allocation method, rather than leaked silently:
///
/// ```compile_fail,E0080
/// let arenas = tern_arena::Arenas::for_any_thread();
/// arenas.alloc(String::from("needs drop"));
/// ```
///
/// Running destructors at reset or drop would be unsound in general: arena values may refer
/// to each other, and with no ordering the set could not prevent one destructor from reading
/// a neighbour already destroyed. Store owned data elsewhere, or copy it in (`alloc_str`,
/// `alloc_slice_copy`).
pub struct ArenaSet<K: Kind = Session> {
    /// Process-unique, never reused; keys this set's entries in thread caches.
    id: u64,
    pool: Option<Arc<ThreadPool>>,
    /// `workers` worker slots (index = the pool's thread index), then the driver slot. Owned
    /// (made from a `Box<[Slot]>`, freed in `Drop`) but kept as a raw pointer, like the extra
    /// slots, because threads' caches hold pointers into it: moving the set must not retag the
    /// slots as uniquely owned under any aliasing model.
    slots: NonNull<[Slot]>,
    /// `&slots[workers]`, precomputed for the driver's lookup.
    driver_slot: NonNull<Slot>,
    workers: usize,
    driver_token: u64,
    policy: ThreadPolicy,
    config: Config,
    extra: Mutex<Vec<Extra>>,
    _kind: PhantomData<fn() -> K>,
}

// SAFETY: (Send) every field is `Send` except `slots` and the `NonNull<Slot>` pointers in
// `extra`, which own their slots exactly as a `Box<[Slot]>` / `Box<Slot>` would (made from a
// box, freed only in `Drop`), and `driver_slot`, which points into `slots`; `Slot` is `Send`
// (a `Bump` is `Send`; its cells and atomics too), so dropping the set on another thread is
// sound. Moving the set moves no slot and changes no owner: the driver stays the thread that
// built it (its token), and every other slot stays keyed to its own thread.
unsafe impl<K: Kind> Send for ArenaSet<K> {}

// SAFETY: (Sync) the `!Sync` parts are each slot's `Bump`, scratch buffer and busy flag (all
// behind `UnsafeCell`/`Cell`), and sharing `&ArenaSet` across threads never lets two threads
// touch the same one, because `&self` methods reach them only through `OwnedSlot`, created
// only for the calling thread's own slot (`ArenaSet::owned_slot`):
// 1. worker slot `i` only when `pool.current_thread_index() == Some(i)`: rayon's *pool* method
//    answers only on that pool's own workers, and index `i` is one live OS thread (rayon never
//    runs two workers with one index; the set keeps the pool alive through its `Arc`);
// 2. the driver slot only on the thread whose token equals `driver_token`; tokens are unique
//    per thread for the life of the process;
// 3. an extra slot only on the thread whose token it was created for, found under the mutex;
// 4. any slot found in the calling thread's own cache: entries are inserted only by that
//    thread, after 1, 2 or 3, keyed by this set's id (ids are never reused), and an extra
//    slot's entries are removed when its thread deregisters.
// `OwnedSlot` and the `&Bump` it hands out are `!Send`, so they stay on that thread. Everything
// else other threads read is an atomic (`used`, `capacity`), immutable after creation
// (`label`, `role`, config), or behind the mutex (`extra`). `&mut self` methods (`reset`,
// `Drop`) exclude all borrows.
unsafe impl<K: Kind> Sync for ArenaSet<K> {}
/// One arena's numbers, from [`ArenaSet::stats`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStats {
    /// `worker i`, `driver`, or the registered thread's name and id.
    pub label: String,
    /// What the arena serves.
    pub role: Role,
    /// Bytes taken by this set's allocation methods since the last reset: the sizes
    /// requested plus the alignment padding between them (none while the allocations share
    /// one alignment of at most 16 bytes). Allocations made directly on the `Bump` from
    /// [`ArenaSet::local`] are not counted. Read from the allocation pointer itself, so
    /// counting costs the allocation path nothing.
    pub used: usize,
    /// Bytes of chunk memory the arena holds (`Bump::allocated_bytes()`). Exact after the
    /// owner's allocations through the set's methods and after reset; chunks taken by raw
    /// allocations on the `Bump` from [`ArenaSet::local`] show up when the set's methods next
    /// reserve a window (every 64 KiB at most).
    pub capacity: usize,
}
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while the list was locked cannot leave it inconsistent (every update is one
    // push or one counter change), so poisoning is ignored.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
impl<K: Kind> ArenaSet<K> {
    /// The set an [`ArenasBuilder`] describes; the calling thread becomes its driver.
    pub(crate) fn from_config(
        pool: Option<Arc<ThreadPool>>,
        policy: ThreadPolicy,
        config: Config,
    ) -> Self {
        let workers = pool.as_ref().map_or(0, |p| p.current_num_threads());
        let slots: Box<[Slot]> = (0..workers)
            .map(|i| Slot::new(config.fresh_bump(), Role::Worker(i), format!("worker {i}")))
            .chain([Slot::new(
                config.fresh_bump(),
                Role::Driver,
                "driver".to_owned(),
            )])
            .collect();
        let slots = NonNull::new(Box::into_raw(slots)).expect("Box::into_raw is never null");
        ArenaSet {
            id: next_set_id(),
            pool,
            // SAFETY: the block holds `workers + 1` slots, so index `workers` is in bounds.
            driver_slot: unsafe { slots.cast::<Slot>().add(workers) },
            slots,
            workers,
            driver_token: thread_token(),
            policy,
            config,
            extra: Mutex::new(Vec::new()),
            _kind: PhantomData,
        }
    }

    /// A strict set for the workers of `pool` and the calling (driver) thread.
    pub fn new(pool: Arc<ThreadPool>) -> Self {
        Self::builder().pool(pool).build()
    }

    /// A set with no pool under [`ThreadPolicy::AnyThread`]: every thread that uses it gets its
    /// own arena on first use.
    pub fn for_any_thread() -> Self {
        Self::builder()
            .thread_policy(ThreadPolicy::AnyThread)
            .build()
    }

    /// A builder: pool, [per-thread limit](ArenasBuilder::limit_per_thread), thread policy,
    /// capacities.
    pub fn builder() -> ArenasBuilder<K> {
        ArenasBuilder::new()
    }

    /// A new, empty set configured like this one (same pool, thread policy, per-thread
    /// limit and capacities), whose driver is the calling thread. For moving the data that
    /// is still needed out of a set and then dropping it (compacting).
    ///
    /// ```
    /// let old = tern_arena::Arenas::for_any_thread();
    /// old.alloc_str("garbage and keepers");
    /// let fresh = old.empty_like();
    /// let kept = fresh.alloc_str("keepers");
    /// drop(old); // frees every chunk of the old set
    /// assert_eq!(kept, "keepers");
    /// assert_eq!(fresh.thread_policy(), tern_arena::ThreadPolicy::AnyThread);
    /// ```
    #[must_use]
    pub fn empty_like(&self) -> Self {
        ArenasBuilder {
            pool: self.pool.clone(),
            limit: self.config.limit,
            policy: self.policy,
            initial_capacity: self.config.initial_capacity,
            max_retained: self.config.max_retained,
            _kind: PhantomData,
        }
        .build()
    }

    /// The thread policy.
    pub fn thread_policy(&self) -> ThreadPolicy {
        self.policy
    }

    /// The per-thread limit, if any.
    pub fn limit_per_thread(&self) -> Option<usize> {
        self.config.limit
    }

    /// Number of pool workers served (0 without a pool).
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Lets the calling thread allocate in a strict set until the returned registration is
    /// dropped (see [`ThreadRegistration`] for what stays). Registering a pool worker, the
    /// driver, or the same thread twice is allowed and harmless.
    pub fn register_thread(&self) -> ThreadRegistration<'_> {
        let token = thread_token();
        let mut registration = ThreadRegistration {
            set_id: self.id,
            extra: None,
            token,
            _not_send: PhantomData,
        };
        if self.pool_index().is_some() || token == self.driver_token {
            return registration;
        }
        let mut extra = lock(&self.extra);
        let i = if let Some(i) = extra.iter().position(|e| e.token == token) {
            i
        } else {
            extra.push(self.new_extra(token));
            extra.len() - 1
        };
        let e = &mut extra[i];
        e.registrations += 1;
        cache_insert(self.id, e.slot.as_ptr());
        registration.extra = Some(&self.extra);
        registration
    }

    /// The calling thread's own `Bump`, for bumpalo's full API (`alloc_with`, its collections,
    /// ...). Never `&mut`; found with no lock and no atomic read-modify-write.
    ///
    /// `&Bump` is `!Send` (`Bump` is `!Sync`), so it cannot be handed to another thread:
    ///
    /// ```compile_fail,E0277
    /// let arenas = tern_arena::Arenas::for_any_thread();
    /// let bump = arenas.local();
    /// std::thread::scope(|s| {
    ///     s.spawn(move || bump.alloc(1u8));
    /// });
    /// ```
    ///
    /// Allocations made directly on it are not counted in [`WorkerStats::used`], and bumpalo's
    /// infallible methods abort the process (not panic) past a
    /// [limit](ArenasBuilder::limit_per_thread); use its `try_` methods there.
    ///
    /// # Panics
    ///
    /// In a [strict](ThreadPolicy::Strict) set, when the calling thread is neither a worker of
    /// the set's pool, nor the driver, nor registered. The message names the thread.
    #[inline]
    #[track_caller]
    pub fn local(&self) -> &Bump {
        self.owned_slot().bump()
    }

    /// The calling thread's arena as a handle, so that a run of allocations pays for the
    /// thread lookup once. Panics as [`local`](Self::local) does.
    ///
    /// ```
    /// let arenas = tern_arena::Arenas::for_any_thread();
    /// let here = arenas.local_arena();
    /// let words: Vec<&str> = ["a", "bc", "def"].iter().map(|w| &*here.alloc_str(w)).collect();
    /// assert_eq!(words.concat(), "abcdef");
    /// assert_eq!(here.used(), 6);
    /// ```
    #[inline]
    #[track_caller]
    pub fn local_arena(&self) -> LocalArena<'_, K> {
        LocalArena {
            set: self,
            owned: self.owned_slot(),
        }
    }

    /// The worker slots, then the driver slot.
    #[inline]
    fn slots(&self) -> &[Slot] {
        // SAFETY: `slots` came from `Box::into_raw` in `build` and is freed only in `Drop`, which
        // cannot run while `&self` is borrowed; it is only ever accessed through shared
        // references (mutation goes through the slots' `UnsafeCell`s).
        unsafe { self.slots.as_ref() }
    }

    /// `Some(i)` on worker `i` of this set's own pool.
    #[inline]
    fn pool_index(&self) -> Option<usize> {
        // The pool's method, not `rayon::current_thread_index()`: the latter also answers on
        // workers of other pools, whose index `i` is a different thread.
        self.pool.as_ref()?.current_thread_index()
    }

    /// The calling thread's slot, with proof of ownership.
    ///
    /// The fast path is the front entry of the thread's slot cache: one thread-local access
    /// and one comparison with this set's id.
    #[inline]
    #[track_caller]
    pub(crate) fn owned_slot(&self) -> OwnedSlot<'_> {
        if let Some(slot) = cache_front(self.id) {
            // SAFETY: Sync argument 4: this thread's own cache holds this set's id, so the
            // entry was inserted by this thread for this set (ids are never reused) after
            // argument 1, 2 or 3 showed the slot is this thread's, and was not removed by
            // deregistration. Slots are freed only in `Drop`, which cannot run while `&self`
            // is borrowed, so the pointer is live.
            return unsafe { OwnedSlot::new(&*slot) };
        }
        self.owned_slot_cold()
    }

    /// The lookup behind the front cache entry: the driver's token, the rest of the cache,
    /// then the pool index or the extra list. Whatever it finds becomes the front entry.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn owned_slot_cold(&self) -> OwnedSlot<'_> {
        let token = thread_token();
        if token == self.driver_token {
            cache_insert(self.id, self.driver_slot.as_ptr());
            // SAFETY: Sync argument 2: this is the driver thread, owner of the last slot, which
            // `driver_slot` points to (inside the `slots` block, live until `Drop`). `&self` is
            // borrowed for the lifetime, so `reset` cannot run. (The cache entry just inserted
            // is argument 4.)
            return unsafe { OwnedSlot::new(self.driver_slot.as_ref()) };
        }
        if let Some(slot) = cache_lookup(self.id) {
            // SAFETY: Sync argument 4, as in `owned_slot`.
            return unsafe { OwnedSlot::new(&*slot) };
        }
        self.owned_slot_uncached(token)
    }

    /// Pool workers land here on their first use of the set (and after cache eviction):
    /// `ThreadPool::current_thread_index()` is a few calls into rayon, so its answer is
    /// cached.
    #[inline(never)]
    #[track_caller]
    fn owned_slot_uncached(&self, token: u64) -> OwnedSlot<'_> {
        if let Some(i) = self.pool_index() {
            let slot = &self.slots()[i];
            cache_insert(self.id, slot);
            // SAFETY: Sync argument 1: this thread is worker `i` of `self.pool`, the owner of
            // `slots[i]` (indexing is checked).
            return unsafe { OwnedSlot::new(slot) };
        }
        self.owned_slot_slow(token)
    }

    #[cold]
    #[inline(never)]
    #[track_caller]
    fn owned_slot_slow(&self, token: u64) -> OwnedSlot<'_> {
        let mut extra = lock(&self.extra);
        let allowed = |e: &Extra| e.registrations > 0 || self.policy == ThreadPolicy::AnyThread;
        let slot = match extra.iter().find(|e| e.token == token) {
            Some(e) if allowed(e) => e.slot,
            _ if self.policy == ThreadPolicy::AnyThread => {
                let e = self.new_extra(token);
                let slot = e.slot;
                extra.push(e);
                slot
            }
            _ => {
                drop(extra);
                self.foreign_thread()
            }
        };
        cache_insert(self.id, slot.as_ptr());
        // SAFETY: Sync argument 3: `slot` was created for `token`, this thread's token, and
        // lives until `Drop`, which cannot run while `&self` is borrowed. (The cache entry
        // just inserted is argument 4.)
        unsafe { OwnedSlot::new(slot.as_ref()) }
    }

    fn new_extra(&self, token: u64) -> Extra {
        let slot = Box::into_raw(Box::new(Slot::new(
            self.config.fresh_bump(),
            Role::Extra,
            describe_current_thread(),
        )));
        Extra {
            token,
            slot: NonNull::new(slot).expect("Box::into_raw is never null"),
            registrations: 0,
        }
    }

    #[cold]
    #[track_caller]
    fn foreign_thread(&self) -> ! {
        panic!(
            "tern-arena: {} used an arena set it does not belong to: it is not a worker of \
             the set's rayon pool ({} workers), not the driver thread that built the set, and \
             not registered. Call `register_thread()` on it first, or build the set with \
             `ThreadPolicy::AnyThread`.",
            describe_current_thread(),
            self.workers
        )
    }

    /// Per-arena numbers: workers in index order, then the driver, then extra threads in
    /// registration order. A snapshot; exact once the allocating work has been joined.
    pub fn stats(&self) -> Vec<WorkerStats> {
        let extra = lock(&self.extra);
        let stat = |s: &Slot| WorkerStats {
            label: s.label.clone(),
            role: s.role,
            used: s.used(),
            capacity: s.capacity(),
        };
        self.slots()
            .iter()
            .map(stat)
            // SAFETY: extra slots live until `Drop`; only their atomics and immutable fields
            // are read here.
            .chain(extra.iter().map(|e| stat(unsafe { e.slot.as_ref() })))
            .collect()
    }

    /// Sum of [`WorkerStats::used`] over all arenas.
    pub fn total_used(&self) -> usize {
        self.stats().iter().map(|s| s.used).sum()
    }

    /// Sum of [`WorkerStats::capacity`] over all arenas.
    pub fn total_capacity(&self) -> usize {
        self.stats().iter().map(|s| s.capacity).sum()
    }

    /// The `try_` methods' error for `r`.
    #[cold]
    #[inline(never)]
    pub(crate) fn refused(&self, owned: OwnedSlot<'_>, r: Refusal) -> AllocError {
        let slot = owned.slot();
        let kind = if r.size == usize::MAX {
            AllocErrorKind::SizeOverflow
        } else if self.config.limit.is_some() {
            AllocErrorKind::LimitExceeded
        } else {
            AllocErrorKind::OutOfMemory
        };
        AllocError {
            kind,
            size: r.size,
            align: r.align,
            limit: self.config.limit,
            used: slot.used(),
            capacity: owned.bump().allocated_bytes(),
            thread: slot.label.clone(),
        }
    }

    /// The infallible methods' failure: a panic with the [`AllocError`] message, or
    /// [`std::alloc::handle_alloc_error`] on plain out-of-memory (as `Box` does).
    #[cold]
    #[inline(never)]
    #[track_caller]
    pub(crate) fn fail(&self, owned: OwnedSlot<'_>, r: Refusal) -> ! {
        let e = self.refused(owned, r);
        if e.kind() == AllocErrorKind::OutOfMemory
            && let Ok(layout) = Layout::from_size_align(r.size, r.align)
        {
            std::alloc::handle_alloc_error(layout);
        }
        panic!("{e}")
    }

    fn reset_all(&mut self) {
        let config = self.config;
        let fresh = || config.fresh_bump();
        for slot in self.slots() {
            // SAFETY: `&mut self`: no `OwnedSlot` (they borrow `&self`) and nothing allocated
            // from one is alive.
            unsafe { slot.reset(config.max_retained, fresh) };
        }
        for e in self
            .extra
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
        {
            // SAFETY: as above; extra slots live until `Drop`.
            unsafe { e.slot.as_ref().reset(config.max_retained, fresh) };
        }
    }
}

impl ArenaSet<Scratch> {
    /// Empties every arena of the set at once. Taking `&mut self` proves no reference into
    /// the set survives: this does not compile:
    ///
    /// ```compile_fail,E0502
    /// let mut scratch = tern_arena::ScratchArenas::for_any_thread();
    /// let x = scratch.alloc(1u32);
    /// scratch.reset();
    /// assert_eq!(*x, 1);
    /// ```
    ///
    /// Each arena keeps its largest chunk for the next pass, unless that chunk is bigger than
    /// [`max_retained_per_thread`](ArenasBuilder::max_retained_per_thread): then its `Bump`
    /// is replaced by a fresh one. Reusable `alloc_from_iter` buffers above 256 KiB are freed.
    /// Stats' `used` drops to 0. Thread registrations are kept.
    pub fn reset(&mut self) {
        self.reset_all();
    }
}

impl<K: Kind> Drop for ArenaSet<K> {
    fn drop(&mut self) {
        // SAFETY: `slots` came from `Box::into_raw` in `build` and is freed only here, once;
        // `&mut self` means no reference into it is alive. Pointers into it left in thread
        // caches are keyed by this set's id, never reused, so never read again.
        drop(unsafe { Box::from_raw(self.slots.as_ptr()) });
        for e in self
            .extra
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            // SAFETY: `e.slot` came from `Box::into_raw` in `new_extra` and is freed only here,
            // once; `&mut self` means no reference to it is alive. Copies of the pointer left
            // in thread caches are keyed by this set's id, never reused, so never read again.
            drop(unsafe { Box::from_raw(e.slot.as_ptr()) });
        }
    }
}

impl<K: Kind> fmt::Debug for ArenaSet<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArenaSet")
            .field("kind", &std::any::type_name::<K>())
            .field("workers", &self.workers)
            .field("policy", &self.policy)
            .field("limit", &self.config.limit)
            .field("total_used", &self.total_used())
            .field("total_capacity", &self.total_capacity())
            .finish_non_exhaustive()
    }
}
