//! Retired entries, the batches that carry them, and running them under the panic policy.
//!
//! An [`Entry`] is four words: three words of payload stored inline and one function
//! pointer that knows the payload's type. Retiring a `Box<T>` stores the box's pointer;
//! retiring a small resource `R` with its `fn(R)` stores both inline; a larger `R` is boxed
//! once (together with its drop function) and the box's pointer is stored. So retiring never
//! allocates per object except for resources wider than two words.

use std::any::Any;
use std::mem::{MaybeUninit, align_of, size_of};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The inline payload of an entry: three pointer-sized words, pointer-aligned, kept as
/// `MaybeUninit` so that moving an entry copies the bytes (and their provenance) untouched.
type Payload = MaybeUninit<[*mut (); 3]>;

/// One retired resource: an inline payload and the type-erased function that consumes it.
pub(crate) struct Entry {
    payload: Payload,
    /// Reads the payload as the type it was written with and destroys it.
    ///
    /// Called at most once per entry; the payload is logically moved out by the call.
    run: unsafe fn(*mut Payload),
}

// SAFETY: an entry is a retired resource in transit to the thread that will destroy it.
// Every constructor requires the resource to be `Send` (`Box<T: Send>`, `R: Send`) or, for
// `raw`, makes "the drop function may be called from any thread" part of its contract; the
// function pointer itself is plain data. So moving an entry to another thread is sound.
unsafe impl Send for Entry {}

/// Does `(R, fn(R))` fit the inline payload (size and alignment)?
const fn fits_inline<R>() -> bool {
    size_of::<(R, fn(R))>() <= size_of::<Payload>()
        && align_of::<(R, fn(R))>() <= align_of::<Payload>()
}

impl Entry {
    /// An entry that drops `b` (no allocation: the box's pointer is the payload).
    pub(crate) fn boxed<T: Send + 'static>(b: Box<T>) -> Self {
        /// # Safety
        /// `run_box::<T>(p)` is sound if and only if:
        /// - `p` points to a payload written by `Entry::boxed::<T>` and not yet consumed.
        unsafe fn run_box<T>(p: *mut Payload) {
            // SAFETY: the contract says the payload's first word is the `*mut T` that
            // `Box::into_raw` returned in `Entry::boxed::<T>` and that it was not consumed,
            // so rebuilding the box (and dropping it) happens exactly once.
            drop(unsafe { Box::from_raw(p.cast::<*mut T>().read()) });
        }
        let mut payload = Payload::uninit();
        // SAFETY: the payload is three pointer-aligned words, room for one `*mut T`.
        unsafe {
            payload
                .as_mut_ptr()
                .cast::<*mut T>()
                .write(Box::into_raw(b));
        };
        Entry {
            payload,
            run: run_box::<T>,
        }
    }

    /// An entry that calls `drop(resource)`; `resource` is stored inline when it fits in
    /// two words, else boxed once.
    pub(crate) fn with<R: Send + 'static>(resource: R, drop: fn(R)) -> Self {
        /// # Safety
        /// `run_inline::<R>(p)` is sound if and only if:
        /// - `p` points to a payload written by `Entry::with::<R>` on its inline branch and
        ///   not yet consumed.
        unsafe fn run_inline<R>(p: *mut Payload) {
            // SAFETY: the contract says an `(R, fn(R))` was written at `p` (it fits, see
            // `fits_inline`) and not consumed, so reading it moves it out exactly once.
            let (r, f) = unsafe { p.cast::<(R, fn(R))>().read() };
            f(r);
        }
        /// # Safety
        /// `run_boxed::<R>(p)` is sound if and only if:
        /// - `p` points to a payload written by `Entry::with::<R>` on its boxed branch and
        ///   not yet consumed.
        unsafe fn run_boxed<R>(p: *mut Payload) {
            // SAFETY: the contract says the first word is the `*mut (R, fn(R))` that
            // `Box::into_raw` returned and that it was not consumed: rebuilt exactly once.
            let b = unsafe { Box::from_raw(p.cast::<*mut (R, fn(R))>().read()) };
            let (r, f) = *b;
            f(r);
        }
        let mut payload = Payload::uninit();
        if fits_inline::<R>() {
            // SAFETY: `fits_inline` checked size and alignment against the payload.
            unsafe {
                payload
                    .as_mut_ptr()
                    .cast::<(R, fn(R))>()
                    .write((resource, drop));
            };
            Entry {
                payload,
                run: run_inline::<R>,
            }
        } else {
            let b = Box::into_raw(Box::new((resource, drop)));
            // SAFETY: the payload is three pointer-aligned words, room for one pointer.
            unsafe { payload.as_mut_ptr().cast::<*mut (R, fn(R))>().write(b) };
            Entry {
                payload,
                run: run_boxed::<R>,
            }
        }
    }

    /// An entry that calls `drop(ptr)`.
    ///
    /// # Safety
    /// `Entry::raw(ptr, drop)` is sound if and only if:
    /// - calling `drop(ptr)` once, from any thread, at any later time is sound (this is
    ///   what the public `retire_raw` contracts guarantee).
    pub(crate) unsafe fn raw(ptr: *mut (), drop: unsafe fn(*mut ())) -> Self {
        /// # Safety
        /// `run_raw(p)` is sound if and only if:
        /// - `p` points to a payload written by `Entry::raw` and not yet consumed.
        unsafe fn run_raw(p: *mut Payload) {
            // SAFETY: 1. the contract says a `(*mut (), unsafe fn(*mut ()))` pair was written
            // at `p` and not consumed. 2. `Entry::raw`'s contract makes one call of
            // `drop(ptr)` sound from this thread now.
            unsafe {
                let (ptr, drop) = p.cast::<(*mut (), unsafe fn(*mut ()))>().read();
                drop(ptr);
            }
        }
        let mut payload = Payload::uninit();
        // SAFETY: a pointer and a function pointer: two pointer-aligned words, fits in three.
        unsafe {
            payload
                .as_mut_ptr()
                .cast::<(*mut (), unsafe fn(*mut ()))>()
                .write((ptr, drop));
        };
        Entry {
            payload,
            run: run_raw,
        }
    }

    /// Destroys the resource (a panic from its destructor propagates).
    fn run(mut self) {
        let run = self.run;
        let payload: *mut Payload = &raw mut self.payload;
        // SAFETY: `self` was built by one of the constructors above with the matching `run`
        // function, and it is consumed here (taken by value, no `Drop`), so the payload is
        // read exactly once.
        unsafe { run(payload) };
    }
}

/// A sealed group of entries, tagged with the global period read after it was sealed.
pub(crate) struct Batch {
    /// The value of the global period read after a `SeqCst` fence that follows every
    /// retire in this batch. The batch may run once every registered participant is
    /// offline or has announced a period greater than `tag`.
    pub(crate) tag: u64,
    pub(crate) entries: Vec<Entry>,
    /// The sum of the sizes the retirers declared for the entries.
    pub(crate) bytes: u64,
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
    /// Runs every entry of `batch`, in retire order, and returns the emptied vector for
    /// reuse. A panicking destructor does not stop the batch: its panic is kept (the first
    /// one of this outcome; later ones are dropped) and the next entry runs.
    pub(crate) fn run(&mut self, mut batch: Batch) -> Vec<Entry> {
        self.items += batch.entries.len() as u64;
        self.bytes += batch.bytes;
        self.run_all(batch.entries.drain(..));
        batch.entries
    }

    /// One `catch_unwind` covers all entries on the normal path; after a panic a new one
    /// resumes with the entry after the one that panicked (the iterator already moved past
    /// it), so each entry runs exactly once.
    fn run_all(&mut self, mut entries: impl Iterator<Item = Entry>) {
        loop {
            let result = catch_unwind(AssertUnwindSafe(|| {
                for entry in &mut entries {
                    entry.run();
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
