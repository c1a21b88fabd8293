//! Property test: random sequences of intern / get / resolve / renumber / export-import against
//! a `std::collections::HashMap` model.
#![cfg(not(loom))]

use std::collections::HashMap;

use proptest::prelude::*;
use tern_intern::{Interner, Order, PREINTERNED, Symbol};

#[derive(Clone, Debug)]
enum Op {
    Intern(String),
    Get(String),
    Resolve(usize),
    RenumberLex,
    RenumberFirst(Vec<String>),
    ExportImport,
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
    ]
}

/// The model: string → symbol, kept in step with the interner.
struct Model {
    map: HashMap<String, Symbol>,
}

impl Model {
    fn new() -> Self {
        let map = PREINTERNED
            .iter()
            .enumerate()
            .map(|(k, s)| ((*s).to_owned(), Symbol::from_u32(k as u32 + 1).unwrap()))
            .collect();
        Model { map }
    }

    fn check(&self, i: &Interner) {
        assert_eq!(i.len(), self.map.len());
        for (s, sym) in &self.map {
            assert_eq!(i.get(s), Some(*sym));
            assert_eq!(i.resolve(*sym), s);
        }
        // Dense ids: exactly 1..=len (single-threaded: no race holes).
        let mut ids: Vec<u32> = self.map.values().map(|s| s.as_u32()).collect();
        ids.sort_unstable();
        assert!(ids.iter().enumerate().all(|(k, id)| *id as usize == k + 1));
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
                    assert_eq!(sym.as_u32() as usize, m.map.len() + 1, "ids dense");
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
            }
            Op::ExportImport => {
                let bytes = i.export();
                let (j, remap) = Interner::from_bytes(&bytes).expect("own export imports");
                for sym in m.map.values_mut() {
                    *sym = remap.get(*sym).expect("every symbol is remapped");
                }
                i = j;
            }
        }
    }
    m.check(&i);
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
