//! [`Participant`]: a thread's registration with a [`Collector`], its quiescent states and
//! its private batches of garbage.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;

use crate::batch::{Batch, Entry, Open, RunOutcome, Word};
use crate::collector::{Collector, Slot, self_deadlock};
use crate::sync::{
    Arc, AtomicPtr,
    Ordering::{Acquire, Relaxed, Release},
};

/// Emptied batch vectors a participant keeps for reuse at least (see `spare_cap`).
const SPARE_BATCHES: usize = 8;

/// Cap of the scan backoff: garbage waiting for others is re-checked at least every
/// `2^MAX_BACKOFF` quiescent states.
const MAX_BACKOFF: u32 = 6;

/// A thread's handle on a [`Collector`]: the right to read shared memory between two
/// quiescent states, and a private batch of retired garbage.
///
/// Created by [`Collector::register`]; online at once. It borrows the collector, so
/// [`Collector::checkpoint`] (which takes `&mut Collector`) proves that none is alive.
///
/// `!Send` and `!Sync`: a participant stands for one thread's read-side region; its
/// announcements describe that thread's reads.
///
/// ```compile_fail
/// fn assert_send<T: Send>(_: T) {}
/// let c = tern_quiesce::Collector::new();
/// assert_send(c.register());
/// ```
/// ```compile_fail
/// fn assert_sync<T: Sync>(_: &T) {}
/// let c = tern_quiesce::Collector::new();
/// assert_sync(&c.register());
/// ```
pub struct Participant<'c> {
    collector: &'c Collector,
    slot: Arc<Slot>,
    /// The period the slow path last handled, or 0 while the open batch is non-empty (a
    /// period is never 0, so the fast path's comparison fails and the slow path seals it).
    cached: u64,
    /// The period this participant announced last, 0 while offline (a private copy of
    /// `slot.announced`).
    announced: u64,
    /// Retired entries not yet sealed (its tag is unused until `seal` sets it).
    open: Open,
    /// Sealed batches in sealing order, hence in non-decreasing tag order (one thread's
    /// loads of the period never go backwards).
    sealed: VecDeque<Batch>,
    /// Emptied batch vectors for the next seals: steady-state retiring allocates nothing,
    /// not even per batch. (A fresh 2 KiB vector per batch also costs more than its own
    /// allocation: glibc consolidates its fast bins, full of the just-freed objects, on
    /// every such request.)
    spare: Vec<Vec<Word>>,
    /// How many spares to keep: about the number of batches a reclamation runs (the
    /// backlog this participant's pattern produces), at least `SPARE_BATCHES`.
    spare_cap: usize,
    batch_size: usize,
    /// Slow-path quiescent states left to skip before the next scan (see `reclaim`).
    skip: u32,
    /// Exponent of the current scan backoff (`skip` restarts at `2^backoff - 1`).
    backoff: u32,
    /// The horizon the last scan found: a scan that finds it moved (others are making
    /// progress) resets the backoff; one that finds it stuck doubles it.
    last_horizon: u64,
    /// Private running totals behind `slot.counts`: retired items and bytes, reclaimed
    /// items and bytes (of this participant's own batches).
    counts: [u64; 4],
    /// `!Send + !Sync`.
    _not_send: PhantomData<*mut ()>,
}

impl<'c> Participant<'c> {
    pub(crate) fn new(collector: &'c Collector, slot: Arc<Slot>, announced: u64) -> Self {
        Participant {
            collector,
            slot,
            cached: announced,
            announced,
            open: Open::new(Vec::new()),
            sealed: VecDeque::new(),
            spare: Vec::new(),
            spare_cap: SPARE_BATCHES,
            batch_size: collector.batch_size,
            skip: 0,
            backoff: 0,
            last_horizon: 0,
            counts: [0; 4],
            _not_send: PhantomData,
        }
    }

    /// The collector this participant belongs to.
    pub fn collector(&self) -> &'c Collector {
        self.collector
    }

    /// The name given at registration.
    pub fn name(&self) -> &str {
        &self.slot.name
    }

    /// Retired resources this participant still holds (open and sealed batches).
    pub fn pending(&self) -> usize {
        let items = self.open.batch.items + self.sealed.iter().map(|b| b.items).sum::<u64>();
        usize::try_from(items).unwrap_or(usize::MAX)
    }

    /// A quiescent state: this thread holds no reference into shared memory obtained
    /// before this call. The `&mut` ends every [`protect`](Self::protect) borrow.
    ///
    /// Fast path (no grace period pending and no garbage waiting here or in the shared
    /// list): one `Relaxed` load of the global period and one comparison. Otherwise the
    /// slow path seals the open batch, announces the period if it moved, and runs every
    /// batch of this participant (and, if its lock is free, of the collector's shared
    /// list) whose grace period has elapsed. While garbage waits for a participant that
    /// makes no progress, the scans that look for it back off exponentially (at least
    /// every 64th quiescent state re-checks); while the others progress, every slow-path
    /// quiescent state looks.
    ///
    /// # Panics
    /// If a destructor panics, the rest still run, then the first panic is resumed here.
    #[inline]
    pub fn quiescent(&mut self) {
        // Relaxed: missing a concurrent increment only delays reclamation to the next
        // quiescent state; the slow path's SeqCst fence orders everything that matters.
        if self.collector.period.0.load(Relaxed) != self.cached {
            self.quiescent_slow();
        }
    }

    #[cold]
    #[inline(never)]
    fn quiescent_slow(&mut self) {
        if self.open.batch.items != 0 {
            self.seal();
        }
        // Relaxed: the fence in `announce` orders what follows; see the crate docs.
        let g = self.collector.period.0.load(Relaxed);
        debug_assert_ne!(self.announced, 0, "a reachable participant is online");
        if self.announced != g {
            self.collector.announce(&self.slot, g);
            self.announced = g;
        }
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            self.reclaim(false);
        }
        self.cached = if self.garbage_waits() { 0 } else { g };
    }

    /// Whether garbage this participant could run waits (its own sealed batches, or the
    /// shared list's): then `cached` stays 0 so quiescent states keep re-checking.
    fn garbage_waits(&self) -> bool {
        !self.sealed.is_empty() || self.collector.shared_batches_hint() != 0
    }

    /// Runs this participant's sealed batches whose grace period has elapsed, and helps
    /// with the shared list (`blocking`: wait for its lock instead of skipping).
    fn reclaim(&mut self, blocking: bool) {
        let c = self.collector;
        let own = self.sealed.front().is_some_and(|b| b.tag < self.announced);
        if !own && c.shared_batches_hint() == 0 {
            return;
        }
        let h = c.horizon();
        let mut out = RunOutcome::default();
        let n = self.sealed.iter().take_while(|b| b.tag < h).count();
        if n > 0 {
            #[cfg(debug_assertions)]
            c.debug_check(self.sealed[n - 1].tag);
            // Follow the backlog up at once, down by halves (a spike's spares go soon).
            self.spare_cap = (self.spare_cap / 2).max(n).max(SPARE_BATCHES);
            self.spare.truncate(self.spare_cap);
            for mut b in self.sealed.drain(..n) {
                out.run(&mut b);
                if self.spare.len() < self.spare_cap {
                    self.spare.push(b.words);
                }
            }
            self.counts[2] += out.items;
            self.counts[3] += out.bytes;
            self.slot.counts.reclaimed_items.publish(self.counts[2]);
            self.slot.counts.reclaimed_bytes.publish(self.counts[3]);
        }
        c.help_shared(h, !blocking, &mut out);
        if self.garbage_waits() && h <= self.last_horizon {
            // Stuck (a participant is not passing quiescent states): look less often.
            self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
            self.skip = (1 << self.backoff) - 1;
        } else {
            self.backoff = 0;
        }
        self.last_horizon = h;
        out.resume();
    }

    /// Seals the open batch: tags it with the global period read after a `SeqCst` fence
    /// and starts a grace period.
    #[inline(never)]
    fn seal(&mut self) {
        let fresh = match self.spare.pop() {
            Some(v) => v,
            None => self
                .collector
                .take_spares(&mut self.spare)
                .unwrap_or_else(|| Vec::with_capacity(self.batch_size + 2)),
        };
        self.seal_onto(fresh);
    }

    /// Seals the open batch (see [`seal`](Self::seal)), opening the next one on `fresh`.
    fn seal_onto(&mut self, fresh: Vec<Word>) {
        let mut batch = self.open.take(fresh);
        batch.tag = self.collector.seal_tag();
        self.counts[0] += batch.items;
        self.counts[1] += batch.bytes;
        self.slot.counts.retired_items.publish(self.counts[0]);
        self.slot.counts.retired_bytes.publish(self.counts[1]);
        self.sealed.push_back(batch);
    }

    #[inline]
    fn push(&mut self, entry: Entry, bytes: u64) {
        self.open.push(entry, bytes);
        self.retired_one();
    }

    /// After a retire: the next quiescent state must seal (see `cached`), and a full batch
    /// is sealed now.
    #[inline]
    fn retired_one(&mut self) {
        self.cached = 0;
        if self.open.batch.items >= self.batch_size as u64 {
            self.seal();
        }
    }

    /// Retires `b`: it is dropped once every participant (this one included) has passed a
    /// quiescent state or been offline after this call. The caller must already have
    /// unlinked it (no new reader can reach it).
    ///
    /// No allocation and no atomic operation per object: the box's pointer joins this
    /// participant's open batch (one word when the previous retire was a box of the same
    /// type); every [`Collector::batch_size`] retires the batch is sealed (one fence and one
    /// compare-exchange).
    #[inline]
    pub fn retire<T: Send + 'static>(&mut self, b: Box<T>) {
        self.open.push_box(b);
        self.retired_one();
    }

    /// Retires any `Send` resource (an index, an id, a slice, a table) with the function
    /// that destroys it; see [`retire`](Self::retire). `resource` is stored inline when it
    /// fits in two words, else boxed once.
    #[inline]
    pub fn retire_with<R: Send + 'static>(&mut self, resource: R, drop: fn(R)) {
        self.push(Entry::with(resource, drop), size_of::<R>() as u64);
    }

    /// As [`retire_with`](Self::retire_with), counting `bytes` in [`Stats`](crate::Stats)
    /// instead of `size_of::<R>()` (for a handle that owns more memory than itself).
    #[inline]
    pub fn retire_with_bytes<R: Send + 'static>(&mut self, resource: R, drop: fn(R), bytes: usize) {
        self.push(Entry::with(resource, drop), bytes as u64);
    }

    /// Retires a raw pointer with its destructor; `bytes` is what [`Stats`](crate::Stats)
    /// counts for it.
    ///
    /// # Safety
    /// `participant.retire_raw(ptr, drop, bytes)` is sound if and only if:
    /// - `ptr` is unlinked: no participant can newly load it from shared memory after this
    ///   call begins;
    /// - calling `drop(ptr)` once, on any thread, at any later time (after a grace period)
    ///   is sound, and nothing else destroys or frees what `ptr` owns;
    /// - `ptr` is retired only once.
    #[inline]
    pub unsafe fn retire_raw(&mut self, ptr: *mut (), drop: unsafe fn(*mut ()), bytes: usize) {
        // SAFETY: the caller's contract is exactly `Entry::raw`'s (one call of `drop(ptr)`
        // from any thread later is sound).
        let entry = unsafe { Entry::raw(ptr, drop) };
        self.push(entry, bytes as u64);
    }

    /// Seals the open batch now (starting a grace period for it) instead of waiting for it
    /// to fill. Runs nothing.
    pub fn flush(&mut self) {
        if self.open.batch.items != 0 {
            self.seal();
        }
    }

    /// Goes offline: the returned [`Offline`] delays no grace period and cannot read
    /// shared memory (it has no `protect`); [`Offline::online`] gives the participant back,
    /// online again. For blocking regions (I/O, locks, waiting for work). Seals the open
    /// batch and hands every sealed batch to the collector's shared list, so that its
    /// garbage does not wait for its return.
    ///
    /// The participant moves into the [`Offline`], so no `&Participant` exists while it
    /// is offline: [`protect`](Self::protect) needs no runtime check. (A guard that only
    /// borrowed the participant would not do: `mem::forget` on it would end the borrow
    /// and leave an offline participant reachable.) Where only a `&mut Participant` is at
    /// hand, use [`offline_while`](Self::offline_while).
    ///
    /// ```compile_fail,E0382
    /// # use std::sync::atomic::AtomicPtr;
    /// let collector = tern_quiesce::Collector::new();
    /// let p = collector.register();
    /// let mut v = 1u32;
    /// let shared = AtomicPtr::new(&raw mut v);
    /// let away = p.offline();
    /// // SAFETY: `shared` points to a live local.
    /// let r = unsafe { p.protect(&shared) }; // error: `p` moved into `away`
    /// let p = away.online();
    /// ```
    pub fn offline(mut self) -> Offline<'c> {
        self.go_offline(true);
        Offline { p: self }
    }

    /// Runs `f` offline (see [`offline`](Self::offline)), then comes back online, also
    /// when `f` panics. `f` cannot use this participant: it is borrowed mutably meanwhile.
    ///
    /// ```
    /// let collector = tern_quiesce::Collector::new();
    /// let mut p = collector.register();
    /// let k = collector.cookie();
    /// let elapsed = p.offline_while(|| collector.has_elapsed(k));
    /// assert!(elapsed, "an offline participant delays no one");
    /// p.quiescent();
    /// ```
    /// ```compile_fail,E0502
    /// # use std::sync::atomic::AtomicPtr;
    /// let collector = tern_quiesce::Collector::new();
    /// let mut p = collector.register();
    /// let mut v = 1u32;
    /// let shared = AtomicPtr::new(&raw mut v);
    /// // SAFETY: `shared` points to a live local.
    /// p.offline_while(|| unsafe { p.protect(&shared) }.copied()); // error: `p` is borrowed
    /// ```
    pub fn offline_while<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.go_offline(true);
        let _rejoin = Rejoin(self);
        f()
    }

    /// Goes offline; `hand_over`: move the sealed batches to the shared list. Every caller
    /// keeps the participant unreachable until `come_online` (see `protect`).
    fn go_offline(&mut self, hand_over: bool) {
        debug_assert_ne!(self.announced, 0, "a reachable participant is online");
        self.flush();
        // Release: pairs with the Acquire load in `Collector::horizon`, so that every read
        // made while online happens-before any free a scan allows because it saw 0.
        self.slot.announced.store(0, Release);
        self.announced = 0;
        // An offline participant may stay away for long: let others run its garbage.
        if hand_over && !self.sealed.is_empty() {
            self.collector.hand_over(self.sealed.drain(..));
        }
    }

    /// Comes back online (takes the registry lock, like registration).
    fn come_online(&mut self) {
        debug_assert_eq!(
            self.announced, 0,
            "only an offline participant comes online"
        );
        let g = self.collector.come_online(&self.slot);
        self.announced = g;
        self.cached = if self.open.batch.items == 0 && !self.garbage_waits() {
            g
        } else {
            0
        };
    }

    /// Waits for a full grace period, offline meanwhile (so it cannot deadlock on itself),
    /// then runs everything this participant retired before the call (all of it is
    /// destroyed when this returns, on this thread), and every shared batch the grace
    /// period allowed that no other thread is already running.
    ///
    /// # Panics
    /// When another online participant of the same collector is registered on this thread
    /// (it could not pass a quiescent state while this one waits, so the wait would never
    /// end), with a message naming it; and as [`quiescent`](Self::quiescent).
    ///
    /// ```should_panic
    /// let collector = tern_quiesce::Collector::new();
    /// let _outer = collector.register_named("outer");
    /// let mut inner = collector.register_named("inner");
    /// inner.synchronize(); // panics: `outer` is online on this thread
    /// ```
    pub fn synchronize(&mut self) {
        if let Some(name) = self.collector.online_on_this_thread(Some(&self.slot)) {
            self_deadlock(&name);
        }
        self.synchronize_unchecked();
    }

    /// As [`synchronize`](Self::synchronize), except that where the wait could never end
    /// (another online participant of the collector on this thread) it waits for nothing
    /// and returns `false`. For opportunistic waits, such as a memory budget checked after a
    /// work item that may run nested inside another one of the same thread (a work-stealing
    /// pool runs stolen jobs on a thread whose own job is suspended).
    ///
    /// ```
    /// let collector = tern_quiesce::Collector::new();
    /// let mut p = collector.register();
    /// assert!(p.try_synchronize());
    /// let other = collector.register();
    /// assert!(!p.try_synchronize(), "`other` is online on this thread");
    /// drop(other);
    /// ```
    pub fn try_synchronize(&mut self) -> bool {
        if self
            .collector
            .online_on_this_thread(Some(&self.slot))
            .is_some()
        {
            return false;
        }
        self.synchronize_unchecked();
        true
    }

    fn synchronize_unchecked(&mut self) {
        self.flush();
        let cookie = self.collector.cookie();
        // Keep the batches: they run on this thread once the wait is over.
        self.go_offline(false);
        {
            // Online again when the wait ends, even by a panic.
            let rejoin = Rejoin(self);
            rejoin.0.collector.wait_for(cookie);
        }
        self.skip = 0;
        self.reclaim(true);
        // Relaxed: as in `quiescent`.
        let g = self.collector.period.0.load(Relaxed);
        self.cached = if self.garbage_waits() { 0 } else { g };
    }

    /// Loads `src` and borrows its target until this participant's next `&mut` call (its
    /// next quiescent state, `retire`, `offline`, ...). `None` for a null pointer.
    ///
    /// Under `cfg(loom)` the argument is loom's `AtomicPtr` (see [`crate::AtomicPtr`]).
    ///
    /// The borrow cannot survive a quiescent state:
    ///
    /// ```compile_fail
    /// # use std::sync::atomic::AtomicPtr;
    /// let collector = tern_quiesce::Collector::new();
    /// let mut p = collector.register();
    /// let mut v = 1u32;
    /// let shared = AtomicPtr::new(&raw mut v);
    /// // SAFETY: `shared` points to a live local.
    /// let r = unsafe { p.protect(&shared) };
    /// p.quiescent(); // error: `r` still borrows `p`
    /// let _ = r;
    /// ```
    ///
    /// # Safety
    /// `participant.protect(src)` is sound if and only if:
    /// - every non-null pointer ever stored in `src` points to a valid `T`, published with
    ///   `Release` (or stronger) ordering after it was initialised;
    /// - such a `T` is destroyed only by retiring it to this participant's collector after
    ///   it was unlinked from `src` (and from anywhere else readers load it);
    /// - `T` may be shared between threads (`T: Sync`, or only read in ways that are).
    #[inline]
    pub unsafe fn protect<'p, T>(&'p self, src: &AtomicPtr<T>) -> Option<&'p T> {
        // Online: see the SAFETY comment below.
        debug_assert_ne!(self.announced, 0, "a reachable participant is online");
        // Acquire: pairs with the Release store that published the pointer, so that the
        // pointee's initialisation happens-before our reads through it.
        let p = src.load(Acquire);
        // SAFETY: 1. non-null pointers in `src` point to valid `T`s (contract, bullet 1).
        // 2. This participant is online: it goes offline only in `offline`, which consumes
        // it (the `Offline` has no `protect`, and forgetting it leaks the participant),
        // and in `offline_while` and `synchronize`, which hold `&mut self` until it is
        // online again (a `Rejoin` guard, private, comes back online even on unwind). So
        // whoever holds `&self` holds an online participant. The borrow lasts until its next
        // `&mut` call, i.e. its next quiescent state; any `T` loaded here is retired only
        // after unlinking (bullet 2), so its batch's tag is at least the period read
        // after the unlink, and the grace-period invariant keeps it alive until this
        // participant announces a later period, which needs `&mut self`.
        unsafe { p.as_ref() }
    }
}

/// Brings the participant back online when dropped: the end of `offline_while` or of
/// `synchronize`'s wait, normal or by a panic. Private, so no caller can forget it.
struct Rejoin<'a, 'c>(&'a mut Participant<'c>);

impl Drop for Rejoin<'_, '_> {
    fn drop(&mut self) {
        self.0.come_online();
    }
}

/// An offline participant ([`Participant::offline`]): it delays no grace period and
/// cannot read shared memory. [`online`](Self::online) gives the participant back; dropping
/// it unregisters the participant (like dropping the participant); forgetting it leaks the
/// participant's registration, which stays offline and delays no one.
///
/// `!Send` and `!Sync`, like [`Participant`]:
///
/// ```compile_fail,E0277
/// fn assert_send<T: Send>(_: T) {}
/// let c = tern_quiesce::Collector::new();
/// assert_send(c.register().offline());
/// ```
#[must_use = "dropping an `Offline` unregisters the participant; `online` gives it back"]
pub struct Offline<'c> {
    p: Participant<'c>,
}

impl<'c> Offline<'c> {
    /// Comes back online (takes the registry lock, like registration) and gives the
    /// participant back.
    pub fn online(self) -> Participant<'c> {
        let mut p = self.p;
        p.come_online();
        p
    }

    /// The collector the participant belongs to.
    pub fn collector(&self) -> &'c Collector {
        self.p.collector
    }

    /// The name given at registration.
    pub fn name(&self) -> &str {
        self.p.name()
    }
}

impl fmt::Debug for Offline<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Offline")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

impl Drop for Participant<'_> {
    /// Unregisters: seals the open batch, goes offline, hands every pending batch to the
    /// collector's shared list (run later by `try_reclaim`, `synchronize`, `checkpoint`,
    /// another participant's quiescent state, or the collector's drop). Runs no
    /// destructor, so dropping a participant never panics.
    fn drop(&mut self) {
        if self.open.batch.items != 0 {
            // No next batch: the open one takes an empty vector.
            self.seal_onto(Vec::new());
        } else if self.open.batch.words.capacity() != 0 {
            self.spare.push(std::mem::take(&mut self.open.batch.words));
        }
        // Release: pairs with the Acquire load in `Collector::horizon`: every read this
        // participant made happens-before any free allowed by a scan that sees 0.
        self.slot.announced.store(0, Release);
        if !self.sealed.is_empty() {
            self.collector.hand_over(self.sealed.drain(..));
        }
        if !self.spare.is_empty() {
            self.collector.give_spares(&mut self.spare);
        }
        self.collector.unregister(&self.slot);
    }
}

impl fmt::Debug for Participant<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Participant")
            .field("name", &self.name())
            .field("announced", &self.announced)
            .field("pending", &self.pending())
            .finish_non_exhaustive()
    }
}
