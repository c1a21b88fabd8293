//! Property test: random sequences of intern / get / resolve / renumber / compact /
//! export-import against a `std::collections::HashMap` model, following every symbol ever
//! handed out through the chain of remaps.
#![cfg(not(loom))]

use std::collections::HashMap;

use proptest::prelude::*;
use tern_intern::{Interner, Order, PREINTERNED, Remap, Symbol};

#[derive(Clone, Debug)]
enum Op {
    Intern(String),
    Get(String),
    Resolve(usize),
    RenumberLex,
    RenumberFirst(Vec<String>),
    ExportImport,
    /// Keep the symbols whose string hashes to a set bit of this mask (0: drop everything
    /// but the pre-interned ones).
    Compact(u8),
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        // Small alphabet: many repeats (hits) and collisions of prefixes.
        "[a-c]{0,3}",
        // Some keywords and well-known symbols (pre-interned).
        prop::sample::select(vec!["fn", "Self", "self", "Option", "std", "_", "'static"])
            .prop_map(str::to_owned),
        // Unicode.
        "\\PC{0,4}",
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => word().prop_map(Op::Intern),
        3 => word().prop_map(Op::Get),
        3 => any::<usize>().prop_map(Op::Resolve),
        1 => Just(Op::RenumberLex),
        1 => prop::collection::vec(word(), 0..6).prop_map(Op::RenumberFirst),
        1 => Just(Op::ExportImport),
        1 => any::<u8>().prop_map(Op::Compact),
    ]
}

/// The model: string → symbol, kept in step with the interner, and every symbol ever handed
/// out with the number of remaps that happened before it (to follow it through the rest).
struct Model {
    map: HashMap<String, Symbol>,
    handed_out: Vec<(String, Symbol, usize)>,
    remaps: Vec<Remap>,
}

impl Model {
    fn new() -> Self {
        let map = PREINTERNED
            .iter()
            .enumerate()
            .map(|(k, s)| ((*s).to_owned(), Symbol::from_u32(k as u32 + 1).unwrap()))
            .collect();
        Model {
            map,
            handed_out: Vec::new(),
            remaps: Vec::new(),
        }
    }

    /// Follows a symbol handed out before `remaps[from..]` through them.
    fn follow(&self, mut sym: Symbol, from: usize) -> Option<Symbol> {
        for r in &self.remaps[from..] {
            sym = r.get(sym)?;
        }
        Some(sym)
    }

    fn check(&self, i: &Interner) {
        assert_eq!(i.len(), self.map.len());
        for (s, sym) in &self.map {
            assert_eq!(i.get(s), Some(*sym));
            assert_eq!(i.resolve(*sym), s);
        }
        // Every symbol ever handed out: kept ones resolve through the remap chain to their
        // string, dropped ones are gone.
        for (s, sym, from) in &self.handed_out {
            match self.follow(*sym, *from) {
                Some(now) => {
                    assert_eq!(self.map.get(s), Some(&now), "{s:?} followed to {now:?}");
                    assert_eq!(i.resolve(now), s);
                }
                // Dropped by a compaction: the string is gone, or was interned again after it.
                None => assert!(
                    !self.map.contains_key(s)
                        || self
                            .handed_out
                            .iter()
                            .any(|(t, _, later)| t == s && later > from),
                    "{s:?} kept but unmapped"
                ),
            }
        }
        // Dense ids: exactly 1..=len (single-threaded: no race holes).
        let mut ids: Vec<usize> = self.map.values().map(|s| s.index() + 1).collect();
        ids.sort_unstable();
        assert!(ids.iter().enumerate().all(|(k, id)| *id == k + 1));
        let listed: Vec<(Symbol, String)> = i.iter().map(|(s, t)| (s, t.to_owned())).collect();
        assert_eq!(listed.len(), self.map.len());
        assert!(listed.windows(2).all(|w| w[0].0 < w[1].0));
    }
}

#[expect(
    clippy::many_single_char_names,
    reason = "i: interner, m: model, as in the prose"
)]
fn run(ops: Vec<Op>) {
    let mut i = Interner::with_capacity(0);
    let mut m = Model::new();
    for op in ops {
        match op {
            Op::Intern(s) => {
                let sym = i.intern(&s);
                if let Some(old) = m.map.get(&s) {
                    assert_eq!(sym, *old);
                } else {
                    assert_eq!(sym.index(), m.map.len(), "ids dense");
                    m.handed_out.push((s.clone(), sym, m.remaps.len()));
                    m.map.insert(s, sym);
                }
            }
            Op::Get(s) => assert_eq!(i.get(&s), m.map.get(&s).copied()),
            Op::Resolve(k) => {
                if !m.map.is_empty() {
                    let (s, sym) = m.map.iter().nth(k % m.map.len()).unwrap();
                    assert_eq!(i.resolve(*sym), s);
                }
            }
            Op::RenumberLex | Op::RenumberFirst(_) => {
                let input: Vec<String> = match &op {
                    Op::RenumberFirst(v) => v.clone(),
                    _ => Vec::new(),
                };
                let refs: Vec<&str> = input.iter().map(String::as_str).collect();
                let order = if matches!(op, Op::RenumberLex) {
                    Order::Lexicographic
                } else {
                    Order::FirstOccurrence(&refs)
                };
                let remap = i.renumber(order);
                for sym in m.map.values_mut() {
                    let new = remap.get(*sym).expect("every symbol is remapped");
                    if sym.index() < PREINTERNED.len() {
                        assert_eq!(new, *sym, "pre-interned ids are kept");
                    }
                    *sym = new;
                }
                // The order is the requested one.
                let p = PREINTERNED.len();
                let mut rest: Vec<(&String, Symbol)> = m
                    .map
                    .iter()
                    .filter(|(_, s)| s.index() >= p)
                    .map(|(t, s)| (t, *s))
                    .collect();
                rest.sort_by_key(|e| e.1);
                let rank = |t: &str| refs.iter().position(|r| *r == t).unwrap_or(usize::MAX);
                assert!(rest.windows(2).all(|w| {
                    let (a, b) = (w[0].0.as_str(), w[1].0.as_str());
                    (rank(a), a) < (rank(b), b)
                }));
                m.remaps.push(remap);
            }
            Op::Compact(mask) => {
                let keep_text = |t: &str| {
                    let h = t
                        .bytes()
                        .fold(7u32, |h, b| h.wrapping_mul(31) ^ u32::from(b));
                    mask & (1 << (h % 8)) != 0
                };
                let by_symbol: HashMap<Symbol, String> =
                    m.map.iter().map(|(t, s)| (*s, t.clone())).collect();
                let mut seen = 0;
                let remap = i.compact(|sym| {
                    seen += 1;
                    keep_text(&by_symbol[&sym])
                });
                assert_eq!(seen, m.map.len() - PREINTERNED.len(), "keep sees each once");
                let p = PREINTERNED.len();
                m.map.retain(|t, sym| sym.index() < p || keep_text(t));
                for (t, sym) in &mut m.map {
                    let new = remap.get(*sym).expect("kept symbols are remapped");
                    assert_eq!(i.resolve(new), t);
                    *sym = new;
                }
                m.remaps.push(remap);
            }
            Op::ExportImport => {
                let bytes = i.export();
                let (j, remap) = Interner::from_bytes(&bytes).expect("own export imports");
                for sym in m.map.values_mut() {
                    *sym = remap.get(*sym).expect("every symbol is remapped");
                }
                m.remaps.push(remap);
                i = j;
            }
        }
    }
    m.check(&i);
}

/// After everything is dropped, the interner's heap is back near its size when new, whatever
/// it held.
#[test]
fn heap_bytes_come_back_after_dropping_everything() {
    let mut i = Interner::new();
    let fresh = i.heap_bytes();
    let n = if cfg!(miri) { 500 } else { 50_000 };
    for round in 0..3 {
        for k in 0..n {
            i.intern(&format!("r{round}_name_{k}"));
        }
        assert!(
            i.heap_bytes() > fresh + n * 10,
            "{} vs {fresh}",
            i.heap_bytes()
        );
        let remap = i.compact(|_| false);
        assert_eq!(i.len(), PREINTERNED.len());
        assert!(
            remap.iter().all(|(old, new)| old == new),
            "only pre-interned remain"
        );
        let now = i.heap_bytes();
        assert!(
            now <= fresh + fresh / 4,
            "round {round}: {now} bytes after dropping all, {fresh} when new"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: if cfg!(miri) { 4 } else { 256 },
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn matches_a_hashmap(ops in prop::collection::vec(op(), 0..if cfg!(miri) { 20 } else { 120 })) {
        run(ops);
    }

    /// Arbitrary bytes never make `import` panic.
    #[test]
    fn import_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64), keep in 0usize..40) {
        let i = Interner::new();
        i.intern("x");
        i.intern("yz");
        let mut good = i.export();
        let _ = Interner::new().import(&bytes);
        good.truncate(keep.min(good.len()));
        good.extend_from_slice(&bytes);
        let _ = Interner::new().import(&good);
    }
}
