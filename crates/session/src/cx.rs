//! [`TaskCx`]: what a pass body gets for each item.

use core::fmt;
use core::hash::Hash;
use core::marker::PhantomData;

use tern_arena::{LocalArena, Scratch};
use tern_intern::{CapacityError, Guarded, Interner, Reader, Symbol, ValueInterner, ValueReader};
use tern_quiesce::Participant;

/// A pass body's context for one item: the session's tables through an online participant
/// of the session's collector (so that tables outgrown now are freed as soon as every task
/// has passed a quiescent state), the worker's scratch arena, and who and what is running.
///
/// One `TaskCx` serves one task of a pass (a worker pulling items); the body borrows it for
/// one item at a time, and the session passes a quiescent state of its participant between
/// items. Everything borrowed from it lives for that item only (strings from
/// [`resolve`](Self::resolve), scratch memory, readers); data meant to survive the pass goes
/// to the session arenas ([`Session::arenas`](crate::Session::arenas)) or a
/// [`Guarded`] value interner, which the body captures by reference.
///
/// `TaskCx` is neither `Send` nor `Sync`: its participant stands for one thread's reads.
///
/// ```compile_fail,E0277
/// fn is_send<T: Send>() {}
/// is_send::<tern_session::TaskCx<'static>>();
/// ```
///
/// It cannot be shared with another rayon job:
///
/// ```compile_fail,E0277
/// let mut s = tern_session::Session::builder().threads(2).build().unwrap();
/// s.pass("p", 1, |cx, _| {
///     rayon::join(|| cx.intern("a"), || cx.intern("b"));
/// });
/// ```
///
/// and what it lends cannot outlive the item (nor leave the pass in its results):
///
/// ```compile_fail
/// let mut s = tern_session::Session::builder().threads(2).build().unwrap();
/// let kept: Vec<&str> = s.pass("p", 1, |cx, _| {
///     let sym = cx.intern("x");
///     cx.resolve(sym)
/// });
/// ```
pub struct TaskCx<'s> {
    pub(crate) participant: Participant<'s>,
    pub(crate) strings: &'s Interner,
    pub(crate) scratch: LocalArena<'s, Scratch>,
    pub(crate) worker: usize,
    pub(crate) item: usize,
    /// `!Send + !Sync` (the participant already is; stated here so it does not depend on it).
    pub(crate) _not_send: PhantomData<*mut ()>,
}

impl fmt::Debug for TaskCx<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskCx")
            .field("worker", &self.worker)
            .field("item", &self.item)
            .field("participant", &self.participant)
            .finish_non_exhaustive()
    }
}

impl<'s> TaskCx<'s> {
    /// The session interner's reader for this task.
    #[inline]
    pub fn strings(&self) -> Reader<'_, '_> {
        // SAFETY: `reader_unchecked`'s contract. 1. The participant belongs to the session's
        // collector, the one the interner was built on (`Session::pass` registers it there).
        // 2. During a pass the session is borrowed mutably, so the interner is reachable only
        // through task contexts: each `&self` call is made through this method while the body
        // borrows the context, whose participant is online and passes a quiescent state only
        // between items (the runner holds the context then), or through `&mut self` methods,
        // which end every borrow first. Threads the body starts cannot keep anything borrowed
        // from the context past the item (`TaskCx` is `!Sync`, what it lends is item-scoped,
        // and scoped threads are joined before the body returns). Tables retired during the
        // pass are all freed by the checkpoint that ends it, before the session is usable
        // again; between passes, plain calls keep outgrown tables private.
        unsafe { self.strings.reader_unchecked(&self.participant) }
    }

    /// The symbol for `s`, interning it if new.
    ///
    /// # Panics
    ///
    /// When a new string hits a limit of the interner (see [`try_intern`](Self::try_intern)).
    #[inline]
    pub fn intern(&self, s: &str) -> Symbol {
        self.strings().intern(s)
    }

    /// As [`intern`](Self::intern); a limit is an error.
    ///
    /// # Errors
    ///
    /// As [`Interner::try_intern`].
    #[inline]
    pub fn try_intern(&self, s: &str) -> Result<Symbol, CapacityError> {
        self.strings().try_intern(s)
    }

    /// The symbol for `s` if it was interned.
    #[inline]
    pub fn get(&self, s: &str) -> Option<Symbol> {
        self.strings.get(s)
    }

    /// The string of `sym`, for the rest of the item.
    ///
    /// # Panics
    ///
    /// If `sym` is not a symbol of the session's interner.
    #[inline]
    pub fn resolve(&self, sym: Symbol) -> &str {
        self.strings.resolve(sym)
    }

    /// The string of `sym`, or `None` for a symbol the interner never returned.
    #[inline]
    pub fn try_resolve(&self, sym: Symbol) -> Option<&str> {
        self.strings.try_resolve(sym)
    }

    /// A reader of a value interner built on the session's collector
    /// ([`Session::values`](crate::Session::values)): interned values live as long as the
    /// interner (`'g`), so results may keep them.
    ///
    /// # Panics
    ///
    /// If `values` was built on another collector than the session's.
    #[inline]
    pub fn values<'g, T: Hash + Eq + Send + Sync>(
        &self,
        values: &'g Guarded<ValueInterner<T>>,
    ) -> ValueReader<'g, '_, T> {
        values.reader(&self.participant)
    }

    /// This worker's scratch arena: memory for the item's temporary data, all released at
    /// the pass's checkpoint (slices come back `&mut`, to sort or edit in place).
    #[inline]
    pub fn scratch(&self) -> LocalArena<'_, Scratch> {
        self.scratch
    }

    /// The index of the pool worker running this task.
    pub fn worker(&self) -> usize {
        self.worker
    }

    /// The index of the item being run.
    pub fn item(&self) -> usize {
        self.item
    }

    /// The task's participant: to retire your own data to the session's collector (freed
    /// after a grace period), or to pass an extra quiescent state inside a long item (which
    /// needs `&mut`, so nothing borrowed from this context may be alive).
    pub fn participant(&mut self) -> &mut Participant<'s> {
        &mut self.participant
    }

    /// Runs `f` offline (blocking I/O, waiting on a lock or a channel): meanwhile this task
    /// delays no grace period. `f` cannot use the context.
    pub fn offline_while<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.participant.offline_while(f)
    }
}
