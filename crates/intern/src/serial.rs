//! Deterministic ids: renumbering at a checkpoint, export to a compact binary form, import
//! with an id remap.
//!
//! # Export format (version 1)
//!
//! All integers are LEB128 varints unless noted.
//!
//! ```text
//! magic        4 bytes  b"TRNS"
//! version      varint   1
//! preinterned  varint   P, the length of the exporter's pre-interned table
//! fingerprint  8 bytes  little-endian FxHash of that table (lengths and bytes)
//! count        varint   N, the exported (non-pre-interned) symbols
//! ids          N varints  gaps: first id - P, then id - previous id (all >= 1)
//! lengths      N varints  byte length of each string
//! bytes        the N strings' UTF-8 bytes, concatenated, nothing after
//! ```
//!
//! Pre-interned symbols are not exported: the importer must have the same table (checked
//! with P and the fingerprint) and maps them to themselves.

use core::fmt;
use core::ptr::NonNull;
use std::collections::HashMap;
use std::hash::Hasher;

use rustc_hash::FxHasher;

use crate::interner::{CapacityError, MAX_SYMBOLS};
use crate::node::entry_str;
use crate::{Interner, Symbol};

const MAGIC: &[u8; 4] = b"TRNS";
const VERSION: u32 = 1;

/// The order [`Interner::renumber`] gives the non-pre-interned symbols.
#[derive(Clone, Copy, Debug)]
pub enum Order<'a> {
    /// By string bytes.
    Lexicographic,
    /// The strings of this input (for example the identifiers of the source files in a fixed
    /// file order) by first occurrence; symbols that do not occur in it follow, by string bytes.
    FirstOccurrence(&'a [&'a str]),
}

/// An old → new symbol map, from [`Interner::compact`], [`Interner::renumber`] or
/// [`Interner::import`]. [`get`](Self::get) is O(1) for the first two (an array indexed by
/// the old id), a binary search for an import's.
///
/// Rewriting a side table keyed by symbol:
///
/// ```
/// use std::collections::HashMap;
/// let mut i = tern_intern::Interner::new();
/// let mut uses: HashMap<tern_intern::Symbol, u32> = HashMap::new();
/// for w in ["a", "b", "a", "c"] {
///     *uses.entry(i.intern(w)).or_default() += 1;
/// }
/// let c = i.get("c").unwrap();
/// let remap = i.compact(|s| s != c); // drop "c"
/// let uses: HashMap<_, _> = uses.iter().filter_map(|(&s, &n)| Some((remap.get(s)?, n))).collect();
/// assert_eq!(uses[&i.get("a").unwrap()], 2);
/// assert_eq!(remap.get(c), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remap {
    repr: RemapRepr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RemapRepr {
    /// `new[old id]` as raw symbols (0: dropped or no such id), for old symbols of epoch
    /// `from_epoch`; pre-interned ids below `identity_below` map to themselves.
    Dense {
        new: Vec<u32>,
        from_epoch: u32,
        identity_below: u32,
    },
    /// `(old id, new raw symbol)` sorted by old id; pre-interned ids below `identity_below`
    /// map to themselves.
    Sparse {
        identity_below: u32,
        pairs: Vec<(u32, u32)>,
    },
}

impl Remap {
    /// A dense map: `new[id]` is the new raw symbol of old id `id` of epoch `from_epoch`.
    pub(crate) fn dense(new: Vec<u32>, from_epoch: u32, identity_below: u32) -> Self {
        Remap {
            repr: RemapRepr::Dense {
                new,
                from_epoch,
                identity_below,
            },
        }
    }

    /// The new symbol for `old`, or `None` if `old` was dropped or was not a symbol (of the
    /// epoch this map starts from).
    #[inline]
    pub fn get(&self, old: Symbol) -> Option<Symbol> {
        let o = old.id();
        match &self.repr {
            RemapRepr::Dense {
                new,
                from_epoch,
                identity_below,
            } => {
                if o < *identity_below {
                    return Some(old);
                }
                if old.epoch() != *from_epoch {
                    return None;
                }
                new.get(o as usize).copied().and_then(Symbol::from_u32)
            }
            RemapRepr::Sparse {
                identity_below,
                pairs,
            } => {
                if o < *identity_below {
                    return Some(old);
                }
                let k = pairs.binary_search_by_key(&o, |p| p.0).ok()?;
                Symbol::from_u32(pairs[k].1)
            }
        }
    }

    /// Every `(old, new)` pair in old-id order (pre-interned symbols included, mapped to
    /// themselves; dropped symbols not listed).
    pub fn iter(&self) -> impl Iterator<Item = (Symbol, Symbol)> + '_ {
        let (dense, from, ident, sparse): (&[u32], u32, u32, &[(u32, u32)]) = match &self.repr {
            RemapRepr::Dense {
                new,
                from_epoch,
                identity_below,
            } => (new, *from_epoch, *identity_below, &[]),
            RemapRepr::Sparse {
                identity_below,
                pairs,
            } => (&[], 0, *identity_below, pairs),
        };
        let i = (1..ident).filter_map(|o| Symbol::from_u32(o).map(|s| (s, s)));
        let d = dense
            .iter()
            .enumerate()
            .skip(ident as usize)
            .filter_map(move |(o, &n)| {
                Some((Symbol::with_epoch(o as u32, from), Symbol::from_u32(n)?))
            });
        let s = sparse
            .iter()
            .filter_map(|&(o, n)| Some((Symbol::from_u32(o)?, Symbol::from_u32(n)?)));
        i.chain(d).chain(s)
    }

    /// Number of mapped ids.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// `true` if nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `true` if every id maps to itself.
    pub fn is_identity(&self) -> bool {
        self.iter().all(|(a, b)| a == b)
    }
}

/// Why [`Interner::import`] rejected its input. The interner is unchanged when this is
/// returned for malformed input (everything is checked before the first string is interned).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportError {
    /// The input does not start with the export magic.
    BadMagic,
    /// A version this crate cannot read.
    UnsupportedVersion(u32),
    /// The input ends before the header, ids, lengths or bytes it announces.
    Truncated,
    /// A varint is longer than its type allows.
    BadVarint,
    /// The exporter's pre-interned table differs from this interner's.
    PreinternedMismatch,
    /// An id is out of order or past `u32::MAX`.
    BadId,
    /// String `index` is not UTF-8.
    InvalidUtf8 {
        /// Position in the export.
        index: usize,
    },
    /// Bytes follow the last string.
    TrailingBytes,
    /// Interning hit a limit of this interner.
    Capacity(CapacityError),
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tern-intern import: ")?;
        match self {
            ImportError::BadMagic => f.write_str("not a tern symbol table (bad magic)"),
            ImportError::UnsupportedVersion(v) => write!(f, "unsupported version {v}"),
            ImportError::Truncated => f.write_str("input is truncated"),
            ImportError::BadVarint => f.write_str("malformed integer"),
            ImportError::PreinternedMismatch => {
                f.write_str("exported with a different pre-interned table")
            }
            ImportError::BadId => f.write_str("ids out of order or out of range"),
            ImportError::InvalidUtf8 { index } => write!(f, "string {index} is not UTF-8"),
            ImportError::TrailingBytes => f.write_str("trailing bytes after the last string"),
            ImportError::Capacity(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ImportError {}

fn fingerprint(table: &[&str]) -> u64 {
    let mut h = FxHasher::default();
    for s in table {
        h.write_usize(s.len());
        h.write(s.as_bytes());
    }
    h.finish()
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ImportError> {
        let end = self.pos.checked_add(n).ok_or(ImportError::Truncated)?;
        let s = self
            .bytes
            .get(self.pos..end)
            .ok_or(ImportError::Truncated)?;
        self.pos = end;
        Ok(s)
    }

    fn varint(&mut self) -> Result<u32, ImportError> {
        let mut v: u64 = 0;
        for shift in (0..35).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return u32::try_from(v).map_err(|_| ImportError::BadVarint);
            }
        }
        Err(ImportError::BadVarint)
    }
}

impl Interner {
    /// Gives the non-pre-interned symbols new dense ids in a schedule-independent `order`
    /// (pre-interned symbols keep theirs), and returns the old → new map. Two runs that
    /// interned the same set of strings in any interleaving get the same ids.
    ///
    /// Call it at a pass boundary: `&mut self` proves no thread is interning.
    ///
    /// ```
    /// use tern_intern::{Interner, Order};
    /// let mut i = Interner::new();
    /// let b = i.intern("b");
    /// let a = i.intern("a");
    /// let map = i.renumber(Order::Lexicographic);
    /// let (a2, b2) = (map.get(a).unwrap(), map.get(b).unwrap());
    /// assert!(a2 < b2);
    /// assert_eq!(i.resolve(a2), "a");
    /// assert_eq!(i.intern("b"), b2);
    /// ```
    pub fn renumber(&mut self, order: Order<'_>) -> Remap {
        let first = self.preinterned().len() as u32 + 1;
        let end = self.next_id_mut();
        let from_epoch = self.epoch();
        let mut entries: Vec<(u32, NonNull<u8>)> = (first..end)
            .filter_map(|id| Some((id, self.entry_of(self.symbol_of(id))?)))
            .collect();
        let text = |e: &NonNull<u8>| {
            // SAFETY: id-table entries pack live string nodes of our arenas; `&mut self` keeps
            // them so for the duration.
            unsafe { entry_str(*e) }
        };
        match order {
            Order::Lexicographic => entries.sort_by(|a, b| text(&a.1).cmp(text(&b.1))),
            Order::FirstOccurrence(input) => {
                let mut rank: HashMap<&str, usize> = HashMap::new();
                for s in input {
                    let next = rank.len();
                    rank.entry(s).or_insert(next);
                }
                entries.sort_by(|a, b| {
                    let (sa, sb) = (text(&a.1), text(&b.1));
                    let ra = rank.get(sa).copied().unwrap_or(usize::MAX);
                    let rb = rank.get(sb).copied().unwrap_or(usize::MAX);
                    ra.cmp(&rb).then_with(|| sa.cmp(sb))
                });
            }
        }
        let to_epoch = self.next_epoch();
        let mut map = vec![0u32; end as usize];
        for (k, (old, _)) in entries.iter().enumerate() {
            map[*old as usize] = Symbol::with_epoch(first + k as u32, to_epoch).as_u32();
        }
        let order: Vec<NonNull<u8>> = entries.into_iter().map(|e| e.1).collect();
        self.apply_order(first, &order);
        Remap::dense(map, from_epoch, first)
    }

    /// The symbol table in the compact binary form described in the module docs of
    /// [`Interner::import`]: magic, version, counts, id gaps, lengths, bytes. Pre-interned
    /// symbols are implied.
    pub fn export(&self) -> Vec<u8> {
        let p = self.preinterned().len() as u32;
        let items: Vec<(u32, &str)> = self
            .iter()
            .map(|(s, t)| (s.id(), t))
            .filter(|&(id, _)| id > p)
            .collect();
        let bytes: usize = items.iter().map(|(_, s)| s.len()).sum();
        let mut out = Vec::with_capacity(24 + items.len() * 3 + bytes);
        out.extend_from_slice(MAGIC);
        put_varint(&mut out, u64::from(VERSION));
        put_varint(&mut out, u64::from(p));
        out.extend_from_slice(&fingerprint(self.preinterned()).to_le_bytes());
        put_varint(&mut out, items.len() as u64);
        let mut prev = p;
        for (s, _) in &items {
            put_varint(&mut out, u64::from(s - prev));
            prev = *s;
        }
        for (_, t) in &items {
            put_varint(&mut out, t.len() as u64);
        }
        for (_, t) in &items {
            out.extend_from_slice(t.as_bytes());
        }
        out
    }

    /// Interns every string of an [`export`](Self::export) and returns the exporter's id →
    /// this interner's symbol map. Malformed input is an error, never a panic; the input is
    /// checked completely before anything is interned.
    ///
    /// The format (all integers LEB128 varints unless noted): `b"TRNS"`, version (1),
    /// pre-interned count P, 8-byte little-endian fingerprint of the pre-interned table,
    /// count N, N id gaps (first id − P, then id − previous id, each ≥ 1), N lengths, the
    /// concatenated UTF-8 bytes.
    ///
    /// ```
    /// use tern_intern::Interner;
    /// let a = Interner::new();
    /// let x = a.intern("x");
    /// let bytes = a.export();
    /// let b = Interner::new();
    /// b.intern("something else first");
    /// let map = b.import(&bytes).unwrap();
    /// assert_eq!(b.resolve(map.get(x).unwrap()), "x");
    /// assert!(b.import(&bytes[..bytes.len() - 1]).is_err());
    /// ```
    ///
    /// # Errors
    ///
    /// An [`ImportError`] naming the first defect found (bad magic, unknown version,
    /// truncation, malformed varint, different pre-interned table, ids out of order, invalid
    /// UTF-8, trailing bytes), or a capacity limit hit while interning.
    pub fn import(&self, bytes: &[u8]) -> Result<Remap, ImportError> {
        let mut r = Reader { bytes, pos: 0 };
        if r.take(4).map_err(|_| ImportError::BadMagic)? != MAGIC {
            return Err(ImportError::BadMagic);
        }
        let version = r.varint()?;
        if version != VERSION {
            return Err(ImportError::UnsupportedVersion(version));
        }
        let p = r.varint()?;
        let fp = u64::from_le_bytes(r.take(8)?.try_into().map_err(|_| ImportError::Truncated)?);
        if p as usize != self.preinterned().len() || fp != fingerprint(self.preinterned()) {
            return Err(ImportError::PreinternedMismatch);
        }
        let n = r.varint()? as usize;
        // Each entry needs at least two bytes (gap and length): refuse absurd counts before
        // allocating for them.
        if n > bytes.len().saturating_sub(r.pos) / 2 {
            return Err(ImportError::Truncated);
        }
        let mut ids = Vec::with_capacity(n);
        let mut prev = p;
        for _ in 0..n {
            let gap = r.varint()?;
            if gap == 0 {
                return Err(ImportError::BadId);
            }
            prev = prev.checked_add(gap).ok_or(ImportError::BadId)?;
            // Ids live in a symbol's low 28 bits (at most `MAX_SYMBOLS`): a larger one would
            // carry an epoch.
            if prev > MAX_SYMBOLS {
                return Err(ImportError::BadId);
            }
            ids.push(prev);
        }
        let mut lens = Vec::with_capacity(n);
        for _ in 0..n {
            lens.push(r.varint()? as usize);
        }
        let mut strs = Vec::with_capacity(n);
        for (index, &len) in lens.iter().enumerate() {
            let b = r.take(len)?;
            strs.push(core::str::from_utf8(b).map_err(|_| ImportError::InvalidUtf8 { index })?);
        }
        if r.pos != bytes.len() {
            return Err(ImportError::TrailingBytes);
        }
        let mut pairs = Vec::with_capacity(n);
        for (id, s) in ids.into_iter().zip(strs) {
            let sym = self.try_intern(s).map_err(ImportError::Capacity)?;
            pairs.push((id, sym.as_u32()));
        }
        Ok(Remap {
            repr: RemapRepr::Sparse {
                identity_below: p + 1,
                pairs,
            },
        })
    }

    /// A new [`Interner`] (default pre-interned table) holding the strings of an
    /// [`export`](Self::export), with the exporter's id → new symbol map.
    ///
    /// # Errors
    ///
    /// As [`import`](Self::import).
    pub fn from_bytes(bytes: &[u8]) -> Result<(Interner, Remap), ImportError> {
        let i = Interner::new();
        let map = i.import(bytes)?;
        Ok((i, map))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::kw;

    #[test]
    fn renumber_is_schedule_independent() {
        let words = ["delta", "alpha", "charlie", "bravo", "alpha", "echo"];
        let mut a = Interner::new();
        let mut b = Interner::new();
        for w in words {
            a.intern(w);
        }
        for w in words.iter().rev() {
            b.intern(w);
        }
        let ma = a.renumber(Order::Lexicographic);
        let mb = b.renumber(Order::Lexicographic);
        let la: Vec<_> = a.iter().map(|(s, t)| (s, t.to_owned())).collect();
        let lb: Vec<_> = b.iter().map(|(s, t)| (s, t.to_owned())).collect();
        assert_eq!(la, lb);
        assert_eq!(ma.get(kw::Fn), Some(kw::Fn));
        assert_eq!(mb.get(kw::Fn), Some(kw::Fn));
        assert_eq!(a.intern("alpha"), b.intern("alpha"));
        assert_eq!(
            a.get("echo").unwrap().index() + 1,
            crate::PREINTERNED.len() + 5
        );
        let input = ["echo", "fn", "bravo", "echo"];
        let mc = a.renumber(Order::FirstOccurrence(&input));
        let p = crate::PREINTERNED.len() as u32;
        assert_eq!(a.get("echo").unwrap().index() as u32 + 1, p + 1);
        assert_eq!(a.get("bravo").unwrap().index() as u32 + 1, p + 2);
        assert_eq!(a.get("alpha").unwrap().index() as u32 + 1, p + 3);
        assert!(!mc.is_identity());
        assert_eq!(a.resolve(a.get("charlie").unwrap()), "charlie");
    }

    #[test]
    fn export_import_roundtrip_and_corruption() {
        let a = Interner::new();
        let syms: Vec<_> = ["x", "", "héllo", "fn", "long_identifier_name"]
            .iter()
            .map(|s| (a.intern(s), *s))
            .collect();
        let bytes = a.export();
        let (b, map) = Interner::from_bytes(&bytes).unwrap();
        for (s, t) in &syms {
            assert_eq!(b.resolve(map.get(*s).unwrap()), *t);
        }
        assert_eq!(b.len(), a.len());
        // Every truncation and every single-bit flip is an error or a valid table; no panic.
        // (Under Miri a sample: each `Interner::new` pre-interns the keyword table.)
        let step = if cfg!(miri) { 5 } else { 1 };
        let importer = Interner::new();
        for cut in (0..bytes.len()).step_by(step) {
            assert!(importer.import(&bytes[..cut]).is_err());
        }
        for k in (0..bytes.len()).step_by(step) {
            for bit in (0..8).step_by(step.min(7)) {
                let mut c = bytes.clone();
                c[k] ^= 1 << bit;
                let _ = importer.import(&c);
            }
        }
        let mut extra = bytes.clone();
        extra.push(0);
        assert_eq!(
            Interner::new().import(&extra),
            Err(ImportError::TrailingBytes)
        );
        assert_eq!(Interner::new().import(b"NOPE"), Err(ImportError::BadMagic));
        let other = Interner::builder().preinterned(&[]).build();
        assert_eq!(other.import(&bytes), Err(ImportError::PreinternedMismatch));
    }

    #[test]
    fn import_refuses_ids_past_the_id_bits() {
        let a = Interner::new();
        a.intern("x");
        let good = a.export();
        let p = a.preinterned().len() as u32;
        let mut head = Vec::new();
        head.extend_from_slice(MAGIC);
        put_varint(&mut head, u64::from(VERSION));
        put_varint(&mut head, u64::from(p));
        let fingerprint = &good[head.len()..head.len() + 8];
        // 2^28 + 5 would be id 5 of epoch 1; 2^28 has no id bits at all; 2^28 - 1 is one past
        // the largest id.
        for bad in [(1u32 << 28) + 5, 1 << 28, (1 << 28) - 1] {
            let mut b = head.clone();
            b.extend_from_slice(fingerprint);
            put_varint(&mut b, 1);
            put_varint(&mut b, u64::from(bad - p));
            put_varint(&mut b, 1);
            b.extend_from_slice(b"x");
            let i = Interner::new();
            assert_eq!(i.import(&b).err(), Some(ImportError::BadId), "id {bad:#x}");
            assert_eq!(
                i.len(),
                i.preinterned().len(),
                "nothing interned for {bad:#x}"
            );
        }
    }
}
