//! Early reclamation proven by types: [`Guarded`] interners and their readers.
//!
//! An interner's plain `&self` methods keep every table they outgrow until the owner's
//! `checkpoint(&mut self)`: they cannot know whether some other thread, registered with no
//! collector, is still probing it. Freeing during a pass needs every prober to be covered by
//! an online participant of the collector that passes no quiescent state during its call. A
//! [`Guarded`] interner makes that a type:
//!
//! - all shared access goes through [`Guarded::reader`], which borrows a `&Participant` of the
//!   interner's collector. A participant passes quiescent states only through `&mut self`, so
//!   while a reader (or anything borrowed from it) exists, its participant cannot pass one,
//!   not even from code the interner runs in the middle of a call (a value's `Hash` or `Eq`
//!   reaching a participant in a thread-local would need it mutably, while it is borrowed);
//! - exclusive access ([`Guarded::get_mut`], [`Guarded::into_inner`]) needs no participant.
//!
//! Calls through a reader retire outgrown tables to the collector, which frees them once
//! every participant has passed a quiescent state: during the pass, at the next quiescent
//! states of the workers, instead of at its end.
//!
//! Lifetimes: a reader `Reader<'g, 'p>` borrows the guarded interner for `'g` and the
//! participant for `'p`. What lives in the arenas (strings, interned values) is returned
//! with `'g`, so it may outlive the participant (it is never freed by a grace period);
//! everything that touches the hash table is bounded by `'p`.

use core::fmt;
use core::hash::Hash;
use core::marker::PhantomData;

use tern_quiesce::{Collector, Participant};

use crate::interner::{CapacityError, Interner};
use crate::reclaim::Retire;
use crate::symbol::Symbol;
use crate::value::{Interned, ValueInterner};

/// An interner that may only be read through a participant of its collector, so that tables
/// outgrown during a pass are freed as soon as every participant has passed a quiescent
/// state, with no `unsafe` asked of the caller. See the crate docs' "Reclamation" section.
///
/// ```
/// use std::sync::Arc;
/// use tern_intern::{Guarded, Interner};
/// use tern_quiesce::Collector;
///
/// let collector = Arc::new(Collector::new());
/// let interner = Guarded::new(Interner::builder().collector(Arc::clone(&collector)).build());
/// std::thread::scope(|s| {
///     for t in 0..2 {
///         let (interner, collector) = (&interner, &collector);
///         s.spawn(move || {
///             let mut me = collector.register();
///             for k in 0..1000 {
///                 let reader = interner.reader(&me);
///                 let sym = reader.intern(&format!("w{}", k * 2 + t));
///                 assert!(reader.resolve(sym).starts_with('w'));
///                 me.quiescent(); // end of a work item: outgrown tables may go
///             }
///         });
///     }
/// });
/// let stats = collector.stats();
/// assert!(stats.reclaimed_bytes > 0, "tables were freed during the pass");
/// ```
///
/// A reader cannot outlive its participant's next quiescent state:
///
/// ```compile_fail,E0502
/// # use tern_intern::{Guarded, Interner};
/// let interner = Guarded::new(Interner::new());
/// let mut me = interner.collector().register();
/// let reader = interner.reader(&me);
/// me.quiescent(); // error: `me` is borrowed by `reader`
/// reader.intern("x");
/// ```
#[derive(Default)]
pub struct Guarded<I> {
    inner: I,
}

// Not derived: the interners' `Debug` reads the current table, and `&Guarded` is shared by
// threads that may hold no participant, so a table outgrown and freed by another thread's
// reader could be read after its free. Only counters are printed here.
impl fmt::Debug for Guarded<Interner> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guarded<Interner>")
            .field("len", &self.inner.len())
            .finish_non_exhaustive()
    }
}

// No bounds on `T`, as on `ValueInterner`'s own `Debug`.
impl<T> fmt::Debug for Guarded<ValueInterner<T>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guarded<ValueInterner>")
            .field("len", &self.inner.len())
            .finish_non_exhaustive()
    }
}

/// The interners a [`Guarded`] can hold (sealed).
pub trait Guardable: sealed::Sealed {}
impl Guardable for Interner {}
impl<T> Guardable for ValueInterner<T> {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::Interner {}
    impl<T> Sealed for crate::ValueInterner<T> {}
}

impl<I: Guardable> Guarded<I> {
    /// Guards `interner`: from now on, shared access needs a participant of its collector.
    pub fn new(interner: I) -> Self {
        Guarded { inner: interner }
    }
}

impl<I> Guarded<I> {
    /// Exclusive access: no reader exists, so the interner's full API is available (its
    /// plain calls keep outgrown tables until its `checkpoint`).
    pub fn get_mut(&mut self) -> &mut I {
        &mut self.inner
    }

    /// The interner, unguarded (no reader exists any more).
    pub fn into_inner(self) -> I {
        self.inner
    }
}

impl Guarded<Interner> {
    /// A reader for the calling thread, proven by `participant` (online: an offline one is
    /// a different type).
    ///
    /// # Panics
    ///
    /// If `participant` belongs to another collector than the interner's.
    #[inline]
    pub fn reader<'g, 'p>(&'g self, participant: &'p Participant<'_>) -> Reader<'g, 'p> {
        check_collector(participant, self.inner.collector());
        Reader::new(&self.inner)
    }

    /// The collector: register participants on it.
    pub fn collector(&self) -> &Collector {
        self.inner.collector()
    }

    /// The string of `sym` (no participant needed: strings and the id table are never freed
    /// while the interner lives).
    ///
    /// # Panics
    ///
    /// As [`Interner::resolve`].
    #[inline]
    pub fn resolve(&self, sym: Symbol) -> &str {
        self.inner.resolve(sym)
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// `true` when there is no symbol at all.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

impl<T: Hash + Eq + Send + Sync> Guarded<ValueInterner<T>> {
    /// A reader for the calling thread, proven by `participant`.
    ///
    /// # Panics
    ///
    /// If `participant` belongs to another collector than the interner's.
    #[inline]
    pub fn reader<'g, 'p>(&'g self, participant: &'p Participant<'_>) -> ValueReader<'g, 'p, T> {
        check_collector(participant, self.inner.collector());
        ValueReader::new(&self.inner)
    }

    /// The collector: register participants on it.
    pub fn collector(&self) -> &Collector {
        self.inner.collector()
    }

    /// Number of distinct values.
    pub fn len(&self) -> usize {
        self.inner.len()
    }

    /// `true` when nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }
}

#[inline]
fn check_collector(p: &Participant<'_>, c: &Collector) {
    if !core::ptr::eq(p.collector(), c) {
        foreign_participant();
    }
}

#[cold]
#[track_caller]
fn foreign_participant() -> ! {
    panic!("tern-intern: a reader needs a participant of the interner's own collector")
}

/// Calls on an [`Interner`] covered by an online participant of its collector: outgrown
/// tables are retired to the collector (freed at the workers' next quiescent states).
/// From [`Guarded::reader`], or [`Interner::reader_unchecked`].
///
/// `!Send` and `!Sync`, like the participant it stands for.
pub struct Reader<'g, 'p> {
    interner: &'g Interner,
    /// The participant's borrow, and `!Send + !Sync`.
    _participant: PhantomData<(&'p (), *const ())>,
}

impl fmt::Debug for Reader<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("interner", self.interner)
            .finish()
    }
}

impl<'g> Reader<'g, '_> {
    pub(crate) fn new(interner: &'g Interner) -> Self {
        Reader {
            interner,
            _participant: PhantomData,
        }
    }

    /// As [`Interner::intern`], retiring an outgrown table to the collector.
    ///
    /// # Panics
    ///
    /// As [`Interner::intern`].
    #[inline]
    pub fn intern(&self, s: &str) -> Symbol {
        match self.try_intern(s) {
            Ok(sym) => sym,
            Err(e) => panic!("{e}"),
        }
    }

    /// As [`Interner::try_intern`], retiring an outgrown table to the collector.
    ///
    /// # Errors
    ///
    /// As [`Interner::try_intern`].
    #[inline]
    pub fn try_intern(&self, s: &str) -> Result<Symbol, CapacityError> {
        // SAFETY: `Retire::Collector` needs every prober covered by an online participant
        // until the table is freed. A reader exists only (1) from `Guarded::reader`: all
        // shared access to a guarded interner goes through readers, each borrowing an online
        // participant of this collector for as long as it (and what it lends) lives; or
        // (2) from `reader_unchecked`, whose caller promised exactly this.
        unsafe { self.interner.try_intern_to(s, Retire::Collector) }
    }

    /// As [`Interner::get`].
    #[inline]
    pub fn get(&self, s: &str) -> Option<Symbol> {
        self.interner.get(s)
    }

    /// As [`Interner::resolve`]; the string lives as long as the interner's borrow.
    ///
    /// # Panics
    ///
    /// As [`Interner::resolve`].
    #[inline]
    pub fn resolve(&self, sym: Symbol) -> &'g str {
        self.interner.resolve(sym)
    }

    /// As [`Interner::try_resolve`].
    #[inline]
    pub fn try_resolve(&self, sym: Symbol) -> Option<&'g str> {
        self.interner.try_resolve(sym)
    }

    /// The interner, for calls the reader does not wrap (`len`, `stats`, `iter`). Plain calls
    /// keep an outgrown table until the checkpoint; the borrow ends with the reader's.
    pub fn interner(&self) -> &Interner {
        self.interner
    }
}

/// Calls on a [`ValueInterner`] covered by an online participant of its collector (see
/// [`Reader`]). Interned values live as long as the interner's borrow `'g`.
pub struct ValueReader<'g, 'p, T> {
    values: &'g ValueInterner<T>,
    _participant: PhantomData<(&'p (), *const ())>,
}

impl<T> fmt::Debug for ValueReader<'_, '_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueReader")
            .field("values", self.values)
            .finish()
    }
}

impl<'g, T: Hash + Eq + Send + Sync> ValueReader<'g, '_, T> {
    pub(crate) fn new(values: &'g ValueInterner<T>) -> Self {
        ValueReader {
            values,
            _participant: PhantomData,
        }
    }

    /// As [`ValueInterner::intern`], retiring an outgrown table to the collector.
    ///
    /// # Panics
    ///
    /// As [`ValueInterner::intern`].
    #[inline]
    pub fn intern(&self, v: T) -> Interned<'g, T> {
        match self.try_intern(v) {
            Ok(i) => i,
            Err(e) => panic!("{e}"),
        }
    }

    /// As [`ValueInterner::try_intern`], retiring an outgrown table to the collector.
    ///
    /// # Errors
    ///
    /// As [`ValueInterner::try_intern`].
    #[inline]
    pub fn try_intern(&self, v: T) -> Result<Interned<'g, T>, CapacityError> {
        // SAFETY: as in `Reader::try_intern`: a value reader comes only from
        // `Guarded::reader` (or the unchecked constructor, under the same contract).
        unsafe { self.values.try_intern_to(v, Retire::Collector) }
    }

    /// As [`ValueInterner::get`].
    #[inline]
    pub fn get(&self, v: &T) -> Option<Interned<'g, T>> {
        self.values.get(v)
    }

    /// The interner, for calls the reader does not wrap; the borrow ends with the reader's.
    pub fn values(&self) -> &ValueInterner<T> {
        self.values
    }
}
