//! String nodes: how a string is stored in the arenas, and how it is read back.
//!
//! ```text
//!  short node (1 ≤ len < 0xFFFF, `x86_64`): [ bytes ... ]          no header
//!  other nodes (the empty string, len ≥ 0xFFFF, other targets):
//!                                                 [ len: u32, little-endian | bytes ... ]
//! ```
//!
//! Nodes are 1-aligned (the header is read unaligned), so strings pack back to back with no
//! padding. A node knows neither its id (the hash table's slot holds the id) nor, when short,
//! its length (the id table's entry holds it, see `tagged::entry`): what is needed to read a
//! node is always its entry. Every node is at least 1 byte, so each has an address of its own.

use core::alloc::Layout;
use core::ptr::{self, NonNull};
use std::hash::Hasher;

use rustc_hash::FxHasher;

use crate::tagged::entry;

/// Bytes of the long header.
const HEADER: usize = size_of::<u32>();

/// Whether a string of `len` bytes gets the header (exactly when its entry cannot hold the
/// length).
#[inline]
fn has_header(len: usize) -> bool {
    !entry::holds_len(len)
}

/// `FxHash` of the bytes (no length suffix: a match compares the lengths first).
#[inline]
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.finish()
}

/// The arena layout of the node for a string of `len` bytes (`None` when it cannot exist:
/// `len` must fit a `u32`, the caller checks).
#[inline]
pub(crate) fn layout(len: usize) -> Option<Layout> {
    let size = if has_header(len) {
        len.checked_add(HEADER)?
    } else {
        len
    };
    Layout::from_size_align(size, 1).ok()
}

/// Writes the node for `s` into `node`.
///
/// # Safety
///
/// `write(node, s)` is sound if and only if:
/// - `node` is valid for writes of `layout(s.len())` bytes and not read or written by anyone
///   else until it is published, and
/// - `s.len()` fits a `u32`.
#[inline]
pub(crate) unsafe fn write(node: NonNull<u8>, s: &str) {
    let mut at = node.as_ptr();
    if has_header(s.len()) {
        let len = (s.len() as u32).to_le_bytes();
        // SAFETY: the caller's contract: the layout has room for the header and the bytes.
        unsafe {
            ptr::copy_nonoverlapping(len.as_ptr(), at, HEADER);
            at = at.add(HEADER);
        }
    }
    // SAFETY: as above; `s` cannot overlap a fresh allocation.
    unsafe { ptr::copy_nonoverlapping(s.as_ptr(), at, s.len()) };
}

/// The string of an id-table entry.
///
/// # Safety
///
/// `entry_str(e)` is sound if and only if:
/// - `e` was made by `entry::pack` from a node written by [`write`] and that string's length,
///   and read from the id table with Acquire (or under exclusive access),
/// - the node's arena outlives `'a`, and
/// - nothing writes the node while the reference is in use (nodes are never written after
///   publication).
#[inline]
pub(crate) unsafe fn entry_str<'a>(e: NonNull<u8>) -> &'a str {
    let (node, len) = entry::unpack(e);
    // SAFETY: 1. caller's contract (live, initialised node); 2. a short node's length is the
    // entry's, a long node's is in its header (written with the bytes); the bytes were copied
    // from a `&str`, so they are valid UTF-8, and `node` carries the provenance of the whole
    // allocation (the arena's pointer, kept through `map_addr`).
    unsafe {
        let (bytes, len) = if let Some(len) = len {
            (node.as_ptr().cast_const(), len)
        } else {
            let len = u32::from_le(node.as_ptr().cast::<u32>().read_unaligned()) as usize;
            (node.as_ptr().add(HEADER).cast_const(), len)
        };
        core::str::from_utf8_unchecked(core::slice::from_raw_parts(bytes, len))
    }
}

/// The string of an entry word whose length field is `len` (non-zero): no load but the
/// entry's.
///
/// # Safety
///
/// `short_str(e, len)` is sound if and only if:
/// - `e` is an entry word with `entry::len_of(e) == Some(len)`, and the conditions of
///   [`entry_str`] hold for it.
#[inline]
pub(crate) unsafe fn short_str<'a>(e: *mut u8, len: usize) -> &'a str {
    let node = entry::node_of(e);
    // SAFETY: the caller's contract: a short node of `len` bytes of UTF-8 copied from a `&str`,
    // at the entry's address (non-null: packed from a `NonNull`), with the provenance of its
    // allocation (kept through `map_addr`). Telling the compiler it is non-null spares the
    // caller a null test of the `Option<&str>` it returns.
    unsafe {
        core::hint::assert_unchecked(!node.is_null());
        core::str::from_utf8_unchecked(core::slice::from_raw_parts(node, len))
    }
}

/// Whether the string of an entry word equals `query`: the length first (from the entry for
/// short strings, no load), then the bytes. An unused entry (null) equals nothing.
///
/// # Safety
///
/// `entry_matches(e, q)` is sound if and only if:
/// - `e` is null, or the conditions of [`entry_str`] hold for it.
#[inline]
pub(crate) unsafe fn entry_matches(e: *mut u8, query: &str) -> bool {
    // One shift tests both a null entry and a length kept in the node (see `entry::len_of`).
    if let Some(len) = entry::len_of(e) {
        len == query.len() && {
            // SAFETY: the caller's contract: a short node of `len` initialised bytes.
            let bytes = unsafe { core::slice::from_raw_parts(entry::node_of(e), len) };
            bytes_eq(bytes, query.as_bytes())
        }
    } else {
        NonNull::new(e).is_some_and(|e| {
            // SAFETY: the caller's contract.
            let s = unsafe { entry_str(e) };
            s == query
        })
    }
}

/// Equality of two byte strings of the same length; identifiers are short, so lengths up to
/// 16 compare with two overlapping word loads each instead of a `memcmp` call.
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len();
    if n > 16 || n != b.len() {
        return a == b;
    }
    let word8 =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let word4 =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    if n >= 8 {
        ((word8(a, 0) ^ word8(b, 0)) | (word8(a, n - 8) ^ word8(b, n - 8))) == 0
    } else if n >= 4 {
        ((word4(a, 0) ^ word4(b, 0)) | (word4(a, n - 4) ^ word4(b, n - 4))) == 0
    } else if n > 0 {
        a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]
    } else {
        true
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn short_byte_equality() {
        let words: Vec<Vec<u8>> = (0..=20)
            .flat_map(|n| {
                let base: Vec<u8> = (0..n).map(|k| b'a' + (k % 26) as u8).collect();
                let mut out = vec![base.clone()];
                for k in 0..n {
                    let mut w = base.clone();
                    w[k] ^= 1;
                    out.push(w);
                }
                out
            })
            .collect();
        for a in &words {
            for b in words.iter().filter(|b| b.len() == a.len()) {
                assert_eq!(bytes_eq(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn nodes_round_trip_through_entries() {
        let long = "z".repeat(if cfg!(miri) { 0x1_0003 } else { 70_000 });
        for s in [
            "",
            "x",
            "héllo",
            &"y".repeat(0xFFFE),
            &"w".repeat(0xFFFF),
            &long,
        ] {
            let l = layout(s.len()).unwrap();
            let mut buf = vec![0u8; l.size()];
            let node = NonNull::new(buf.as_mut_ptr()).unwrap();
            // SAFETY: `buf` has `l.size()` bytes and is ours.
            unsafe { write(node, s) };
            let e = NonNull::new(entry::pack(node, s.len())).unwrap();
            // SAFETY: `e` packs the node just written and its length; `buf` outlives the uses.
            unsafe {
                assert!(!entry_matches(ptr::null_mut(), s));
                assert_eq!(entry_str(e), s);
                assert!(entry_matches(e.as_ptr(), s));
                assert!(!entry_matches(e.as_ptr(), "other"));
            }
        }
    }
}
