//! Tagged words: the two slot formats of the hash table and the id table's entries.
//!
//! Every word the crate packs extra bits into is encoded and decoded here, so that a probe or
//! a `resolve` decides from one word without loading anything else:
//!
//! ```text
//!  IdSlot  (string tables, 4 bytes): [ tag: top 4 bits of the hash  | id (28 bits)           ]
//!  PtrSlot (value tables, 8 bytes):  [ tag: top 16 bits of the hash | node address (48 bits) ]
//!  entry   (id table, 8 bytes):      [ length (16 bits, 0: in the node) | node address (48 bits) ]
//! ```
//!
//! A *slot* is one cell of the hash table. Its word is EMPTY (all zero), a NODE word (a key
//! with its tag), or one of two markers a migration leaves behind, SEALED and MOVED (see the
//! `raw` module). Markers are words no key can have: for [`IdSlot`] the id bits are zero (ids
//! start at 1) under a non-zero tag; for [`PtrSlot`] the addresses 1 and 3 (nodes are at least
//! 2-aligned).
//!
//! Pointers keep their provenance through `map_addr`: tags and lengths live in the address's
//! unused high bits on 64-bit `x86_64` (not the x32 ABI, whose pointers are 32 bits), whose
//! user-space addresses stay below 2^47 unless a program asks the kernel for more (5-level
//! paging) or turns on linear address masking; such an address makes packing panic with a
//! clear message, before the insert takes an id. Other targets pack nothing: on aarch64 the
//! top byte may carry a tag of its own (Android's tagged pointers, MTE, hardware address
//! sanitizer), and 32-bit targets have no spare bits. There value slots carry no tag and
//! entries no length (string nodes then always carry their length, see `node`).

use core::ptr::{self, NonNull};

use crate::symbol::ID_MASK;
use crate::sync::{AtomicPtr, AtomicU32, Ordering};

/// How a slot's word encodes a key. The table (`raw`) is written once against this trait;
/// string tables store ids ([`IdSlot`]), value tables node addresses ([`PtrSlot`]).
pub(crate) trait SlotFormat: 'static {
    /// The atomic cell of one slot.
    type Cell: Send + Sync;
    /// A slot's value.
    type Word: Copy + Eq;
    /// What a NODE word refers to.
    type Key: Copy + Ord;
    /// The tag bits of a hash, in the position [`SlotFormat::tag_of`] returns them.
    type Tag: Copy + Eq;

    /// `n` EMPTY cells.
    fn cells(n: usize) -> Box<[Self::Cell]>;
    fn load(cell: &Self::Cell, order: Ordering) -> Self::Word;
    fn store(cell: &Self::Cell, word: Self::Word, order: Ordering);
    fn compare_exchange(
        cell: &Self::Cell,
        current: Self::Word,
        new: Self::Word,
        success: Ordering,
        failure: Ordering,
    ) -> Result<Self::Word, Self::Word>;
    fn sealed() -> Self::Word;
    fn moved() -> Self::Word;
    fn is_empty(word: Self::Word) -> bool;
    /// Whether `word` is SEALED or MOVED.
    fn is_marker(word: Self::Word) -> bool;

    /// The tag a key with this hash carries.
    fn tag(hash: u64) -> Self::Tag;
    /// The tag of a NODE word.
    fn tag_of(word: Self::Word) -> Self::Tag;
    /// The NODE word for `key` with this hash.
    fn pack(key: Self::Key, hash: u64) -> Self::Word;
    /// The key of a NODE word (not EMPTY, not a marker).
    fn key(word: Self::Word) -> Self::Key;
}

/// String tables: a slot holds the symbol's id (28 bits) under the top 4 bits of its hash.
///
/// Four bytes a slot, so a cache line holds 16 of them; the string's bytes and length are
/// reached through the id table. A tag of 4 bits lets one probed slot of another key in 16
/// through to the id table (whose entry then rejects it by length almost always).
#[derive(Debug)]
pub(crate) struct IdSlot;

/// SEALED for id slots: tag 1, id 0.
const ID_SEALED: u32 = 1 << 28;
/// MOVED for id slots: tag 2, id 0.
const ID_MOVED: u32 = 2 << 28;
const _: () = assert!(
    ID_MASK == (1 << 28) - 1,
    "id slots put the tag above 28 id bits"
);

impl SlotFormat for IdSlot {
    type Cell = AtomicU32;
    type Word = u32;
    type Key = u32;
    type Tag = u32;

    fn cells(n: usize) -> Box<[AtomicU32]> {
        #[cfg(not(loom))]
        {
            // SAFETY: `AtomicU32` has the in-memory representation of `u32`, for which all-zero
            // bits are 0 (EMPTY): every element is a valid EMPTY cell.
            unsafe { Box::<[AtomicU32]>::new_zeroed_slice(n).assume_init() }
        }
        #[cfg(loom)]
        {
            (0..n).map(|_| AtomicU32::new(0)).collect()
        }
    }
    #[inline]
    fn load(cell: &AtomicU32, order: Ordering) -> u32 {
        cell.load(order)
    }
    #[inline]
    fn store(cell: &AtomicU32, word: u32, order: Ordering) {
        cell.store(word, order);
    }
    #[inline]
    fn compare_exchange(
        cell: &AtomicU32,
        current: u32,
        new: u32,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u32, u32> {
        cell.compare_exchange(current, new, success, failure)
    }
    #[inline]
    fn sealed() -> u32 {
        ID_SEALED
    }
    #[inline]
    fn moved() -> u32 {
        ID_MOVED
    }
    #[inline]
    fn is_empty(word: u32) -> bool {
        word == 0
    }
    #[inline]
    fn is_marker(word: u32) -> bool {
        word != 0 && word & ID_MASK == 0
    }
    #[inline]
    fn tag(hash: u64) -> u32 {
        ((hash >> 60) as u32) << 28
    }
    #[inline]
    fn tag_of(word: u32) -> u32 {
        word & !ID_MASK
    }
    #[inline]
    fn pack(id: u32, hash: u64) -> u32 {
        debug_assert!(id != 0 && id < ID_MASK, "id {id} out of the slot's range");
        Self::tag(hash) | id
    }
    #[inline]
    fn key(word: u32) -> u32 {
        word & ID_MASK
    }
}

/// Value tables: a slot holds the node's address under the top 16 bits of its hash (no tag
/// off `x86_64`).
#[derive(Debug)]
pub(crate) struct PtrSlot;

/// Address of the SEALED marker for pointer slots.
const PTR_SEALED: usize = 1;
/// Address of the MOVED marker for pointer slots.
const PTR_MOVED: usize = 3;

#[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
mod high {
    //! The unused top 16 bits of `x86_64` user-space pointers.
    pub(super) const SHIFT: u32 = 48;
    pub(super) const ADDR_MASK: usize = (1 << SHIFT) - 1;
}

#[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
mod high {
    //! No pointer bits taken.
    pub(super) const ADDR_MASK: usize = usize::MAX;
}

/// Checks that `p` leaves the high bits free (an invariant, not a debug check: a pointer with
/// high bits set cannot carry a tag or a length).
#[inline]
fn check_addr(p: *mut u8, what: &str) {
    assert!(
        p.addr() & !high::ADDR_MASK == 0,
        "tern-intern: node address {:#x} uses the pointer bits reserved for {what}",
        p.addr()
    );
}

impl SlotFormat for PtrSlot {
    type Cell = AtomicPtr<u8>;
    type Word = *mut u8;
    type Key = NonNull<u8>;
    type Tag = usize;

    fn cells(n: usize) -> Box<[AtomicPtr<u8>]> {
        null_cells(n)
    }
    #[inline]
    fn load(cell: &AtomicPtr<u8>, order: Ordering) -> *mut u8 {
        cell.load(order)
    }
    #[inline]
    fn store(cell: &AtomicPtr<u8>, word: *mut u8, order: Ordering) {
        cell.store(word, order);
    }
    #[inline]
    fn compare_exchange(
        cell: &AtomicPtr<u8>,
        current: *mut u8,
        new: *mut u8,
        success: Ordering,
        failure: Ordering,
    ) -> Result<*mut u8, *mut u8> {
        cell.compare_exchange(current, new, success, failure)
    }
    #[inline]
    fn sealed() -> *mut u8 {
        ptr::without_provenance_mut(PTR_SEALED)
    }
    #[inline]
    fn moved() -> *mut u8 {
        ptr::without_provenance_mut(PTR_MOVED)
    }
    #[inline]
    fn is_empty(word: *mut u8) -> bool {
        word.is_null()
    }
    #[inline]
    fn is_marker(word: *mut u8) -> bool {
        // Both markers have the low bit set; node words never do (nodes are 2-aligned and
        // tags use only the high bits).
        word.addr() & 1 != 0
    }
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    #[inline]
    fn tag(hash: u64) -> usize {
        ((hash >> high::SHIFT) as usize) << high::SHIFT
    }
    #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
    #[inline]
    fn tag(_hash: u64) -> usize {
        0
    }
    #[inline]
    fn tag_of(word: *mut u8) -> usize {
        word.addr() & !high::ADDR_MASK
    }
    #[inline]
    fn pack(node: NonNull<u8>, hash: u64) -> *mut u8 {
        let p = node.as_ptr();
        check_addr(p, "hash tags");
        p.map_addr(|a| a | Self::tag(hash))
    }
    #[inline]
    fn key(word: *mut u8) -> NonNull<u8> {
        // SAFETY: only called on NODE words, whose address bits are a non-null node address.
        unsafe { NonNull::new_unchecked(word.map_addr(|a| a & high::ADDR_MASK)) }
    }
}

/// `n` atomic pointers, all null: zeroed memory straight from the allocator (`calloc`: large
/// blocks come as fresh zero pages, no loop, no memset), except under loom, whose atomics are
/// not plain memory.
pub(crate) fn null_cells(n: usize) -> Box<[AtomicPtr<u8>]> {
    #[cfg(not(loom))]
    {
        // SAFETY: `AtomicPtr<u8>` has the same in-memory representation as `*mut u8`, for
        // which all-zero bits are the null pointer: every element is a valid null atomic.
        unsafe { Box::<[AtomicPtr<u8>]>::new_zeroed_slice(n).assume_init() }
    }
    #[cfg(loom)]
    {
        (0..n).map(|_| AtomicPtr::new(ptr::null_mut())).collect()
    }
}

/// Id-table entries: the string node's address with the string's length in the top 16 bits
/// on `x86_64`, so that `resolve` builds the `&str` from the entry alone (one load).
/// The length field is 0 when the length is in the node's header instead (see `node`): for the
/// empty string, for lengths of [`entry::LONG`] or more, and for every string on other
/// targets. So one test of the field sends both an unused entry (all zero) and a string with a
/// header to the slow path.
pub(crate) mod entry {
    use core::ptr::NonNull;

    /// Strings this long or longer keep their length in the node.
    pub(crate) const LONG: usize = 0xFFFF;

    /// Whether the entry of a string of `len` bytes carries its length.
    #[inline]
    pub(crate) fn holds_len(len: usize) -> bool {
        cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) && len != 0 && len < LONG
    }

    /// The entry for `node` holding a string of `len` bytes.
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    #[inline]
    pub(crate) fn pack(node: NonNull<u8>, len: usize) -> *mut u8 {
        let p = node.as_ptr();
        super::check_addr(p, "lengths");
        let field = if holds_len(len) { len } else { 0 };
        p.map_addr(|a| a | (field << super::high::SHIFT))
    }

    /// The length an entry word holds, or `None` (the entry is unused, or the length is in
    /// the node): the fast path of `resolve`, one shift.
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    #[inline]
    pub(crate) fn len_of(e: *mut u8) -> Option<usize> {
        let len = e.addr() >> super::high::SHIFT;
        (len != 0).then_some(len)
    }

    /// The node of an entry, and the length if the entry holds it.
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    #[inline]
    pub(crate) fn unpack(e: NonNull<u8>) -> (NonNull<u8>, Option<usize>) {
        let p = e.as_ptr();
        // SAFETY: the address bits are the non-null node address `pack` received.
        let node = unsafe { NonNull::new_unchecked(p.map_addr(|a| a & super::high::ADDR_MASK)) };
        (node, len_of(p))
    }

    /// The node address of an entry word, with the entry's provenance.
    #[cfg(all(target_arch = "x86_64", target_pointer_width = "64"))]
    #[inline]
    pub(crate) fn node_of(e: *mut u8) -> *mut u8 {
        e.map_addr(|a| a & super::high::ADDR_MASK)
    }

    /// Off `x86_64`: no bits taken, the entry is the node.
    #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
    #[inline]
    pub(crate) fn pack(node: NonNull<u8>, _len: usize) -> *mut u8 {
        node.as_ptr()
    }

    /// Off `x86_64`: the length is always read from the node.
    #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
    #[inline]
    pub(crate) fn len_of(_e: *mut u8) -> Option<usize> {
        None
    }

    /// Off `x86_64`: the length is always read from the node.
    #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
    #[inline]
    pub(crate) fn unpack(e: NonNull<u8>) -> (NonNull<u8>, Option<usize>) {
        (e, None)
    }

    /// Off `x86_64`: the entry is the node.
    #[cfg(not(all(target_arch = "x86_64", target_pointer_width = "64")))]
    #[inline]
    pub(crate) fn node_of(e: *mut u8) -> *mut u8 {
        e
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn id_slot_words() {
        let h = 0xA000_0000_0000_0001_u64;
        let w = IdSlot::pack(7, h);
        assert_eq!(IdSlot::key(w), 7);
        assert_eq!(IdSlot::tag_of(w), IdSlot::tag(h));
        assert!(!IdSlot::is_marker(w) && !IdSlot::is_empty(w));
        assert!(IdSlot::is_marker(IdSlot::sealed()) && IdSlot::is_marker(IdSlot::moved()));
        assert!(!IdSlot::is_marker(0) && IdSlot::is_empty(0));
        // A key whose tag is a marker's tag is still a key.
        let w = IdSlot::pack(ID_MASK - 1, 0x1000_0000_0000_0000);
        assert_eq!(IdSlot::tag_of(w), IdSlot::tag_of(ID_SEALED));
        assert!(!IdSlot::is_marker(w));
    }

    #[test]
    fn entries_carry_short_lengths() {
        let mut x = [0u8; 2];
        let p = NonNull::from(&mut x).cast::<u8>();
        let (n, len) = entry::unpack(NonNull::new(entry::pack(p, 5)).unwrap());
        assert_eq!(n, p);
        if cfg!(all(target_arch = "x86_64", target_pointer_width = "64")) {
            assert_eq!(len, Some(5));
            for in_node in [0, entry::LONG, 70_000] {
                let (_, l) = entry::unpack(NonNull::new(entry::pack(p, in_node)).unwrap());
                assert_eq!(l, None, "{in_node}");
            }
        }
        assert_eq!(entry::len_of(ptr::null_mut()), None);
    }
}
