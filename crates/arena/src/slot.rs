//! One thread's arena: the raw core the safe [`ArenaSet`](crate::ArenaSet) is built on.
//!
//! A [`Slot`] holds a `bumpalo::Bump`, which is `!Sync`: its bump pointer lives in `Cell`s, so
//! two threads allocating in it at once would race. The whole crate rests on one rule:
//!
//! > **Owner rule.** A slot's `bump`, `start`, `last_window`, `scratch` and `scratch_busy` are
//! > touched only by the slot's owner thread, and its atomics (`ptr`, `bias`, `seq`,
//! > `capacity`) written only by it, or by code with exclusive access to the whole arena set.
//!
//! [`OwnedSlot`] is the proof of the first half: it can only be made by
//! [`OwnedSlot::new`], whose contract is the owner rule, and it is `!Send`, so it stays on the
//! thread that made it. Every safety comment on the allocation path cites it instead of
//! repeating the argument.
//!
//! # Windows
//!
//! The set's allocation methods do not call the `Bump` per allocation. The owner reserves a
//! *window* from it (up to [`WINDOW_MAX`] bytes, a plain bumpalo allocation) and bumps down
//! through the window itself, with the pointer kept in the slot: one load, a subtraction, a
//! mask, a comparison and one store, a little less than bumpalo's own path (which first loads
//! its current chunk's footer). The same pointer is the statistic: `used = bias - ptr`, where
//! `bias` is the bytes used before the window plus the window's top address, so counting costs
//! nothing per allocation. Other threads read `bias` and `ptr` under a sequence lock that only
//! the window switch (the cold path) writes. Requests above [`DIRECT_MIN`] go to the `Bump`
//! directly. The `Bump` stays usable for raw allocations (`ArenaSet::local`): windows are
//! ordinary allocations in it.

use std::alloc::Layout;
use std::cell::{Cell, UnsafeCell};
use std::marker::PhantomData;
use std::ptr;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering, fence};

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

/// Most bytes one window reserves from the `Bump`. Windows start at [`WINDOW_MIN`] and
/// double up to this, so a set that allocates a little keeps little.
pub(crate) const WINDOW_MAX: usize = 64 * 1024;
/// The first window's size.
const WINDOW_MIN: usize = 256;
/// Window tops are aligned to this, so allocations of one alignment up to 16 bytes pack
/// without padding.
const WINDOW_ALIGN: usize = 16;
/// Requests that need more than this many bytes bypass the window and are served by the
/// `Bump` itself (a window is not worth reserving for them).
pub(crate) const DIRECT_MIN: usize = WINDOW_MAX / 4;

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
/// a line; `repr(C)` keeps the two hot fields (`ptr`, `start`) together at the front.
#[repr(C, align(128))]
pub(crate) struct Slot {
    /// The allocation pointer of the current window: allocations go down from the window's
    /// top towards `start`. Null when there is no window. Written only by the owner, with
    /// plain Relaxed stores (one writer needs no read-modify-write); other threads read it
    /// for `used` (see `Slot::used`).
    ptr: AtomicPtr<u8>,
    /// Owner rule. The current window's lowest address; 0 when there is none. Invariant: `ptr`
    /// is null exactly when `start` is 0, and otherwise `0 < start <= ptr.addr()`.
    start: Cell<usize>,
    /// Bytes used before the current window plus the window's top address (or just the bytes
    /// used, with no window), so that `used = bias - ptr.addr()`. Written by the owner inside
    /// the `seq` write section.
    bias: AtomicUsize,
    /// Sequence lock around `bias` and `ptr`: odd while the owner switches windows. Written
    /// only by the owner; readers retry while it is odd or changed under them.
    seq: AtomicUsize,
    /// `Bump::allocated_bytes()`, mirrored here because the `Bump` itself must not be read by
    /// other threads; refreshed at every window switch (the only time the set's methods can
    /// make the `Bump` take a chunk) and at reset. Written only by the owner.
    capacity: AtomicUsize,
    /// Owner rule. Size of the last window reserved (the next one may double it).
    last_window: Cell<usize>,
    /// Owner rule: only the owner (or `&mut` to the set) touches it.
    bump: UnsafeCell<Bump>,
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
            ptr: AtomicPtr::new(ptr::null_mut()),
            start: Cell::new(0),
            bias: AtomicUsize::new(0),
            seq: AtomicUsize::new(0),
            capacity: AtomicUsize::new(capacity),
            last_window: Cell::new(0),
            bump: UnsafeCell::new(bump),
            scratch: UnsafeCell::new(ScratchBuf::new()),
            scratch_busy: Cell::new(false),
            role,
            label,
        }
    }

    /// Bytes taken by the set's allocation methods since the last reset; any thread.
    ///
    /// A consistent snapshot of `bias` and `ptr` (a sequence-lock read: the owner writes both
    /// only between two increments of `seq`). After the owner's work was joined (e.g.
    /// `pool.install` returned), the join's own synchronisation makes it exact.
    pub(crate) fn used(&self) -> usize {
        loop {
            // Acquire: pairs with the Release store that ends a window switch, so the loads
            // below see that switch's `bias` and `ptr` (or later values).
            let before = self.seq.load(Ordering::Acquire);
            if before.is_multiple_of(2) {
                // Relaxed (both): validated by the fence and the re-read of `seq` below.
                let bias = self.bias.load(Ordering::Relaxed);
                let ptr = self.ptr.load(Ordering::Relaxed);
                // Acquire fence: if either load read a value the owner stored after the
                // Release fence of a later switch, that fence synchronises with this one, so
                // the re-read of `seq` below sees that switch's odd value (or later).
                fence(Ordering::Acquire);
                // Relaxed: ordered after the loads above by the Acquire fence.
                if self.seq.load(Ordering::Relaxed) == before {
                    return bias.wrapping_sub(ptr.addr());
                }
            }
            std::hint::spin_loop();
        }
    }

    /// Snapshot of the capacity; any thread.
    pub(crate) fn capacity(&self) -> usize {
        // Relaxed: a statistic; pairs with nothing. After the owner's work was joined, the
        // join's own synchronisation makes it exact.
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
        // No window: the next allocation reserves one from the emptied `Bump`.
        self.start.set(0);
        // Relaxed (all three): the caller has exclusive access; the stores only keep the
        // mirrors equal to the arena for later `stats()` readers, and the window state empty.
        self.ptr.store(ptr::null_mut(), Ordering::Relaxed);
        self.bias.store(0, Ordering::Relaxed);
        self.capacity
            .store(bump.allocated_bytes(), Ordering::Relaxed);
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
    ///
    /// The fast path bumps down through the current window (see the module docs); the
    /// returned block is fresh: no earlier allocation overlaps it, since the pointer only
    /// moves down within a window and windows are disjoint allocations of the `Bump`.
    #[inline]
    pub(crate) fn alloc(self, layout: Layout) -> Result<NonNull<u8>, Refusal> {
        debug_assert!(layout.size() > 0);
        let slot = self.slot;
        // Relaxed: the owner is the only writer of `ptr`, so it reads its own last store.
        let ptr = slot.ptr.load(Ordering::Relaxed);
        if let Some(addr) = ptr.addr().checked_sub(layout.size()) {
            let addr = addr & !(layout.align() - 1);
            if addr >= slot.start.get() {
                let new = ptr.with_addr(addr);
                // Relaxed: publishes only the pointer itself (`used = bias - ptr`) to
                // `Slot::used` readers, which validate it with the sequence lock.
                slot.ptr.store(new, Ordering::Relaxed);
                // SAFETY: a window exists (no window means `ptr` null and `start` 0, and the
                // subtraction from 0 failed above), so `addr >= start > 0`: `new` is not null.
                return Ok(unsafe { NonNull::new_unchecked(new) });
            }
        }
        self.alloc_slow(layout)
    }

    /// No room in the current window: serve a large request from the `Bump` directly, or
    /// reserve a new window and allocate from it. Refreshes the capacity mirror.
    #[cold]
    #[inline(never)]
    fn alloc_slow(self, layout: Layout) -> Result<NonNull<u8>, Refusal> {
        let refusal = Refusal {
            size: layout.size(),
            align: layout.align(),
        };
        let slot = self.slot;
        let bump = self.bump();
        // Room a request needs in a window whatever the window's alignment.
        let need = layout
            .size()
            .checked_add(layout.align() - 1)
            .ok_or(refusal)?;
        if need <= DIRECT_MIN {
            let target = need.max((slot.last_window.get() * 2).clamp(WINDOW_MIN, WINDOW_MAX));
            let want = target.max(need + WINDOW_ALIGN - 1);
            // Take what is left of the `Bump`'s chunk when that is enough (no new chunk),
            // else ask for `want`, which makes the `Bump` take a new chunk.
            let left = bump.chunk_capacity();
            let size = if left >= need + WINDOW_ALIGN - 1 {
                left.min(want)
            } else {
                want
            };
            let block = Layout::from_size_align(size, 1).map_err(|_| refusal)?;
            if let Ok(block) = bump.try_alloc_layout(block) {
                slot.last_window.set(size);
                return Ok(self.open_window(block, size, layout));
            }
            // A whole window was refused (the limit, or the allocator): try the request alone.
        }
        let p = bump.try_alloc_layout(layout).map_err(|_| refusal)?;
        let used = self.used_here();
        // Relaxed: the owner is the only writer of `ptr`.
        let ptr = slot.ptr.load(Ordering::Relaxed);
        // The window is unchanged; the request counts in `bias`.
        self.publish(
            used.wrapping_add(layout.size()).wrapping_add(ptr.addr()),
            ptr,
        );
        self.refresh_capacity();
        Ok(p)
    }

    /// Makes the `size` bytes at `block` the current window (its top aligned down to
    /// [`WINDOW_ALIGN`]) and allocates `layout` from it, which must fit: `size` is at least
    /// `layout.size() + layout.align() - 1 + WINDOW_ALIGN - 1`.
    fn open_window(self, block: NonNull<u8>, size: usize, layout: Layout) -> NonNull<u8> {
        let used = self.used_here();
        let base = block.as_ptr();
        let top = base.wrapping_add(size);
        let top = top.with_addr(top.addr() & !(WINDOW_ALIGN - 1));
        let addr = (top.addr() - layout.size()) & !(layout.align() - 1);
        assert!(addr >= base.addr(), "the window holds the request");
        self.slot.start.set(base.addr());
        self.publish(used.wrapping_add(top.addr()), top.with_addr(addr));
        self.refresh_capacity();
        NonNull::new(top.with_addr(addr)).expect("inside a window, above its non-null base")
    }

    /// `used` as the owner sees it (no other thread writes these fields).
    fn used_here(self) -> usize {
        let slot = self.slot;
        // Relaxed (both): the owner reads its own last stores.
        let bias = slot.bias.load(Ordering::Relaxed);
        let ptr = slot.ptr.load(Ordering::Relaxed);
        bias.wrapping_sub(ptr.addr())
    }

    /// Stores `bias` and `ptr` inside a sequence-lock write section, so that readers of
    /// `Slot::used` never combine one window's `bias` with another's `ptr`.
    fn publish(self, bias: usize, ptr: *mut u8) {
        let slot = self.slot;
        // Relaxed: the owner is the only writer of `seq`, so it reads its own last store.
        let seq = slot.seq.load(Ordering::Relaxed);
        // Relaxed: made visible before the stores below by the Release fence.
        slot.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        // Release fence: a reader that loads `bias`, or any `ptr` stored from here on (this
        // section's or a later fast path's), synchronises through its Acquire fence with
        // this one, and then sees `seq` odd or moved on, so it retries.
        fence(Ordering::Release);
        // Relaxed (both): ordered by the fences and the Release store below.
        slot.bias.store(bias, Ordering::Relaxed);
        slot.ptr.store(ptr, Ordering::Relaxed);
        // Release: a reader that loads this even value (Acquire) sees the two stores above.
        slot.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    fn refresh_capacity(self) {
        // Relaxed store: publishes only the number itself; pairs with the Relaxed load in
        // `Slot::capacity`.
        self.slot
            .capacity
            .store(self.bump().allocated_bytes(), Ordering::Relaxed);
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
