//! The [`Collector`]: the global period, the registry of participants, the shared list of
//! batches, and the scan that decides which batches may run.

use std::fmt;
use std::time::{Duration, Instant};

use crate::batch::{self, Batch, Entry, RunOutcome, Word};
use crate::participant::Participant;
use crate::sync::{
    self, Arc, AtomicU64, AtomicUsize, Backoff, Mutex, MutexGuard,
    Ordering::{Acquire, Relaxed, Release, SeqCst},
    Stat, ThreadId, fence,
};

/// Entries per batch before a participant seals it: 64 normally, 4 under Miri and loom (as
/// crossbeam-epoch does) so that the checkers see many seals and grace periods in few steps.
pub const DEFAULT_BATCH_SIZE: usize = if cfg!(any(miri, loom)) { 4 } else { 64 };

/// Keeps a value on its own cache lines (128 bytes: two lines, as adjacent-line prefetchers
/// pull pairs), so that writes to neighbours never invalidate the line readers poll.
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

/// One registered participant's public face, read by scans.
#[repr(align(128))]
pub(crate) struct Slot {
    /// The period this participant announced at its last quiescent state (or when it came
    /// online); 0 while it is offline. Written only by the owning participant, with
    /// `Release` so that every read it made before the announcement happens-before any
    /// free that a scan (`Acquire`) allows because of it. Values only grow, except for 0.
    pub(crate) announced: AtomicU64,
    /// Nanoseconds from the collector's creation to this participant's last slow-path
    /// quiescent state. Relaxed; for reporting ([`Stats::oldest_holder`]) only.
    pub(crate) last_quiescent: AtomicU64,
    /// The name given at registration (or `participant-N`).
    pub(crate) name: Box<str>,
    /// The thread that registered it (a participant is `!Send`, so it never leaves it):
    /// [`Collector::synchronize`] and [`Participant::synchronize`] refuse to wait for a
    /// participant of their own thread, which could never pass a quiescent state meanwhile.
    pub(crate) thread: ThreadId,
    /// This participant's own counters, written only by it (it publishes its private
    /// running totals), read by [`Collector::stats`] and folded into the collector's when it
    /// unregisters.
    pub(crate) counts: SlotCounts,
}

/// Per-participant statistics (see [`Slot::counts`]).
#[derive(Default)]
pub(crate) struct SlotCounts {
    pub(crate) retired_items: Stat,
    pub(crate) retired_bytes: Stat,
    pub(crate) reclaimed_items: Stat,
    pub(crate) reclaimed_bytes: Stat,
}

impl SlotCounts {
    /// The four counters. `unregister` and `stats` read them under the registry lock, so
    /// that a leaving participant's counts are seen exactly once.
    fn load(&self) -> [u64; 4] {
        [
            self.retired_items.get(),
            self.retired_bytes.get(),
            self.reclaimed_items.get(),
            self.reclaimed_bytes.get(),
        ]
    }
}

/// Monotonic counters for [`Stats`]: what was retired through the collector, what ran
/// from its shared list, and the totals of participants that unregistered (updated on rare
/// paths only).
#[derive(Default)]
struct Counters {
    retired_items: Stat,
    retired_bytes: Stat,
    reclaimed_items: Stat,
    reclaimed_bytes: Stat,
    /// The largest `n` such that a scan saw every participant past every period `<= n`.
    completed: Stat,
    /// Registrations so far, for default names.
    registrations: Stat,
}

/// A reclamation domain: one global period, the participants registered with it, and the
/// garbage retired to it. See the [crate docs](crate) for the algorithm.
///
/// There is no process-global state: two collectors never wait for each other. A
/// `Collector` is `Send + Sync` (share it by reference or in an `Arc`) and deliberately not
/// `Clone`. Dropping it runs every batch still pending in its shared list (participants
/// borrow it, so they are all gone by then).
pub struct Collector {
    /// The global period. Starts at 1, only ever incremented (by sealing and by cookies),
    /// never wraps (2^64 increments). It publishes no data: every ordering argument rests
    /// on the `SeqCst` fences around its loads (see the crate docs' invariant).
    pub(crate) period: CachePadded<AtomicU64>,
    /// Every registered participant's slot. Registration, coming online, unregistration and
    /// scans take this lock, so a participant that comes online after a scan happens-after
    /// it.
    registry: Mutex<Vec<Arc<Slot>>>,
    /// Batches retired through the collector itself, and those handed over by dropped
    /// participants.
    shared: Mutex<Vec<Batch>>,
    /// `shared.len()`, written under the `shared` lock, read `Relaxed` as a hint by
    /// participants deciding whether to help (a stale read only delays help).
    shared_batches: AtomicUsize,
    /// Declared bytes of the batches in `shared`, written under the `shared` lock, read
    /// `Relaxed` by [`Collector::shared_pending_bytes`] (a gauge for memory budgets).
    shared_bytes: AtomicU64,
    counters: Counters,
    /// Emptied batch vectors kept for the participants' next seals (see
    /// [`checkpoint`](Self::checkpoint)): a pass that retires no more than the last one
    /// allocates and frees no batch vectors.
    spares: Mutex<Spares>,
    /// `spares.words.len()`, written under the `spares` lock, read `Relaxed` as a hint by
    /// sealing participants (a stale read only allocates a fresh vector, or takes the lock
    /// for nothing).
    spare_count: AtomicUsize,
    pub(crate) batch_size: usize,
    start: Instant,
}

/// The collector's pool of emptied batch vectors.
#[derive(Default)]
struct Spares {
    words: Vec<Vec<Word>>,
    /// How many to keep: about the number of batches the last checkpoint ran, following a
    /// larger one at once and a smaller one by halves (as a participant's own spares do).
    cap: usize,
}

/// Spare batch vectors a participant takes from the collector's pool at once (one lock per
/// this many seals).
const SPARE_REFILL: usize = 64;

/// A grace-period cookie: the period current when it was taken. See
/// [`Collector::cookie`] and [`Collector::has_elapsed`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cookie(u64);

impl Cookie {
    /// The period this cookie waits for every participant to leave.
    pub fn period(self) -> u64 {
        self.0
    }
}

/// What a [`Collector::checkpoint`] freed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reclaimed {
    /// Retired resources destroyed.
    pub items: u64,
    /// Sum of their declared sizes (`size_of::<T>()` for `retire`, the caller's figure for
    /// `retire_raw`).
    pub bytes: u64,
}

/// A snapshot of a collector's counters (each read `Relaxed`, so the snapshot is only
/// approximately consistent while other threads work).
///
/// Items count once their batch is sealed: a participant's open batch (fewer than the
/// batch size) is not yet counted as retired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Resources retired (in sealed batches) since creation.
    pub retired_items: u64,
    /// Their declared bytes.
    pub retired_bytes: u64,
    /// Resources destroyed since creation.
    pub reclaimed_items: u64,
    /// Their declared bytes.
    pub reclaimed_bytes: u64,
    /// `retired_items - reclaimed_items`.
    pub pending_items: u64,
    /// `retired_bytes - reclaimed_bytes`.
    pub pending_bytes: u64,
    /// The largest `n` such that some scan saw every participant past every period `<= n`
    /// (the global period starts at 1, so this counts grace periods completed).
    pub grace_periods_completed: u64,
    /// The global period now.
    pub period: u64,
    /// Registered participants.
    pub participants: usize,
    /// Of which online.
    pub online: usize,
    /// The online participant that holds the oldest period back (smallest announced
    /// period, when that is behind the global period): its name and the time since its
    /// last quiescent state. `None` when no online participant is behind.
    pub oldest_holder: Option<(String, Duration)>,
}

impl Default for Collector {
    fn default() -> Self {
        Self::new()
    }
}

impl Collector {
    /// A collector with the default batch size ([`DEFAULT_BATCH_SIZE`]).
    pub fn new() -> Self {
        Self::with_batch_size(DEFAULT_BATCH_SIZE)
    }

    /// A collector whose participants seal a batch every `batch_size` retires (at least 1).
    /// Smaller batches start grace periods more often (less garbage pending, more
    /// slow-path quiescent states); the default suits most uses.
    pub fn with_batch_size(batch_size: usize) -> Self {
        Collector {
            period: CachePadded(AtomicU64::new(1)),
            registry: Mutex::new(Vec::new()),
            shared: Mutex::new(Vec::new()),
            shared_batches: AtomicUsize::new(0),
            shared_bytes: AtomicU64::new(0),
            counters: Counters::default(),
            spares: Mutex::new(Spares::default()),
            spare_count: AtomicUsize::new(0),
            batch_size: batch_size.max(1),
            start: Instant::now(),
        }
    }

    /// Registers the calling thread as a participant, online at once, named
    /// `participant-N`.
    pub fn register(&self) -> Participant<'_> {
        let n = self.counters.registrations.add(1);
        self.register_named(format!("participant-{n}"))
    }

    /// Registers the calling thread as a participant, online at once, under `name` (shown
    /// by [`Stats::oldest_holder`]).
    pub fn register_named(&self, name: impl Into<String>) -> Participant<'_> {
        let slot = Arc::new(Slot {
            announced: AtomicU64::new(0),
            last_quiescent: AtomicU64::new(0),
            name: name.into().into_boxed_str(),
            thread: sync::current_thread_id(),
            counts: SlotCounts::default(),
        });
        let mut registry = sync::lock(&self.registry);
        let announced = self.announce_online(&registry, &slot);
        registry.push(Arc::clone(&slot));
        drop(registry);
        Participant::new(self, slot, announced)
    }

    /// Announces the current period for `slot`, which is coming online. The registry lock
    /// must be held (the guard is the proof): a participant that comes online after a scan
    /// then happens-after that scan, so its load below sees at least the period every
    /// batch that scan allowed was followed by (see the crate docs).
    pub(crate) fn announce_online(
        &self,
        _registry: &MutexGuard<'_, Vec<Arc<Slot>>>,
        slot: &Slot,
    ) -> u64 {
        // Relaxed: ordered by the registry lock (see above) and the fence below.
        let g = self.period.0.load(Relaxed);
        self.announce(slot, g);
        g
    }

    /// Brings an offline participant's `slot` back online (takes the registry lock).
    pub(crate) fn come_online(&self, slot: &Slot) -> u64 {
        let registry = sync::lock(&self.registry);
        let g = self.announce_online(&registry, slot);
        drop(registry);
        g
    }

    /// Whether the shared list may hold batches (a hint).
    pub(crate) fn shared_batches_hint(&self) -> usize {
        // Relaxed: a hint; a stale zero only delays help until a later quiescent state.
        self.shared_batches.load(Relaxed)
    }

    /// Stores `g` as `slot`'s announced period and issues the fence of the invariant.
    pub(crate) fn announce(&self, slot: &Slot, g: u64) {
        // Release: pairs with the Acquire load in `horizon`, so that every read this
        // participant made before announcing `g` happens-before any free that a scan
        // allows because it saw `g`.
        slot.announced.store(g, Release);
        // SeqCst: pairs with the SeqCst fence in `seal_tag` (and `horizon`). If a retirer
        // read a period older than `g` after its fence, its fence precedes this one in the
        // single total order of SeqCst fences, so every load this participant makes after
        // this point sees the retirer's unlinks (the invariant in the crate docs).
        fence(SeqCst);
        // Relaxed: reporting only.
        slot.last_quiescent.store(self.now_nanos(), Relaxed);
    }

    fn now_nanos(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Removes `slot` from the registry (the participant is being dropped).
    pub(crate) fn unregister(&self, slot: &Arc<Slot>) {
        let mut registry = sync::lock(&self.registry);
        if let Some(i) = registry.iter().position(|s| Arc::ptr_eq(s, slot)) {
            registry.swap_remove(i);
        }
        // Under the registry lock, so that `stats` sees the counts either in the slot or
        // here, never in both or neither.
        let [ri, rb, ci, cb] = slot.counts.load();
        self.count_retired(ri, rb);
        self.count_reclaimed(ci, cb);
    }

    /// Reads the tag for garbage unlinked before this call, and starts a grace period
    /// (demand-driven: only sealing and cookies advance the period).
    pub(crate) fn seal_tag(&self) -> u64 {
        // SeqCst: pairs with the SeqCst fence every participant issues after announcing a
        // period (`announce`). Every unlink sequenced before this fence is seen by any
        // participant that announces a period later than the one read below (the proof in
        // the crate docs).
        fence(SeqCst);
        // Relaxed: the fence above orders it; reading an old value only delays the batch.
        let t = self.period.0.load(Relaxed);
        // Relaxed: the period publishes no data. Failure is fine: someone else already
        // advanced past `t`, which is all a batch tagged `t` needs.
        let _ = self.period.0.compare_exchange(t, t + 1, Relaxed, Relaxed);
        t
    }

    /// The scan: returns `h` such that every batch tagged `t < h` may run now.
    pub(crate) fn horizon(&self) -> u64 {
        // SeqCst: pairs with the SeqCst fence in `announce`. Belt and braces: the registry
        // lock already orders comings-online after this scan; with this fence the scan is
        // also ordered against announcements it reads as stale (see the crate docs).
        fence(SeqCst);
        // Relaxed: ordered by the fence above and the lock below. Capping the horizon at
        // this value is what makes batches sealed *after* the scan safe to take with its
        // result: anyone who comes online after the scan takes the registry lock after us,
        // so (read-read coherence) loads a period `>= p0`, which exceeds every tag `< h`.
        let p0 = self.period.0.load(Relaxed);
        let registry = sync::lock(&self.registry);
        let mut h = p0;
        for slot in registry.iter() {
            // Acquire: pairs with the Release store in `announce` / `Participant::offline`
            // so that the participant's reads before that store happen-before every free
            // this scan allows.
            let a = slot.announced.load(Acquire);
            if a != 0 && a < h {
                h = a;
            }
        }
        drop(registry);
        self.counters.completed.raise(h - 1);
        h
    }

    /// Debug check before batches run: every online participant has announced a period
    /// greater than `tag`. Independent of the scan that allowed the batches (it re-reads
    /// every slot), so a wrong horizon computation trips it.
    #[cfg(debug_assertions)]
    pub(crate) fn debug_check(&self, tag: u64) {
        let registry = sync::lock(&self.registry);
        for slot in registry.iter() {
            // Acquire: as in `horizon`.
            let a = slot.announced.load(Acquire);
            assert!(
                a == 0 || a > tag,
                "tern-quiesce bug: running a batch tagged {tag} while participant `{}` announced {a}",
                slot.name
            );
        }
    }

    /// Takes the shared batches tagged below `h`. With `only_try`, gives up if the lock is
    /// busy or the hint says the list is empty (helping from a participant is optional).
    fn take_shared(&self, h: u64, only_try: bool) -> Vec<Batch> {
        let mut shared = if only_try {
            // Relaxed: a hint; a stale zero only delays help.
            if self.shared_batches.load(Relaxed) == 0 {
                return Vec::new();
            }
            match sync::try_lock(&self.shared) {
                Some(g) => g,
                None => return Vec::new(),
            }
        } else {
            sync::lock(&self.shared)
        };
        let mut out = Vec::new();
        let mut i = 0;
        let mut taken = 0;
        while i < shared.len() {
            if shared[i].tag < h {
                taken += shared[i].bytes;
                out.push(shared.swap_remove(i));
            } else {
                i += 1;
            }
        }
        self.note_shared(&shared, 0, taken);
        out
    }

    /// Runs shared batches allowed by `h` (a scan's result). Returns what ran; the caller
    /// resumes the outcome's panic after its own work.
    pub(crate) fn help_shared(&self, h: u64, only_try: bool, out: &mut RunOutcome) {
        let batches = self.take_shared(h, only_try);
        if batches.is_empty() {
            return;
        }
        #[cfg(debug_assertions)]
        self.debug_check(batches.iter().map(|b| b.tag).max().unwrap_or(0));
        let (items, bytes) = (out.items, out.bytes);
        for mut b in batches {
            out.run(&mut b);
        }
        self.count_reclaimed(out.items - items, out.bytes - bytes);
    }

    pub(crate) fn count_retired(&self, items: u64, bytes: u64) {
        if items == 0 {
            return;
        }
        self.counters.retired_items.add(items);
        self.counters.retired_bytes.add(bytes);
    }

    pub(crate) fn count_reclaimed(&self, items: u64, bytes: u64) {
        if items == 0 {
            return;
        }
        self.counters.reclaimed_items.add(items);
        self.counters.reclaimed_bytes.add(bytes);
    }

    /// Appends batches to the shared list (from a dropped participant).
    pub(crate) fn hand_over(&self, batches: impl IntoIterator<Item = Batch>) {
        let mut shared = sync::lock(&self.shared);
        let before = shared.len();
        shared.extend(batches);
        let added = shared[before..].iter().map(|b| b.bytes).sum();
        self.note_shared(&shared, added, 0);
    }

    /// Moves up to [`SPARE_REFILL`] vectors of the pool into `into` (a participant's own
    /// spares) and returns one of them, or `None` when the pool is empty.
    pub(crate) fn take_spares(&self, into: &mut Vec<Vec<Word>>) -> Option<Vec<Word>> {
        // Relaxed: a hint (see the field); a stale zero only allocates a fresh vector.
        if self.spare_count.load(Relaxed) == 0 {
            return None;
        }
        let mut spares = sync::lock(&self.spares);
        let keep = spares.words.len().saturating_sub(SPARE_REFILL);
        into.extend(spares.words.drain(keep..));
        // Relaxed: a gauge written under the `spares` lock, read as a hint.
        self.spare_count.store(spares.words.len(), Relaxed);
        drop(spares);
        into.pop()
    }

    /// Takes a leaving participant's spare vectors into the pool, up to its cap (the rest
    /// are freed).
    pub(crate) fn give_spares(&self, from: &mut Vec<Vec<Word>>) {
        let mut spares = sync::lock(&self.spares);
        let room = spares.cap.saturating_sub(spares.words.len());
        let n = from.len().min(room);
        spares.words.extend(from.drain(..n));
        // Relaxed: a gauge written under the `spares` lock, read as a hint.
        self.spare_count.store(spares.words.len(), Relaxed);
        drop(spares);
        from.clear();
    }

    /// Updates the shared list's gauges after it changed (the lock guard is the proof that
    /// the caller holds the lock): its length, and its bytes plus `added` minus `taken`.
    fn note_shared(&self, shared: &MutexGuard<'_, Vec<Batch>>, added: u64, taken: u64) {
        // Relaxed (all three): gauges written only under the `shared` lock, read as hints.
        self.shared_batches.store(shared.len(), Relaxed);
        let bytes = self.shared_bytes.load(Relaxed) + added - taken;
        self.shared_bytes.store(bytes, Relaxed);
    }

    fn retire_entry(&self, entry: Entry, bytes: u64) {
        let t = self.seal_tag();
        let mut shared = sync::lock(&self.shared);
        match shared.last_mut() {
            // Same tag, same grace period: share the batch instead of allocating one.
            Some(b) if b.tag == t && b.items < self.batch_size as u64 => b.push(entry, bytes),
            _ => {
                let mut b = Batch::with_words(Vec::new());
                b.tag = t;
                b.push(entry, bytes);
                shared.push(b);
            }
        }
        self.note_shared(&shared, bytes, 0);
        drop(shared);
        self.count_retired(1, bytes);
    }

    /// Retires `b` from any thread, participant or not: it is dropped once every
    /// participant has passed a quiescent state (or been offline) after this call.
    ///
    /// The caller must already have unlinked `b` (no new reader can reach it). This is the
    /// rare path: it takes a lock and one `SeqCst` fence per call (a participant's
    /// [`retire`](Participant::retire) takes neither).
    pub fn retire<T: Send + 'static>(&self, b: Box<T>) {
        self.retire_entry(Entry::boxed(b), size_of::<T>() as u64);
    }

    /// Retires any `Send` resource (an id, a slice, a whole table) with the function that
    /// destroys it; see [`retire`](Self::retire).
    pub fn retire_with<R: Send + 'static>(&self, resource: R, drop: fn(R)) {
        self.retire_entry(Entry::with(resource, drop), size_of::<R>() as u64);
    }

    /// As [`retire_with`](Self::retire_with), counting `bytes` in [`Stats`] instead of
    /// `size_of::<R>()`: for a handle that owns more than itself (a table behind a pointer),
    /// so that the collector reports the memory it will free, not the handle's size.
    ///
    /// ```
    /// let collector = tern_quiesce::Collector::new();
    /// let table = vec![0u64; 1024]; // 8 KiB behind a 24-byte handle
    /// let bytes = table.capacity() * size_of::<u64>();
    /// collector.retire_with_bytes(table, drop, bytes);
    /// assert_eq!(collector.stats().retired_bytes, 8192);
    /// assert_eq!(collector.shared_pending_bytes(), 8192);
    /// collector.try_reclaim(); // no participant: the grace period is over at once
    /// assert_eq!(collector.stats().reclaimed_bytes, 8192);
    /// assert_eq!(collector.shared_pending_bytes(), 0);
    /// ```
    pub fn retire_with_bytes<R: Send + 'static>(&self, resource: R, drop: fn(R), bytes: usize) {
        self.retire_entry(Entry::with(resource, drop), bytes as u64);
    }

    /// Bytes waiting in the collector's shared list: what was retired through the collector
    /// itself (not through a participant) and what dropped or offline participants handed
    /// over, not yet reclaimed. Two `Relaxed` loads' worth: cheap enough to check after every
    /// work item against a memory budget. Garbage still in a participant's own batches is
    /// not included (see [`Stats::pending_bytes`] for everything, under a lock).
    pub fn shared_pending_bytes(&self) -> u64 {
        // Relaxed: a gauge (see the field).
        self.shared_bytes.load(Relaxed)
    }

    /// Retires a raw pointer with its destructor; `bytes` is what [`Stats`] counts for it.
    ///
    /// # Safety
    /// `collector.retire_raw(ptr, drop, bytes)` is sound if and only if:
    /// - `ptr` is unlinked: no participant can newly load it from shared memory after this
    ///   call begins;
    /// - calling `drop(ptr)` once, on any thread, at any later time (after a grace period)
    ///   is sound, and nothing else destroys or frees what `ptr` owns;
    /// - `ptr` is retired only once.
    pub unsafe fn retire_raw(&self, ptr: *mut (), drop: unsafe fn(*mut ()), bytes: usize) {
        // SAFETY: the caller's contract is exactly `Entry::raw`'s (one call of `drop(ptr)`
        // from any thread later is sound).
        let entry = unsafe { Entry::raw(ptr, drop) };
        self.retire_entry(entry, bytes as u64);
    }

    /// Runs every shared batch whose grace period has elapsed (those retired through the
    /// collector and those left by dropped participants) on the calling thread. Returns
    /// the number of resources destroyed. Participants' own batches are run by their
    /// owners (at quiescent states).
    ///
    /// # Panics
    /// If a destructor panics, every other eligible resource is still destroyed, then the
    /// first panic is resumed (see the crate docs' panic policy).
    pub fn try_reclaim(&self) -> usize {
        let h = self.horizon();
        let mut out = RunOutcome::default();
        self.help_shared(h, false, &mut out);
        let items = out.items as usize;
        out.resume();
        items
    }

    /// A cookie for the current period, starting a grace period. Once
    /// [`has_elapsed`](Self::has_elapsed) returns `true` for it, every participant has
    /// passed a quiescent state or been offline since the cookie was taken, so anything
    /// unlinked before `cookie()` is unreachable to all of them.
    pub fn cookie(&self) -> Cookie {
        Cookie(self.seal_tag())
    }

    /// Whether the grace period of `c` has elapsed (a scan under the registry lock; never
    /// waits). Once `true`, it stays `true`.
    pub fn has_elapsed(&self, c: Cookie) -> bool {
        self.horizon() > c.0
    }

    /// Blocks until `c` has elapsed (spin, then yield, then sleep in growing steps).
    pub(crate) fn wait_for(&self, c: Cookie) {
        let mut backoff = Backoff::default();
        while !self.has_elapsed(c) {
            backoff.snooze();
        }
    }

    /// Blocks until a full grace period has elapsed, then runs the shared batches it
    /// allowed ([`try_reclaim`](Self::try_reclaim)). A batch another thread took first is
    /// destroyed by that thread, possibly after this returns.
    ///
    /// Call it from a thread with no online participant of this collector: an online
    /// participant of the calling thread cannot pass a quiescent state while the thread
    /// waits here, so the call would never return (deadlock). A participant uses
    /// [`Participant::synchronize`], which goes offline while it waits.
    ///
    /// # Panics
    /// When the calling thread holds an online participant of this collector (the wait
    /// could never end), with a message naming it; and as [`try_reclaim`](Self::try_reclaim).
    ///
    /// ```should_panic
    /// let collector = tern_quiesce::Collector::new();
    /// let _me = collector.register_named("driver");
    /// collector.synchronize(); // panics: would wait for `driver`, which is this thread
    /// ```
    pub fn synchronize(&self) {
        if let Some(name) = self.online_on_this_thread(None) {
            self_deadlock(&name);
        }
        let c = self.cookie();
        self.wait_for(c);
        self.try_reclaim();
    }

    /// The name of an online participant registered by the calling thread, other than
    /// `except`, if there is one: a wait for a grace period on this thread would never end.
    pub(crate) fn online_on_this_thread(&self, except: Option<&Arc<Slot>>) -> Option<String> {
        let me = sync::current_thread_id();
        let registry = sync::lock(&self.registry);
        registry
            .iter()
            .filter(|s| except.is_none_or(|e| !Arc::ptr_eq(s, e)))
            // Relaxed: an online participant of this thread cannot change state while this
            // thread runs here; others' states do not matter (their thread differs).
            .find(|s| s.thread == me && s.announced.load(Relaxed) != 0)
            .map(|s| s.name.to_string())
    }

    /// Pass-boundary reclamation: destroys everything retired so far, at once, without
    /// atomics or locks, and returns what it freed.
    ///
    /// `&mut self` is the proof that nobody reads: every [`Participant`] borrows the
    /// collector, so none is alive now, and each handed its batches to the shared list
    /// when it was dropped. A compiler pass driver calls this after its workers joined.
    ///
    /// ```compile_fail
    /// let mut collector = tern_quiesce::Collector::new();
    /// let p = collector.register();
    /// collector.checkpoint(); // error: `p` still borrows the collector
    /// drop(p);
    /// ```
    ///
    /// A participant leaked with `mem::forget` stays registered (its batches leak with it,
    /// safely); it can hold no reference any more, so `checkpoint` ignores it.
    ///
    /// The batch vectors it empties (8 bytes per retired box) are kept for the next
    /// pass's participants, up to as many as it ran (a smaller pass later lets the pool
    /// shrink by halves); dropping the collector frees them. A session that retires as
    /// much in each pass allocates and frees no bookkeeping after the first.
    ///
    /// # Panics
    /// As [`try_reclaim`](Self::try_reclaim): every resource is destroyed, then the first
    /// destructor panic is resumed.
    pub fn checkpoint(&mut self) -> Reclaimed {
        let mut batches = take_list(sync::get_mut(&mut self.shared));
        sync::set_mut_usize(&mut self.shared_batches, 0);
        sync::set_mut_u64(&mut self.shared_bytes, 0);
        let mut out = RunOutcome::default();
        for b in &mut batches {
            out.run(b);
        }
        // Keep the emptied vectors, after every object was freed. Freeing them instead,
        // interleaved with the objects, made glibc merge the freed objects' fast-bin chunks
        // (`malloc_consolidate`) once per vector freed next to an already merged region
        // (with the former 1 KiB vectors callgrind counted 2,156 merges for the 6,250
        // vectors of two checkpoints of 200,000 boxes), and the next pass's seals allocated
        // them again.
        let spares = sync::get_mut(&mut self.spares);
        spares.cap = (spares.cap / 2).max(batches.len());
        let room = spares.cap.saturating_sub(spares.words.len());
        spares
            .words
            .extend(batches.into_iter().take(room).map(|b| b.words));
        spares.words.truncate(spares.cap);
        let kept = spares.words.len();
        sync::set_mut_usize(&mut self.spare_count, kept);
        self.counters.reclaimed_items.add_mut(out.items);
        self.counters.reclaimed_bytes.add_mut(out.bytes);
        let done = Reclaimed {
            items: out.items,
            bytes: out.bytes,
        };
        out.resume();
        done
    }

    /// A snapshot of the counters and of the participant holding grace periods back.
    pub fn stats(&self) -> Stats {
        let c = &self.counters;
        // Relaxed: a diagnostic snapshot of the period, compared with announcements below
        // only to name the participant that holds grace periods back.
        let period = self.period.0.load(Relaxed);
        let now = self.now_nanos();
        let registry = sync::lock(&self.registry);
        // Under the registry lock, so that an unregistering participant's counts are seen
        // exactly once (see `unregister`).
        let mut totals = [
            c.retired_items.get(),
            c.retired_bytes.get(),
            c.reclaimed_items.get(),
            c.reclaimed_bytes.get(),
        ];
        for slot in registry.iter() {
            for (t, v) in totals.iter_mut().zip(slot.counts.load()) {
                *t += v;
            }
        }
        let [
            retired_items,
            retired_bytes,
            reclaimed_items,
            reclaimed_bytes,
        ] = totals;
        let mut online = 0;
        let mut oldest: Option<(u64, u64, &Slot)> = None;
        for slot in registry.iter() {
            // Relaxed: reporting only.
            let a = slot.announced.load(Relaxed);
            if a == 0 {
                continue;
            }
            online += 1;
            // Relaxed: reporting only.
            let when = slot.last_quiescent.load(Relaxed);
            if a < period && oldest.is_none_or(|(oa, ow, _)| (a, when) < (oa, ow)) {
                oldest = Some((a, when, slot));
            }
        }
        let oldest_holder = oldest.map(|(_, when, slot)| {
            (
                slot.name.to_string(),
                Duration::from_nanos(now.saturating_sub(when)),
            )
        });
        let participants = registry.len();
        drop(registry);
        let grace_periods_completed = c.completed.get();
        Stats {
            retired_items,
            retired_bytes,
            reclaimed_items,
            reclaimed_bytes,
            pending_items: retired_items.saturating_sub(reclaimed_items),
            pending_bytes: retired_bytes.saturating_sub(reclaimed_bytes),
            grace_periods_completed,
            period,
            participants,
            online,
            oldest_holder,
        }
    }

    /// The global period now (`Relaxed`; for diagnostics and tests).
    pub fn period(&self) -> u64 {
        // Relaxed: a diagnostic snapshot.
        self.period.0.load(Relaxed)
    }

    /// The batch size this collector's participants seal at.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }
}

/// The panic of a wait that could never end.
#[cold]
#[track_caller]
pub(crate) fn self_deadlock(holder: &str) -> ! {
    panic!(
        "tern-quiesce: waiting for a grace period on this thread would never end: participant \
         `{holder}` of the same collector is online on this thread and cannot pass a quiescent \
         state while it waits (drop it or take it offline first)"
    )
}

/// Takes every batch of the shared list into a vector allocated here, and frees the list's
/// own buffer before any batch runs.
///
/// The buffer was allocated by the threads that handed batches over (48 bytes per batch:
/// 750 KiB after 1 M boxes), in their allocator arena. Freed after the batches ran, with
/// glibc, it coalesced with the just-freed objects of that arena and trimmed its heap, so
/// the next pass faulted all those pages in again; freed before, nothing is free around it.
fn take_list(list: &mut Vec<Batch>) -> Vec<Batch> {
    let mut batches = Vec::with_capacity(list.len());
    batches.append(list);
    // Frees the emptied buffer now (`append` keeps the capacity).
    *list = Vec::new();
    batches
}

impl Drop for Collector {
    /// Runs every pending shared batch (participants borrow the collector, so all are gone
    /// and have handed their batches over). A destructor panic is resumed after all ran,
    /// unless the thread is already panicking (then it is dropped: a second panic would
    /// abort).
    fn drop(&mut self) {
        let batches = take_list(sync::get_mut(&mut self.shared));
        let mut out = RunOutcome::default();
        for mut b in batches {
            out.run(&mut b);
        }
        if std::thread::panicking() {
            // Dropping the payload could panic again, and a panic while unwinding aborts.
            if let Some(p) = out.panic.take() {
                batch::discard(p);
            }
        } else {
            out.resume();
        }
    }
}

impl fmt::Debug for Collector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("period", &self.period())
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    fn spares(c: &Collector) -> usize {
        // Relaxed: read on the only thread that uses the collector.
        c.spare_count.load(Relaxed)
    }

    /// The pool of batch vectors: filled by `checkpoint` up to the batches it ran, taken by
    /// sealing participants, given back by dropped ones up to its cap, and shrunk by halves
    /// after a smaller pass.
    #[test]
    fn batch_vectors_go_round_through_the_pool() {
        let mut c = Collector::with_batch_size(4);
        {
            let mut p = c.register();
            for i in 0..40u64 {
                p.retire(Box::new(i));
            }
        }
        assert_eq!(spares(&c), 0, "nothing kept before a checkpoint");
        assert_eq!(c.checkpoint().items, 40);
        assert_eq!(spares(&c), 10, "one per batch run");
        {
            let mut p = c.register();
            for i in 0..8u64 {
                p.retire(Box::new(i));
            }
            // Two seals: the first took all ten (at most `SPARE_REFILL`) into `p`.
            assert_eq!(spares(&c), 0);
        }
        // `p` gave back the eight it did not use and its emptied open vector.
        assert_eq!(spares(&c), 9);
        assert_eq!(c.checkpoint().items, 8);
        assert_eq!(spares(&c), 5, "a pass of two batches halves the cap of ten");
        assert_eq!(c.stats().pending_items, 0);
    }
}
