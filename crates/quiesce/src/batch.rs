//! Retired entries, the batches that carry them, and running them under the panic policy.
//!
//! A batch stores its entries back to back in 16-byte [`Chunk`]s ("slots"). An entry
//! starts with a head: the type-erased function that consumes it and one payload word; a
//! wide entry adds one more slot of payload (so its payload is three contiguous words).
//!
//! Retiring a `Box<T>` takes one slot (the function and the box's pointer). A pass retires
//! millions of boxes and every byte of bookkeeping is written at retire and read back at
//! reclaim: with the former fixed four-word entries, retiring 1 M 16-byte boxes and
//! checkpointing took about 70 ns per object against about 40 ns for keeping the boxes in a
//! `Vec` and dropping them (five times the page faults); with two words it is level.
//!
//! A small resource `R` with its `fn(R)` (up to three words together) and a raw pointer with
//! its destructor are stored inline in two slots; a larger `R` is boxed once (together with
//! its drop function) and takes one slot. So retiring never allocates per object except for
//! resources wider than two words.

use std::any::Any;
use std::mem::{MaybeUninit, align_of, size_of};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Sixteen bytes of a batch, pointer-aligned, kept as `MaybeUninit` so that moving slots
/// copies the bytes (and their provenance) untouched.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Chunk(MaybeUninit<[*mut (); 2]>);

// SAFETY: chunks carry entries, retired resources in transit to the thread that will
// destroy them. Every entry constructor requires the resource to be `Send` (`Box<T: Send>`,
// `R: Send`) or, for `raw`, makes "the drop function may be called from any thread" part
// of its contract; function pointers are plain data. So moving chunks to another thread is
// sound.
unsafe impl Send for Chunk {}

/// Consumes the entry whose head is at `head`.
///
/// Every such function is sound to call if and only if:
/// - `head` points to the head slot of an entry written by the constructor that chose
///   this function, followed by the entry's other slots, none consumed yet;
/// - `*cursor` is the index of that head slot; the function first advances it past the
///   entry's slots (so that a panic from the destructor leaves it on the next entry).
type RunFn = unsafe fn(head: *mut Chunk, cursor: &mut usize);

/// The payload of an entry: three words from offset 8 of its head (the rest of the head,
/// then the whole second slot of a wide entry; only the first word for a narrow one).
#[inline]
fn payload(head: *mut Chunk) -> *mut *mut () {
    head.cast::<*mut ()>().wrapping_add(1)
}

/// One retired resource in transit: its slots, built by a constructor, before they are
/// copied into a batch.
pub(crate) struct Entry {
    slots: [Chunk; 2],
    /// How many of `slots` the entry uses (1 or 2).
    width: usize,
}

/// Does `(R, fn(R))` fit a wide entry's payload (three words, pointer-aligned)?
const fn fits_inline<R>() -> bool {
    size_of::<(R, fn(R))>() <= 3 * size_of::<*mut ()>()
        && align_of::<(R, fn(R))>() <= align_of::<*mut ()>()
}

impl Entry {
    /// An entry of `width` slots whose head holds `run`; the caller writes the payload.
    #[inline]
    fn new(run: RunFn, width: usize) -> Self {
        debug_assert!(width == 1 || width == 2);
        let mut slots = [Chunk(MaybeUninit::uninit()); 2];
        // SAFETY: a slot is two pointer-aligned words; the function pointer takes the first.
        unsafe { slots.as_mut_ptr().cast::<RunFn>().write(run) };
        Entry { slots, width }
    }

    /// The payload of this entry (see [`payload`]).
    #[inline]
    fn payload(&mut self) -> *mut *mut () {
        payload(self.slots.as_mut_ptr())
    }

    /// An entry that drops `b` (no allocation: the box's pointer is the payload), one slot.
    #[inline]
    pub(crate) fn boxed<T: Send + 'static>(b: Box<T>) -> Self {
        /// # Safety
        /// `run_box::<T>(head, cursor)` is sound if and only if:
        /// - `head` is the head of an entry written by `Entry::boxed::<T>`, not yet consumed, and
        ///   `*cursor` its index (the [`RunFn`] contract).
        unsafe fn run_box<T>(head: *mut Chunk, cursor: &mut usize) {
            *cursor += 1;
            // SAFETY: the contract says the payload's first word is the `*mut T` that
            // `Box::into_raw` returned in `Entry::boxed::<T>` and that it was not consumed,
            // so rebuilding the box (and dropping it) happens exactly once.
            drop(unsafe { Box::from_raw(payload(head).cast::<*mut T>().read()) });
        }
        let mut e = Entry::new(run_box::<T>, 1);
        // SAFETY: the payload's first word lies in the head slot, pointer-aligned.
        unsafe { e.payload().cast::<*mut T>().write(Box::into_raw(b)) };
        e
    }

    /// An entry that calls `drop(resource)`; `(resource, drop)` is stored inline (two
    /// slots) when it fits in three words, else boxed once (one slot).
    pub(crate) fn with<R: Send + 'static>(resource: R, drop: fn(R)) -> Self {
        /// # Safety
        /// `run_inline::<R>(head, cursor)` is sound if and only if:
        /// - `head` is the head of an entry written by `Entry::with::<R>` on its inline branch, not yet consumed, and
        ///   `*cursor` its index (the [`RunFn`] contract).
        unsafe fn run_inline<R>(head: *mut Chunk, cursor: &mut usize) {
            *cursor += 2;
            // SAFETY: the contract says an `(R, fn(R))` was written at the payload (it
            // fits, see `fits_inline`) and not consumed, so reading it moves it out once.
            let (r, f) = unsafe { payload(head).cast::<(R, fn(R))>().read() };
            f(r);
        }
        /// # Safety
        /// `run_boxed::<R>(head, cursor)` is sound if and only if:
        /// - `head` is the head of an entry written by `Entry::with::<R>` on its boxed branch, not yet consumed, and
        ///   `*cursor` its index (the [`RunFn`] contract).
        unsafe fn run_boxed<R>(head: *mut Chunk, cursor: &mut usize) {
            *cursor += 1;
            // SAFETY: the contract says the payload's first word is the `*mut (R, fn(R))`
            // that `Box::into_raw` returned and that it was not consumed: rebuilt once.
            let b = unsafe { Box::from_raw(payload(head).cast::<*mut (R, fn(R))>().read()) };
            let (r, f) = *b;
            f(r);
        }
        if fits_inline::<R>() {
            let mut e = Entry::new(run_inline::<R>, 2);
            // SAFETY: `fits_inline` checked size and alignment against the three
            // pointer-aligned payload words of a two-slot entry.
            unsafe { e.payload().cast::<(R, fn(R))>().write((resource, drop)) };
            e
        } else {
            let b = Box::into_raw(Box::new((resource, drop)));
            let mut e = Entry::new(run_boxed::<R>, 1);
            // SAFETY: the payload's first word lies in the head slot, pointer-aligned.
            unsafe { e.payload().cast::<*mut (R, fn(R))>().write(b) };
            e
        }
    }

    /// An entry that calls `drop(ptr)` (two slots).
    ///
    /// # Safety
    /// `Entry::raw(ptr, drop)` is sound if and only if:
    /// - calling `drop(ptr)` once, from any thread, at any later time is sound (this is
    ///   what the public `retire_raw` contracts guarantee).
    pub(crate) unsafe fn raw(ptr: *mut (), drop: unsafe fn(*mut ())) -> Self {
        /// # Safety
        /// `run_raw(head, cursor)` is sound if and only if:
        /// - `head` is the head of an entry written by `Entry::raw`, not yet consumed, and
        ///   `*cursor` its index (the [`RunFn`] contract).
        unsafe fn run_raw(head: *mut Chunk, cursor: &mut usize) {
            *cursor += 2;
            // SAFETY: 1. the contract says a `(*mut (), unsafe fn(*mut ()))` pair was written
            // at the payload and not consumed. 2. `Entry::raw`'s contract makes one call of
            // `drop(ptr)` sound from this thread now.
            unsafe {
                let (ptr, drop) = payload(head).cast::<(*mut (), unsafe fn(*mut ()))>().read();
                drop(ptr);
            }
        }
        let mut e = Entry::new(run_raw, 2);
        // SAFETY: a pointer and a function pointer: two pointer-aligned words, within the
        // three payload words of a two-slot entry.
        unsafe {
            e.payload()
                .cast::<(*mut (), unsafe fn(*mut ()))>()
                .write((ptr, drop));
        };
        e
    }
}

/// A sealed group of entries, tagged with the global period read after it was sealed.
pub(crate) struct Batch {
    /// The value of the global period read after a `SeqCst` fence that follows every
    /// retire in this batch. The batch may run once every registered participant is
    /// offline or has announced a period greater than `tag`.
    pub(crate) tag: u64,
    /// The entries' slots, back to back (see the module docs).
    pub(crate) slots: Vec<Chunk>,
    /// How many entries `slots` holds.
    pub(crate) items: u64,
    /// The sum of the sizes the retirers declared for the entries.
    pub(crate) bytes: u64,
}

impl Batch {
    /// Appends `entry` with its declared size.
    #[inline]
    #[expect(
        clippy::needless_pass_by_value,
        reason = "the entry owns a retired resource: taking it by value moves that ownership into the batch"
    )]
    pub(crate) fn push(&mut self, entry: Entry, bytes: u64) {
        // Not `extend_from_slice`: with the width known after inlining (1 for a box), one
        // `push` is a single 16-byte store.
        let Entry { slots, width } = entry;
        self.slots.push(slots[0]);
        if width == 2 {
            self.slots.push(slots[1]);
        }
        self.items += 1;
        self.bytes += bytes;
    }
}

/// Drops a panic payload that will not be resumed. A payload's own `Drop` may panic too; that
/// panic is caught here and its payload dropped in turn, so discarding never unwinds into the
/// loop that still has destructors to run. After a few such levels the last payload is
/// leaked instead: a `Drop` that panics with a payload like itself would loop forever.
pub(crate) fn discard(mut payload: Box<dyn Any + Send>) {
    const LEVELS: usize = 4;
    for _ in 0..LEVELS {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(next) => payload = next,
        }
    }
    std::mem::forget(payload);
}

/// What one reclamation run did, and the first destructor panic it caught.
#[derive(Default)]
pub(crate) struct RunOutcome {
    pub(crate) items: u64,
    pub(crate) bytes: u64,
    pub(crate) panic: Option<Box<dyn Any + Send>>,
}

impl RunOutcome {
    /// Runs every entry of `batch`, in retire order, leaving it empty (its vector's
    /// capacity kept for reuse). A panicking destructor does not stop the batch: its panic
    /// is kept (the first one of this outcome; later ones are dropped) and the next entry
    /// runs.
    pub(crate) fn run(&mut self, batch: &mut Batch) {
        self.items += std::mem::take(&mut batch.items);
        self.bytes += std::mem::take(&mut batch.bytes);
        let len = batch.slots.len();
        // SAFETY: length 0 is within capacity, and the slots are plain bytes (no `Drop`):
        // from here on they are owned by the loop below, which consumes each entry once.
        unsafe { batch.slots.set_len(0) };
        self.run_slots(batch.slots.as_mut_ptr(), len);
    }

    /// One `catch_unwind` covers all entries on the normal path; after a panic a new one
    /// resumes at the entry after the one that panicked (its function moved the cursor
    /// past it before running the destructor), so each entry runs exactly once.
    fn run_slots(&mut self, base: *mut Chunk, len: usize) {
        let mut cursor = 0;
        loop {
            let result = catch_unwind(AssertUnwindSafe(|| {
                while cursor < len {
                    let head = base.wrapping_add(cursor);
                    // SAFETY: 1. `cursor < len` is the index of an entry's head (entries
                    // are back to back from 0 and each function moves the cursor past its
                    // own slots), so `head` is in bounds and its first word is the entry's
                    // function, written by its constructor. 2. The entry was not consumed
                    // (the cursor only moves forward), so calling that function with
                    // `head` and the cursor meets `RunFn`'s contract.
                    unsafe {
                        let run = head.cast::<RunFn>().read();
                        run(head, &mut cursor);
                    }
                }
            }));
            match result {
                Ok(()) => return,
                Err(p) if self.panic.is_none() => self.panic = Some(p),
                Err(p) => discard(p),
            }
        }
    }

    /// Resumes the first caught panic, if any (after the counters were recorded).
    pub(crate) fn resume(self) {
        if let Some(p) = self.panic {
            std::panic::resume_unwind(p);
        }
    }
}
