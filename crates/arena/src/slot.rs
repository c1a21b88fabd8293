//! One thread's arena: the raw core the safe [`ArenaSet`](crate::ArenaSet) is built on.
//!
//! A [`Slot`] holds a `bumpalo::Bump`, which is `!Sync`: its bump pointer lives in `Cell`s, so
//! two threads allocating in it at once would race. The whole crate rests on one rule:
//!
//! > **Owner rule.** A slot's `bump`, `scratch`, `scratch_busy` and `refresh_at` are touched
//! > only by the slot's owner thread, or by code with exclusive access to the whole arena set.
//!
//! [`OwnedSlot`] is the proof of the first half: it can only be made by
//! [`OwnedSlot::new`], whose contract is the owner rule, and it is `!Send`, so it stays on the
//! thread that made it. Every safety comment on the allocation path cites it instead of
//! repeating the argument.

use std::alloc::Layout;
use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

use bumpalo::Bump;
use smallvec::SmallVec;

/// Bytes per scratch chunk, and the largest alignment the reusable scratch serves.
pub(crate) const CHUNK: usize = 16;

/// An uninitialised, 16-byte aligned piece of scratch memory. `Copy` and valid for any bytes,
/// so a `SmallVec` of them can be given any length up to its capacity without initialising.
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub(crate) struct Chunk(std::mem::MaybeUninit<[u8; CHUNK]>);

/// The per-thread reusable buffer behind `alloc_from_iter`: 256 bytes inline, spilling to the
/// heap for longer runs. Its length is always 0 between uses.
pub(crate) type ScratchBuf = SmallVec<[Chunk; 16]>;

/// A scratch buffer that grew beyond this many bytes is freed after use instead of kept.
pub(crate) const SCRATCH_KEEP_BYTES: usize = 256 * 1024;

/// Why the one allocation path failed, before the full [`AllocError`](crate::AllocError) is
/// built: the requested
/// size (`usize::MAX` when it overflowed) and alignment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refusal {
    pub(crate) size: usize,
    pub(crate) align: usize,
}

impl Refusal {
    /// An element count whose total size overflows `isize`.
    pub(crate) fn overflow<T>() -> Self {
        Refusal {
            size: usize::MAX,
            align: std::mem::align_of::<T>(),
        }
    }
}

/// What a slot serves, for stats and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Worker `i` of the set's rayon pool (`ThreadPool::current_thread_index() == Some(i)`).
    Worker(usize),
    /// The thread that built the set.
    Driver,
    /// A thread added by `register_thread` or, in `ThreadPolicy::AnyThread` mode, on its
    /// first use.
    Extra,
}

/// One thread's arena and its counters. Cache-line padded (128 bytes: two 64-byte lines, as
/// the adjacent-line prefetcher of x86 pulls pairs) so that two workers' hot fields never share
/// a line.
#[repr(align(128))]
pub(crate) struct Slot {
    /// Owner rule: only the owner (or `&mut` to the set) touches it.
    bump: UnsafeCell<Bump>,
    /// Bytes handed out by this slot's allocation methods since the last reset. Written only by
    /// the owner, with a plain load + Relaxed store (no RMW): one writer needs no RMW, and
    /// other threads read a snapshot for stats.
    used: AtomicUsize,
    /// `Bump::allocated_bytes()`, mirrored here because the `Bump` itself must not be read by
    /// other threads; refreshed whenever a counted allocation may have taken a new chunk
    /// (see `OwnedSlot::note_alloc`) and at reset. Same writing discipline as `used`.
    capacity: AtomicUsize,
    /// Owner rule. The `used` value at which `capacity` must be refreshed next.
    refresh_at: Cell<usize>,
    /// Owner rule. Reused by `alloc_from_iter`; `scratch_busy` says it is lent out.
    scratch: UnsafeCell<ScratchBuf>,
    /// Owner rule. Set while a (possibly re-entrant) `alloc_from_iter` uses `scratch`.
    scratch_busy: Cell<bool>,
    pub(crate) role: Role,
    /// Set once at creation, then only read.
    pub(crate) label: String,
}

impl Slot {
    pub(crate) fn new(bump: Bump, role: Role, label: String) -> Self {
        let capacity = bump.allocated_bytes();
        Slot {
            bump: UnsafeCell::new(bump),
            used: AtomicUsize::new(0),
            capacity: AtomicUsize::new(capacity),
            refresh_at: Cell::new(0),
            scratch: UnsafeCell::new(ScratchBuf::new()),
            scratch_busy: Cell::new(false),
            role,
            label,
        }
    }

    /// Snapshot of the bytes used; any thread.
    pub(crate) fn used(&self) -> usize {
        // Relaxed: a statistic; pairs with nothing. After the owner's work was joined (e.g.
        // `pool.install` returned), the join's own synchronisation makes it exact.
        self.used.load(Ordering::Relaxed)
    }

    /// Snapshot of the capacity; any thread.
    pub(crate) fn capacity(&self) -> usize {
        // Relaxed: as in `used`.
        self.capacity.load(Ordering::Relaxed)
    }

    /// Resets the arena, keeping at most `max_retained` bytes of capacity (a larger retained
    /// chunk is replaced by `fresh()`), and frees a scratch buffer that grew past
    /// [`SCRATCH_KEEP_BYTES`].
    ///
    /// Takes `&self` (not `&mut`) so that extra slots, which live behind raw pointers that
    /// thread caches also hold, are never retagged as unique: only the `UnsafeCell` contents
    /// are mutated, exactly as on the allocation path.
    ///
    /// # Safety
    ///
    /// `slot.reset(..)` is sound if and only if:
    /// - the caller has exclusive access to the slot for the duration of the call: no
    ///   [`OwnedSlot`] for it and no reference obtained from one is alive.
    pub(crate) unsafe fn reset(&self, max_retained: usize, fresh: impl FnOnce() -> Bump) {
        // SAFETY: 1. the caller guarantees exclusive access, so no other reference to the bump
        // or scratch exists while these `&mut` live; 2. both cells are only reached through
        // `UnsafeCell::get`, which permits mutation behind `&Slot`.
        let (bump, scratch) = unsafe { (&mut *self.bump.get(), &mut *self.scratch.get()) };
        bump.reset();
        if bump.allocated_bytes() > max_retained {
            *bump = fresh();
        }
        // Relaxed (both): the caller has exclusive access; the stores only keep the mirrors
        // equal to the arena for later `stats()` readers.
        self.used.store(0, Ordering::Relaxed);
        self.capacity
            .store(bump.allocated_bytes(), Ordering::Relaxed);
        // The next counted allocation refreshes the capacity mirror.
        self.refresh_at.set(0);
        if scratch.capacity() * CHUNK > SCRATCH_KEEP_BYTES {
            *scratch = ScratchBuf::new();
        }
    }
}

/// Proof that the current thread owns `slot` (the owner rule). `!Send` and `!Sync`, so it
/// cannot leave the thread that made it, and neither can the `&Bump` it hands out (`Bump` is
/// `!Sync`, so `&Bump` is `!Send`).
#[derive(Clone, Copy)]
pub(crate) struct OwnedSlot<'a> {
    slot: &'a Slot,
    _not_send: PhantomData<*const ()>,
}

impl<'a> OwnedSlot<'a> {
    /// # Safety
    ///
    /// `OwnedSlot::new(slot)` is sound if and only if:
    /// - the calling thread is `slot`'s owner for all of `'a` (pool worker `i` for worker slot
    ///   `i`, the driver for the driver slot, the registered thread for an extra slot), and
    /// - nobody obtains `&mut` access to the slot's arena during `'a` (the set's `&mut self`
    ///   methods cannot run while `'a` borrows the set).
    #[inline]
    pub(crate) unsafe fn new(slot: &'a Slot) -> Self {
        OwnedSlot {
            slot,
            _not_send: PhantomData,
        }
    }

    pub(crate) fn slot(self) -> &'a Slot {
        self.slot
    }

    /// The owner's `Bump`.
    #[inline]
    pub(crate) fn bump(self) -> &'a Bump {
        // SAFETY: `OwnedSlot` exists only on the owner thread (its `new` contract; it is
        // `!Send`), and no `&mut Bump` can exist during `'a`, so a shared `&Bump` here never
        // aliases a mutable one nor is used by two threads (`&Bump` is `!Send`).
        unsafe { &*self.slot.bump.get() }
    }

    /// The one allocation path: every `alloc*`/`try_alloc*` method of the set ends here.
    /// `layout` has a non-zero size. The error is a small [`Refusal`]; the full
    /// `AllocError` is built off the hot path by `ArenaSet::refused` or `ArenaSet::fail`.
    #[inline]
    pub(crate) fn alloc(self, layout: Layout) -> Result<NonNull<u8>, Refusal> {
        match self.bump().try_alloc_layout(layout) {
            Ok(p) => {
                self.note_alloc(layout);
                Ok(p)
            }
            Err(_) => Err(Refusal {
                size: layout.size(),
                align: layout.align(),
            }),
        }
    }

    /// Records `layout.size()` more bytes handed out, and refreshes the capacity mirror when
    /// the arena may have taken a new chunk.
    ///
    /// Reading `allocated_bytes()` and storing it on every allocation costs about a quarter
    /// of a nanosecond, so the mirror is refreshed only when it can have changed. Bumpalo
    /// serves a request from the current chunk when the chunk's remaining space `R` covers
    /// `size + padding`, with `padding < align`. For `size >= align` (every typed allocation:
    /// a type's size is a multiple of its alignment) one request consumes less than
    /// `2 × size`; so while the sizes counted since the last refresh stay below `R / 2`,
    /// everything came from the current chunk and the capacity cannot have changed. The
    /// first allocation that reaches `R / 2`, and any with `align > size`, refreshes.
    #[inline]
    fn note_alloc(self, layout: Layout) {
        let slot = self.slot;
        // Relaxed load: the owner is the only writer of `used`, so it reads its own last
        // store; a load + store pair is enough (no RMW) with a single writer.
        let used = slot
            .used
            .load(Ordering::Relaxed)
            .wrapping_add(layout.size());
        // Relaxed store: publishes only the number itself to `stats()` readers; pairs with the
        // Relaxed load in `Slot::used`.
        slot.used.store(used, Ordering::Relaxed);
        if used >= slot.refresh_at.get() || layout.align() > layout.size() {
            self.refresh_capacity(used);
        }
    }

    #[cold]
    #[inline(never)]
    fn refresh_capacity(self, used: usize) {
        let bump = self.bump();
        // Relaxed store: as for `used`; pairs with the Relaxed load in `Slot::capacity`.
        self.slot
            .capacity
            .store(bump.allocated_bytes(), Ordering::Relaxed);
        self.slot
            .refresh_at
            .set(used.saturating_add(bump.chunk_capacity() / 2));
    }

    /// Lends out the reusable scratch buffer, or `None` while a re-entrant caller on this
    /// thread already holds it.
    #[inline]
    pub(crate) fn take_scratch(self) -> Option<ScratchLoan<'a>> {
        let slot = self.slot;
        if slot.scratch_busy.get() {
            return None;
        }
        slot.scratch_busy.set(true);
        // SAFETY: 1. owner thread only (`OwnedSlot`), so no other thread touches `scratch`;
        // 2. `scratch_busy` was false and is now true until this loan drops, so no other
        // `&mut` to the buffer exists on this thread either (re-entrant calls get `None`);
        // 3. `reset` needs `&mut` to the set, impossible while `'a` borrows it.
        let buf = unsafe { &mut *slot.scratch.get() };
        Some(ScratchLoan {
            buf,
            busy: &slot.scratch_busy,
        })
    }
}

/// The slot's scratch buffer, lent to one `alloc_from_iter` call. On drop (also during
/// unwinding) it empties the buffer, frees it if it grew past [`SCRATCH_KEEP_BYTES`], and
/// marks it free again.
pub(crate) struct ScratchLoan<'a> {
    pub(crate) buf: &'a mut ScratchBuf,
    busy: &'a Cell<bool>,
}

impl Drop for ScratchLoan<'_> {
    fn drop(&mut self) {
        // SAFETY: length 0 is always valid; the chunks are `Copy` and need no drop.
        unsafe { self.buf.set_len(0) };
        if self.buf.capacity() * CHUNK > SCRATCH_KEEP_BYTES {
            *self.buf = ScratchBuf::new();
        }
        self.busy.set(false);
    }
}
