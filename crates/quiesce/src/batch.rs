//! Retired entries, the batches that carry them, and running them under the panic policy.
//!
//! A batch stores its entries back to back in pointer-sized [`Word`]s. An entry starts with
//! a head word, the type-erased function that consumes it, followed by its payload words.
//!
//! Retiring a `Box<T>` through a participant costs one word: boxes of the same type retired
//! in a row form one *run* entry (head, count, then one word per box's pointer), which the
//! reclaiming thread consumes in a tight loop with the type's destructor called directly.
//! Every byte of bookkeeping is written at retire and read back at reclaim, so its size
//! shows: with four-word entries, retiring 1 M 16-byte boxes and checkpointing took about
//! 70 ns per object against about 40 ns for keeping the boxes in a `Vec` and dropping them
//! (five times the page faults); two-word entries still wrote twice what the `Vec` does. A
//! run is as dense as the `Vec` of boxes (figures in `benches/RESULTS.md`, issue 10). Boxes
//! of alternating types cost two words each, as single-box entries.
//!
//! A box retired through the collector is a two-word entry (its function and pointer). A
//! small resource `R` with its `fn(R)` (up to three words together) and a raw pointer with
//! its destructor are stored inline (three or four words); a larger `R` is boxed once
//! (together with its drop function) and takes two words. So retiring never allocates per
//! object except for resources wider than two words.

use std::any::{Any, TypeId};
use std::mem::{MaybeUninit, align_of, size_of};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// One pointer-sized word of a batch, kept as `MaybeUninit` so that moving words copies the
/// bytes (and their provenance) untouched.
#[derive(Clone, Copy)]
#[repr(transparent)]
pub(crate) struct Word(MaybeUninit<*mut ()>);

// SAFETY: words carry entries, retired resources in transit to the thread that will destroy
// them. Every entry constructor requires the resource to be `Send` (`Box<T: Send>`,
// `R: Send`) or, for `raw`, makes "the drop function may be called from any thread" part of
// its contract; function pointers and counts are plain data. So moving words to another
// thread is sound.
unsafe impl Send for Word {}

impl Word {
    const UNINIT: Word = Word(MaybeUninit::uninit());

    /// A word holding `p` (with its provenance).
    #[inline]
    fn ptr<T>(p: *mut T) -> Self {
        Word(MaybeUninit::new(p.cast()))
    }

    /// A word holding the function `run`.
    #[inline]
    fn run(run: RunFn) -> Self {
        let mut w = Word::UNINIT;
        // SAFETY: a word is pointer-sized and pointer-aligned, as is a function pointer.
        unsafe { (&raw mut w).cast::<RunFn>().write(run) };
        w
    }

    /// A word holding the integer `n` (no provenance).
    #[inline]
    fn count(n: usize) -> Self {
        Word(MaybeUninit::new(std::ptr::without_provenance_mut(n)))
    }
}

/// Where a reclamation run stands in a batch's words.
#[derive(Default)]
pub(crate) struct Cursor {
    /// The index of the head word of the entry being consumed.
    at: usize,
    /// How many parts (boxes of a run) of that entry were started; 0 for other entries.
    part: usize,
}

/// Consumes (the rest of) the entry whose head is at `head`.
///
/// Every such function is sound to call if and only if:
/// - `head` points to the head word of an entry written by the constructor that chose
///   this function, followed by the entry's other words, and `cursor.at` is its index;
/// - of that entry, exactly the parts before `cursor.part` were consumed (none for an
///   entry that is not a run).
///
/// Each function moves the cursor *before* it runs a destructor, so that a panic from the
/// destructor leaves it on what comes next: past the part (`part + 1`) within a run, or
/// past the whole entry (`at` on the next head, `part` 0) for a single resource and after
/// a run's last part. Calling the function again at the same cursor resumes; nothing runs
/// twice.
type RunFn = unsafe fn(head: *mut Word, cursor: &mut Cursor);

/// The payload of an entry: the words after its head.
#[inline]
fn payload(head: *mut Word) -> *mut *mut () {
    head.cast::<*mut ()>().wrapping_add(1)
}

/// One retired resource in transit: its words, built by a constructor, before they are
/// copied into a batch.
pub(crate) struct Entry {
    words: [Word; 4],
    /// How many of `words` the entry uses (2 to 4).
    width: usize,
}

/// The words an inline `(R, fn(R))` takes after the head, when it fits (at most three,
/// pointer-aligned); `None` when it does not.
const fn inline_words<R>() -> Option<usize> {
    let size = size_of::<(R, fn(R))>();
    if size <= 3 * size_of::<*mut ()>() && align_of::<(R, fn(R))>() <= align_of::<*mut ()>() {
        Some(size.div_ceil(size_of::<*mut ()>()))
    } else {
        None
    }
}

impl Entry {
    /// An entry of `width` words whose head holds `run`; the caller writes the payload.
    #[inline]
    fn new(run: RunFn, width: usize) -> Self {
        debug_assert!((2..=4).contains(&width));
        let mut words = [Word::UNINIT; 4];
        words[0] = Word::run(run);
        Entry { words, width }
    }

    /// The payload of this entry (see [`payload`]).
    #[inline]
    fn payload(&mut self) -> *mut *mut () {
        payload(self.words.as_mut_ptr())
    }

    /// An entry that drops `b` (no allocation: the box's pointer is the payload), two words.
    #[inline]
    pub(crate) fn boxed<T: Send + 'static>(b: Box<T>) -> Self {
        let mut e = Entry::new(single_box::<T>, 2);
        // SAFETY: the payload's first word is within the entry, pointer-aligned.
        unsafe { e.payload().cast::<*mut T>().write(Box::into_raw(b)) };
        e
    }

    /// An entry that calls `drop(resource)`; `(resource, drop)` is stored inline (three or
    /// four words) when it fits in three words, else boxed once (two words).
    pub(crate) fn with<R: Send + 'static>(resource: R, drop: fn(R)) -> Self {
        /// # Safety
        /// `run_inline::<R>(head, cursor)` is sound if and only if:
        /// - `head` is the head of an entry written by `Entry::with::<R>` on its inline branch, not yet consumed, and
        ///   `cursor.at` its index (the [`RunFn`] contract).
        unsafe fn run_inline<R>(head: *mut Word, cursor: &mut Cursor) {
            cursor.at += 1 + inline_words::<R>().unwrap_or(0);
            // SAFETY: the contract says an `(R, fn(R))` was written at the payload (it
            // fits, see `inline_words`) and not consumed, so reading it moves it out once.
            let (r, f) = unsafe { payload(head).cast::<(R, fn(R))>().read() };
            f(r);
        }
        /// # Safety
        /// `run_boxed::<R>(head, cursor)` is sound if and only if:
        /// - `head` is the head of an entry written by `Entry::with::<R>` on its boxed branch, not yet consumed, and
        ///   `cursor.at` its index (the [`RunFn`] contract).
        unsafe fn run_boxed<R>(head: *mut Word, cursor: &mut Cursor) {
            cursor.at += 2;
            // SAFETY: the contract says the payload's first word is the `*mut (R, fn(R))`
            // that `Box::into_raw` returned and that it was not consumed: rebuilt once.
            let b = unsafe { Box::from_raw(payload(head).cast::<*mut (R, fn(R))>().read()) };
            let (r, f) = *b;
            f(r);
        }
        if let Some(words) = inline_words::<R>() {
            let mut e = Entry::new(run_inline::<R>, 1 + words);
            // SAFETY: `inline_words` checked size and alignment against the `words`
            // pointer-aligned payload words of this entry.
            unsafe { e.payload().cast::<(R, fn(R))>().write((resource, drop)) };
            e
        } else {
            let b = Box::into_raw(Box::new((resource, drop)));
            let mut e = Entry::new(run_boxed::<R>, 2);
            // SAFETY: the payload's first word is within the entry, pointer-aligned.
            unsafe { e.payload().cast::<*mut (R, fn(R))>().write(b) };
            e
        }
    }

    /// An entry that calls `drop(ptr)` (three words).
    ///
    /// # Safety
    /// `Entry::raw(ptr, drop)` is sound if and only if:
    /// - calling `drop(ptr)` once, from any thread, at any later time is sound (this is
    ///   what the public `retire_raw` contracts guarantee).
    pub(crate) unsafe fn raw(ptr: *mut (), drop: unsafe fn(*mut ())) -> Self {
        /// # Safety
        /// `run_raw(head, cursor)` is sound if and only if:
        /// - `head` is the head of an entry written by `Entry::raw`, not yet consumed, and
        ///   `cursor.at` its index (the [`RunFn`] contract).
        unsafe fn run_raw(head: *mut Word, cursor: &mut Cursor) {
            cursor.at += 3;
            // SAFETY: 1. the contract says a `(*mut (), unsafe fn(*mut ()))` pair was written
            // at the payload and not consumed. 2. `Entry::raw`'s contract makes one call of
            // `drop(ptr)` sound from this thread now.
            unsafe {
                let (ptr, drop) = payload(head).cast::<(*mut (), unsafe fn(*mut ()))>().read();
                drop(ptr);
            }
        }
        let mut e = Entry::new(run_raw, 3);
        // SAFETY: a pointer and a function pointer: two pointer-aligned words, the payload
        // of a three-word entry.
        unsafe {
            e.payload()
                .cast::<(*mut (), unsafe fn(*mut ()))>()
                .write((ptr, drop));
        };
        e
    }
}

/// Consumes a single box of `T` written by [`Entry::boxed`] or [`Open::push_box`]: the
/// head (this function), then the `*mut T` from `Box::into_raw`.
///
/// # Safety
/// `single_box::<T>(head, cursor)` is sound if and only if:
/// - `head` is the head of a single-box entry written by `Entry::boxed::<T>` or
///   `Open::push_box::<T>`, not yet consumed, and `cursor.at` its index (the [`RunFn`]
///   contract).
unsafe fn single_box<T>(head: *mut Word, cursor: &mut Cursor) {
    cursor.at += 2;
    // SAFETY: the contract says the payload's first word is the `*mut T` that
    // `Box::into_raw` returned and that it was not consumed, so rebuilding the box (and
    // dropping it) happens exactly once.
    drop(unsafe { Box::from_raw(payload(head).cast::<*mut T>().read()) });
}

/// Consumes the rest of a run of boxes of `T` written by [`Open::push_box`]: the head
/// (this function), the count `n`, then `n` words each holding a `*mut T` from
/// `Box::into_raw`. Drops them in retire order with `T`'s destructor called directly.
///
/// # Safety
/// `run_boxes::<T>(head, cursor)` is sound if and only if:
/// - `head` is the head of a run written by `Open::push_box::<T>`, `cursor.at` its index,
///   and exactly its first `cursor.part` boxes were consumed (the [`RunFn`] contract).
unsafe fn run_boxes<T>(head: *mut Word, cursor: &mut Cursor) {
    // SAFETY: the contract says the word after the head holds the run's count, written
    // by `Open::end_run` as a plain integer when the run ended (before the batch was taken).
    let n = unsafe { payload(head).read() }.addr();
    let boxes = head.wrapping_add(2).cast::<*mut T>();
    while cursor.part < n {
        let i = cursor.part;
        // Moved first: a panic below leaves the cursor on the next box.
        cursor.part = i + 1;
        // SAFETY: `i < n`, so word `2 + i` of the run holds a `*mut T` from
        // `Box::into_raw` (written by `push_box` or moved there by `start_run`), and it was not consumed: the cursor's
        // `part` only grows and was `i` (parts before it are the consumed ones). So the box
        // is rebuilt and dropped exactly once.
        drop(unsafe { Box::from_raw(boxes.wrapping_add(i).read()) });
    }
    cursor.at += 2 + n;
    cursor.part = 0;
}

/// A sealed group of entries, tagged with the global period read after it was sealed.
pub(crate) struct Batch {
    /// The value of the global period read after a `SeqCst` fence that follows every
    /// retire in this batch. The batch may run once every registered participant is
    /// offline or has announced a period greater than `tag`.
    pub(crate) tag: u64,
    /// The entries' words, back to back (see the module docs).
    pub(crate) words: Vec<Word>,
    /// How many resources `words` holds (a run counts each of its boxes).
    pub(crate) items: u64,
    /// The sum of the sizes the retirers declared for the entries.
    pub(crate) bytes: u64,
}

impl Batch {
    /// An empty batch whose words are `words` (emptied, capacity kept).
    pub(crate) fn with_words(mut words: Vec<Word>) -> Self {
        words.clear();
        Batch {
            tag: 0,
            words,
            items: 0,
            bytes: 0,
        }
    }

    /// Appends `entry` with its declared size.
    #[inline]
    #[expect(
        clippy::needless_pass_by_value,
        reason = "the entry owns a retired resource: taking it by value moves that ownership into the batch"
    )]
    pub(crate) fn push(&mut self, entry: Entry, bytes: u64) {
        self.words.extend_from_slice(&entry.words[..entry.width]);
        self.items += 1;
        self.bytes += bytes;
    }
}

/// A participant's open batch: a [`Batch`] and what its last entry is, if that is a box.
pub(crate) struct Open {
    pub(crate) batch: Batch,
    /// When the last entry of `batch` holds boxes (written by [`push_box`](Self::push_box)):
    /// their type and the index of its head. The entry is a single box (two words: head and
    /// pointer) until a second box of the type follows; it then becomes a run (head, count,
    /// pointers), whose count is written when the run ends (see [`end_run`](Self::end_run)).
    last: Option<(TypeId, usize)>,
}

impl Open {
    pub(crate) fn new(words: Vec<Word>) -> Self {
        Open {
            batch: Batch::with_words(words),
            last: None,
        }
    }

    /// Appends `entry`.
    #[inline]
    pub(crate) fn push(&mut self, entry: Entry, bytes: u64) {
        self.end_run();
        self.batch.push(entry, bytes);
    }

    /// Appends `b`: one word when the last entry holds boxes of `T` (it becomes, or already
    /// is, a run), else a two-word single-box entry.
    #[inline]
    pub(crate) fn push_box<T: Send + 'static>(&mut self, b: Box<T>) {
        let ptr = Word::ptr(Box::into_raw(b));
        match self.last {
            Some((ty, head)) if ty == TypeId::of::<T>() => {
                if self.batch.words.len() - head == 2 {
                    self.start_run(head, run_boxes::<T>);
                }
                self.batch.words.push(ptr);
            }
            _ => self.push_first(ptr, TypeId::of::<T>(), single_box::<T>),
        }
        self.batch.items += 1;
        self.batch.bytes += size_of::<T>() as u64;
    }

    /// Appends the single-box entry `[single, ptr]` for a box of type `ty` (the previous
    /// entry, if any, is something else). Out of line: the loop that retires many boxes of
    /// one type only comes here after each seal.
    #[inline(never)]
    fn push_first(&mut self, ptr: Word, ty: TypeId, single: RunFn) {
        self.end_run();
        let head = self.batch.words.len();
        self.batch
            .words
            .extend_from_slice(&[Word::run(single), ptr]);
        self.last = Some((ty, head));
    }

    /// Turns the single-box entry at `head` (the last entry) into a run of boxes consumed
    /// by `run`: `[single, p]` becomes `[run, count, p]` (the count is written at its end).
    #[cold]
    #[inline(never)]
    fn start_run(&mut self, head: usize, run: RunFn) {
        let words = &mut self.batch.words;
        let first = words[head + 1];
        words[head] = Word::run(run);
        words[head + 1] = Word::count(0);
        words.push(first);
    }

    /// Writes the count of the run that ends the batch, if its last entry is one, and
    /// forgets the last entry's type (what comes next starts a new entry).
    #[inline]
    fn end_run(&mut self) {
        if let Some((_, head)) = self.last.take() {
            let words = &mut self.batch.words;
            let boxes = words.len() - head - 2;
            if boxes > 0 {
                words[head + 1] = Word::count(boxes);
            }
        }
    }

    /// Takes the batch (sealing is the caller's), leaving an empty one on `words`.
    pub(crate) fn take(&mut self, words: Vec<Word>) -> Batch {
        self.end_run();
        std::mem::replace(&mut self.batch, Batch::with_words(words))
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
    /// is kept (the first one of this outcome; later ones are dropped) and the next
    /// resource is destroyed.
    pub(crate) fn run(&mut self, batch: &mut Batch) {
        self.items += std::mem::take(&mut batch.items);
        self.bytes += std::mem::take(&mut batch.bytes);
        let len = batch.words.len();
        // SAFETY: length 0 is within capacity, and the words are plain bytes (no `Drop`):
        // from here on they are owned by the loop below, which consumes each entry once.
        unsafe { batch.words.set_len(0) };
        self.run_words(batch.words.as_mut_ptr(), len);
    }

    /// One `catch_unwind` covers all entries on the normal path; after a panic a new one
    /// resumes at the cursor, which the entry's function moved past the destructor that
    /// panicked before running it (see [`RunFn`]), so each resource is destroyed exactly
    /// once.
    fn run_words(&mut self, base: *mut Word, len: usize) {
        let mut cursor = Cursor::default();
        loop {
            let result = catch_unwind(AssertUnwindSafe(|| {
                while cursor.at < len {
                    let head = base.wrapping_add(cursor.at);
                    // SAFETY: 1. `cursor.at < len` is the index of an entry's head (entries
                    // are back to back from 0 and each function moves the cursor onto the
                    // next head when it is done with its entry), so `head` is in bounds
                    // and its first word is the entry's function, written by its
                    // constructor. 2. Exactly the entry's parts before `cursor.part` were
                    // consumed (the functions' contract, and the cursor only moves
                    // forward), so calling that function meets `RunFn`'s contract.
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
