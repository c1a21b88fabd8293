//! One small interface over tern's interner and its peers, so that the speed
//! bench (`benches/intern.rs`) and the memory table (`benches/intern_memory.rs`)
//! run the very same operations on each.
//!
//! Every `pass` interns a slice of symbols and returns the sum of the ids it
//! got (a checksum the caller feeds to `black_box`, so no work is elided).
//!
//! Included with `#[path]` by both bench targets; it lives under `benches/` so
//! that the peers stay dev-dependencies of the bench package.

use std::sync::atomic::{AtomicU32, Ordering};

use rustc_hash::FxBuildHasher;

/// A single-threaded interner (`&mut self`).
pub trait LocalInterner {
    /// Bench id of this interner.
    const NAME: &'static str;
    /// Handle returned by `intern`, resolvable by `resolve`.
    type Id: Copy;
    /// An empty interner.
    fn new() -> Self;
    /// Interns `s`.
    fn intern(&mut self, s: &'static str) -> Self::Id;
    /// The id as a number (for checksums).
    fn number(id: Self::Id) -> u32;
    /// The string of `id`; `None` when the interner cannot resolve.
    fn resolve(&self, id: Self::Id) -> Option<&str>;
    /// Interns every symbol of `chunk`, returning the sum of the ids.
    fn pass(&mut self, chunk: &[&'static str]) -> u64 {
        chunk
            .iter()
            .map(|s| u64::from(Self::number(self.intern(s))))
            .sum()
    }
}

/// A concurrent interner (`&self`, `Sync`).
pub trait SharedInterner: Sync {
    /// Bench id of this interner.
    const NAME: &'static str;
    /// Handle returned by `intern`, resolvable by `resolve`.
    type Id: Copy + Send + Sync;
    /// An empty interner.
    fn new() -> Self;
    /// Interns `s` (any thread, concurrently).
    fn intern(&self, s: &'static str) -> Self::Id;
    /// The id as a number (for checksums).
    fn number(id: Self::Id) -> u32;
    /// The string of `id`; `None` when the interner cannot resolve.
    fn resolve(&self, id: Self::Id) -> Option<&str>;
    /// Interns every symbol of `chunk` (one thread's share of a pass).
    fn pass(&self, chunk: &[&'static str]) -> u64 {
        chunk
            .iter()
            .map(|s| u64::from(Self::number(self.intern(s))))
            .sum()
    }
    /// Work at the pass boundary after the threads joined (timed with the
    /// pass): tern frees its outgrown tables here.
    fn end_pass(&mut self) {}
}

// ------------------------------------------------------------ single-thread

/// The floor: hashbrown `HashMap<&str, u32>` with `FxHash`, strings borrowed
/// from the corpus (it neither copies nor resolves).
#[derive(Debug, Default)]
pub struct HashbrownFx(hashbrown::HashMap<&'static str, u32, FxBuildHasher>);

impl LocalInterner for HashbrownFx {
    const NAME: &'static str = "floor_hashbrown_fx";
    type Id = u32;
    fn new() -> Self {
        Self::default()
    }
    #[inline]
    fn intern(&mut self, s: &'static str) -> u32 {
        if let Some(&id) = self.0.get(s) {
            return id;
        }
        let id = self.0.len() as u32;
        self.0.insert(s, id);
        id
    }
    fn number(id: u32) -> u32 {
        id
    }
    fn resolve(&self, _: u32) -> Option<&str> {
        None
    }
}

/// lasso's single-threaded `Rodeo` (its default hasher).
#[derive(Debug, Default)]
pub struct LassoRodeo(lasso::Rodeo);

impl LocalInterner for LassoRodeo {
    const NAME: &'static str = "lasso_rodeo";
    type Id = lasso::Spur;
    fn new() -> Self {
        Self::default()
    }
    #[inline]
    fn intern(&mut self, s: &'static str) -> lasso::Spur {
        self.0.get_or_intern(s)
    }
    fn number(id: lasso::Spur) -> u32 {
        lasso::Key::into_usize(id) as u32
    }
    fn resolve(&self, id: lasso::Spur) -> Option<&str> {
        Some(self.0.resolve(&id))
    }
}

/// string-interner's default interner (string backend, default hasher).
#[derive(Debug, Default)]
pub struct StringInterner(string_interner::DefaultStringInterner);

impl LocalInterner for StringInterner {
    const NAME: &'static str = "string_interner";
    type Id = string_interner::DefaultSymbol;
    fn new() -> Self {
        Self::default()
    }
    #[inline]
    fn intern(&mut self, s: &'static str) -> Self::Id {
        self.0.get_or_intern(s)
    }
    fn number(id: Self::Id) -> u32 {
        string_interner::Symbol::to_usize(id) as u32
    }
    fn resolve(&self, id: Self::Id) -> Option<&str> {
        self.0.resolve(id)
    }
}

// --------------------------------------------------------------- concurrent

/// tern's `Interner` (own collector, any-thread arenas, pre-interned
/// keywords), with `checkpoint` at the end of a pass.
#[derive(Debug, Default)]
pub struct Tern(pub tern_intern::Interner);

impl SharedInterner for Tern {
    const NAME: &'static str = "tern";
    type Id = tern_intern::Symbol;
    fn new() -> Self {
        Self(tern_intern::Interner::new())
    }
    #[inline]
    fn intern(&self, s: &'static str) -> tern_intern::Symbol {
        self.0.intern(s)
    }
    fn number(id: tern_intern::Symbol) -> u32 {
        id.as_u32()
    }
    fn resolve(&self, id: tern_intern::Symbol) -> Option<&str> {
        Some(self.0.resolve(id))
    }
    fn end_pass(&mut self) {
        self.0.checkpoint();
    }
}

/// lasso's `ThreadedRodeo` (its default hasher).
#[derive(Debug, Default)]
pub struct LassoThreaded(lasso::ThreadedRodeo);

impl SharedInterner for LassoThreaded {
    const NAME: &'static str = "lasso_threaded_rodeo";
    type Id = lasso::Spur;
    fn new() -> Self {
        Self::default()
    }
    #[inline]
    fn intern(&self, s: &'static str) -> lasso::Spur {
        self.0.get_or_intern(s)
    }
    fn number(id: lasso::Spur) -> u32 {
        lasso::Key::into_usize(id) as u32
    }
    fn resolve(&self, id: lasso::Spur) -> Option<&str> {
        Some(self.0.resolve(&id))
    }
}

/// ustr's global interner. It cannot be emptied, so a "fresh" `Ustr` table is
/// the same global one: cold and first-pass figures would be hits, and the
/// bench skips them.
#[derive(Debug, Default)]
pub struct Ustr;

impl SharedInterner for Ustr {
    const NAME: &'static str = "ustr";
    type Id = ustr::Ustr;
    fn new() -> Self {
        Self
    }
    #[inline]
    fn intern(&self, s: &'static str) -> ustr::Ustr {
        ustr::ustr(s)
    }
    fn number(id: ustr::Ustr) -> u32 {
        id.precomputed_hash() as u32
    }
    fn resolve(&self, id: ustr::Ustr) -> Option<&str> {
        Some(id.as_str())
    }
}

/// dashmap `<&str, u32>` with `FxHash`, ids from a counter (a race on a new
/// string may burn an id: the map keeps one of them).
#[derive(Debug)]
pub struct DashmapFx {
    map: dashmap::DashMap<&'static str, u32, FxBuildHasher>,
    next: AtomicU32,
}

impl SharedInterner for DashmapFx {
    const NAME: &'static str = "dashmap_fx";
    type Id = u32;
    fn new() -> Self {
        Self {
            map: dashmap::DashMap::with_hasher(FxBuildHasher),
            next: AtomicU32::new(0),
        }
    }
    #[inline]
    fn intern(&self, s: &'static str) -> u32 {
        if let Some(id) = self.map.get(s) {
            return *id;
        }
        *self
            .map
            .entry(s)
            .or_insert_with(|| self.next.fetch_add(1, Ordering::Relaxed))
    }
    fn number(id: u32) -> u32 {
        id
    }
    fn resolve(&self, _: u32) -> Option<&str> {
        None
    }
}

/// papaya `<&str, u32>` with `FxHash`, pinned once per operation.
#[derive(Debug)]
pub struct PapayaPinPerOp {
    map: papaya::HashMap<&'static str, u32, FxBuildHasher>,
    next: AtomicU32,
}

impl SharedInterner for PapayaPinPerOp {
    const NAME: &'static str = "papaya_fx_pin_per_op";
    type Id = u32;
    fn new() -> Self {
        Self {
            map: papaya::HashMap::with_hasher(FxBuildHasher),
            next: AtomicU32::new(0),
        }
    }
    #[inline]
    fn intern(&self, s: &'static str) -> u32 {
        let m = self.map.pin();
        if let Some(&id) = m.get(s) {
            return id;
        }
        *m.get_or_insert(s, self.next.fetch_add(1, Ordering::Relaxed))
    }
    fn number(id: u32) -> u32 {
        id
    }
    fn resolve(&self, _: u32) -> Option<&str> {
        None
    }
}

/// papaya `<&str, u32>` with `FxHash`, one guard held for a whole pass.
#[derive(Debug)]
pub struct PapayaGuardPerPass(PapayaPinPerOp);

impl SharedInterner for PapayaGuardPerPass {
    const NAME: &'static str = "papaya_fx_guard_per_pass";
    type Id = u32;
    fn new() -> Self {
        Self(PapayaPinPerOp::new())
    }
    fn intern(&self, s: &'static str) -> u32 {
        self.0.intern(s)
    }
    fn number(id: u32) -> u32 {
        id
    }
    fn resolve(&self, _: u32) -> Option<&str> {
        None
    }
    fn pass(&self, chunk: &[&'static str]) -> u64 {
        let map = &self.0.map;
        let guard = map.guard();
        let mut sum = 0u64;
        for &s in chunk {
            let id = match map.get(s, &guard) {
                Some(&id) => id,
                None => *map.get_or_insert(s, self.0.next.fetch_add(1, Ordering::Relaxed), &guard),
            };
            sum += u64::from(id);
        }
        sum
    }
}
