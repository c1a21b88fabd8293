//! Typed allocation methods of [`ArenaSet`]. Each `x`/`try_x` pair shares one body (a private
//! `x_in` returning a small [`Refusal`]); `x` turns a refusal into a panic
//! ([`ArenaSet::fail`]), `try_x` into an [`AllocError`] ([`ArenaSet::refused`]), both off the
//! hot path. Every body ends in `OwnedSlot::alloc`.

use std::alloc::Layout;
use std::iter;
use std::marker::PhantomData;
use std::mem::{align_of, needs_drop, size_of};
use std::ptr::{self, NonNull};
use std::slice;

use smallvec::SmallVec;

use crate::error::AllocError;
use crate::handle::LocalArena;
use crate::markers::Kind;
use crate::set::ArenaSet;
use crate::slot::{CHUNK, OwnedSlot, Refusal, ScratchBuf};

/// Compile-time refusal of types with destructors (see "Values that need `Drop` are refused"
/// on [`ArenaSet`]).
macro_rules! assert_no_drop {
    ($t:ty) => {
        const {
            assert!(
                !needs_drop::<$t>(),
                "tern-arena never runs destructors, so it refuses types that need Drop; \
                 copy the data in (alloc_str, alloc_slice_copy) or keep owners elsewhere"
            );
        }
    };
}

impl<K: Kind> ArenaSet<K> {
    /// Moves `value` into the calling thread's arena.
    ///
    /// Zero-sized values take no space. `T` must not need `Drop` (a compile-time error
    /// otherwise).
    ///
    /// # Panics
    ///
    /// Past the [per-thread limit](crate::ArenasBuilder::limit_per_thread), with the
    /// [`AllocError`] message; in a strict set, on a thread that does not belong to it.
    #[inline]
    #[track_caller]
    pub fn alloc<T>(&self, value: T) -> &mut T {
        self.local_arena().alloc(value)
    }

    /// [`alloc`](Self::alloc), returning an [`AllocError`] instead of panicking when the arena
    /// cannot grow. (The value is dropped on error, which for a type without `Drop` is
    /// nothing.)
    ///
    /// # Errors
    ///
    /// [`AllocError`] when the arena cannot grow: past the
    /// [per-thread limit](crate::ArenasBuilder::limit_per_thread), or when the global
    /// allocator refuses.
    #[inline]
    #[track_caller]
    pub fn try_alloc<T>(&self, value: T) -> Result<&mut T, AllocError> {
        self.local_arena().try_alloc(value)
    }

    /// Copies `s` into the calling thread's arena. Panics as [`alloc`](Self::alloc) does.
    ///
    /// The copy is a fresh allocation, so it is returned as `&mut str` (as bumpalo does) and
    /// can be edited in place:
    ///
    /// ```
    /// let arenas = tern_arena::Arenas::for_any_thread();
    /// let name = arenas.alloc_str("Main");
    /// name.make_ascii_lowercase();
    /// assert_eq!(name, "main");
    /// ```
    #[inline]
    #[track_caller]
    pub fn alloc_str(&self, s: &str) -> &mut str {
        self.local_arena().alloc_str(s)
    }

    /// [`alloc_str`](Self::alloc_str), returning an [`AllocError`] instead of panicking.
    ///
    /// # Errors
    ///
    /// [`AllocError`] when the arena cannot grow: past the
    /// [per-thread limit](crate::ArenasBuilder::limit_per_thread), or when the global
    /// allocator refuses.
    #[inline]
    #[track_caller]
    pub fn try_alloc_str(&self, s: &str) -> Result<&mut str, AllocError> {
        self.local_arena().try_alloc_str(s)
    }

    /// Copies `src` into the calling thread's arena. Panics as [`alloc`](Self::alloc) does.
    ///
    /// The copy is a fresh allocation, so it is returned as `&mut [T]` (as bumpalo does):
    /// scratch data can be sorted and edited in place.
    ///
    /// ```
    /// let scratch = tern_arena::ScratchArenas::for_any_thread();
    /// let sizes = scratch.alloc_slice_copy(&[30_u32, 10, 20]);
    /// sizes.sort_unstable();
    /// sizes[0] += 1;
    /// assert_eq!(sizes, &[11, 20, 30]);
    /// ```
    #[inline]
    #[track_caller]
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        self.local_arena().alloc_slice_copy(src)
    }

    /// [`alloc_slice_copy`](Self::alloc_slice_copy), returning an [`AllocError`] instead of
    /// panicking.
    ///
    /// # Errors
    ///
    /// [`AllocError`] when the arena cannot grow: past the
    /// [per-thread limit](crate::ArenasBuilder::limit_per_thread), or when the global
    /// allocator refuses.
    #[inline]
    #[track_caller]
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&mut [T], AllocError> {
        self.local_arena().try_alloc_slice_copy(src)
    }

    /// Collects `iter` into a slice in the calling thread's arena, returned as `&mut [T]`
    /// (a fresh allocation: it can be sorted or edited in place).
    ///
    /// ```
    /// let scratch = tern_arena::ScratchArenas::for_any_thread();
    /// let odd = scratch.alloc_from_iter((1..10_u32).rev().filter(|n| n % 2 == 1));
    /// odd.sort_unstable();
    /// assert_eq!(odd, &[1, 3, 5, 7, 9]);
    /// ```
    ///
    /// With an exact size hint (`lower == upper`) the items are written straight into an
    /// arena block of that length. Otherwise they are gathered in a per-thread reusable
    /// `SmallVec` scratch buffer (256 bytes inline, heap beyond; kept between calls up to
    /// 256 KiB) and copied into the arena once at the end, so the arena holds only the final
    /// slice, not the growth steps of a vector. A size hint that lies is tolerated (too high:
    /// the tail of the block is left unused; too low: the items move to the scratch path).
    /// Types aligned to more than 16 bytes take the inexact path through a per-call
    /// `SmallVec` instead of the reusable buffer.
    ///
    /// The iterator may itself allocate in the same set, including nested `alloc_from_iter`
    /// calls (they use a fresh scratch buffer). If it panics, nothing leaks and the scratch
    /// buffer is released; items already produced are forgotten, which is fine since `T`
    /// has no destructor.
    ///
    /// Panics as [`alloc`](Self::alloc) does.
    #[inline]
    #[track_caller]
    pub fn alloc_from_iter<T, I: IntoIterator<Item = T>>(&self, iter: I) -> &mut [T] {
        self.local_arena().alloc_from_iter(iter)
    }

    /// [`alloc_from_iter`](Self::alloc_from_iter), returning an [`AllocError`] instead of
    /// panicking. On error the iterator may have been partly or fully consumed.
    ///
    /// # Errors
    ///
    /// [`AllocError`] when the arena cannot grow: past the
    /// [per-thread limit](crate::ArenasBuilder::limit_per_thread), or when the global
    /// allocator refuses; or when the exact size hint overflows `isize` bytes.
    #[track_caller]
    pub fn try_alloc_from_iter<T, I: IntoIterator<Item = T>>(
        &self,
        iter: I,
    ) -> Result<&mut [T], AllocError> {
        self.local_arena().try_alloc_from_iter(iter)
    }

    /// Raw block of `layout` in the calling thread's arena, counted in [`stats`](Self::stats)
    /// (unlike `local().alloc_layout(..)`) and under the limit. A zero-size layout gets an
    /// aligned dangling pointer and takes no space. Panics as [`alloc`](Self::alloc) does.
    #[inline]
    #[track_caller]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        self.local_arena().alloc_layout(layout)
    }

    /// [`alloc_layout`](Self::alloc_layout), returning an [`AllocError`] instead of panicking.
    /// The block is valid for reads and writes of `layout.size()` bytes for as long as the set
    /// is borrowed (until `reset` or drop); what is written there is never dropped.
    ///
    /// # Errors
    ///
    /// [`AllocError`] when the arena cannot grow: past the
    /// [per-thread limit](crate::ArenasBuilder::limit_per_thread), or when the global
    /// allocator refuses.
    #[inline]
    #[track_caller]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        self.local_arena().try_alloc_layout(layout)
    }
}

impl<'a, K: Kind> LocalArena<'a, K> {
    /// As [`ArenaSet::alloc`], in this handle's arena.
    #[inline]
    #[track_caller]
    pub fn alloc<T>(&self, value: T) -> &'a mut T {
        let owned = self.owned;
        match alloc_in(owned, value) {
            Ok(r) => r,
            Err(r) => self.set.fail(owned, r),
        }
    }

    /// As [`ArenaSet::try_alloc`], in this handle's arena.
    ///
    /// # Errors
    ///
    /// As [`ArenaSet::try_alloc`].
    #[inline]
    #[track_caller]
    pub fn try_alloc<T>(&self, value: T) -> Result<&'a mut T, AllocError> {
        let owned = self.owned;
        alloc_in(owned, value).map_err(|r| self.set.refused(owned, r))
    }

    /// As [`ArenaSet::alloc_str`], in this handle's arena.
    #[inline]
    #[track_caller]
    pub fn alloc_str(&self, s: &str) -> &'a mut str {
        let owned = self.owned;
        match str_in(owned, s) {
            Ok(r) => r,
            Err(r) => self.set.fail(owned, r),
        }
    }

    /// As [`ArenaSet::try_alloc_str`], in this handle's arena.
    ///
    /// # Errors
    ///
    /// As [`ArenaSet::try_alloc_str`].
    #[inline]
    #[track_caller]
    pub fn try_alloc_str(&self, s: &str) -> Result<&'a mut str, AllocError> {
        let owned = self.owned;
        str_in(owned, s).map_err(|r| self.set.refused(owned, r))
    }

    /// As [`ArenaSet::alloc_slice_copy`], in this handle's arena.
    #[inline]
    #[track_caller]
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &'a mut [T] {
        let owned = self.owned;
        // SAFETY: `src` is a live slice, readable for its length, and `T` is `Copy`.
        match unsafe { copy_in(owned, src.as_ptr(), src.len()) } {
            Ok(r) => r,
            Err(r) => self.set.fail(owned, r),
        }
    }

    /// As [`ArenaSet::try_alloc_slice_copy`], in this handle's arena.
    ///
    /// # Errors
    ///
    /// As [`ArenaSet::try_alloc_slice_copy`].
    #[inline]
    #[track_caller]
    pub fn try_alloc_slice_copy<T: Copy>(&self, src: &[T]) -> Result<&'a mut [T], AllocError> {
        let owned = self.owned;
        // SAFETY: `src` is a live slice, readable for its length, and `T` is `Copy`.
        unsafe { copy_in(owned, src.as_ptr(), src.len()) }.map_err(|r| self.set.refused(owned, r))
    }

    /// As [`ArenaSet::alloc_from_iter`], in this handle's arena.
    #[inline]
    #[track_caller]
    pub fn alloc_from_iter<T, I: IntoIterator<Item = T>>(&self, iter: I) -> &'a mut [T] {
        let owned = self.owned;
        match iter_in(owned, iter) {
            Ok(r) => r,
            Err(r) => self.set.fail(owned, r),
        }
    }

    /// As [`ArenaSet::try_alloc_from_iter`], in this handle's arena.
    ///
    /// # Errors
    ///
    /// As [`ArenaSet::try_alloc_from_iter`].
    #[track_caller]
    pub fn try_alloc_from_iter<T, I: IntoIterator<Item = T>>(
        &self,
        iter: I,
    ) -> Result<&'a mut [T], AllocError> {
        let owned = self.owned;
        iter_in(owned, iter).map_err(|r| self.set.refused(owned, r))
    }

    /// As [`ArenaSet::alloc_layout`], in this handle's arena.
    #[inline]
    #[track_caller]
    pub fn alloc_layout(&self, layout: Layout) -> NonNull<u8> {
        let owned = self.owned;
        match layout_in(owned, layout) {
            Ok(r) => r,
            Err(r) => self.set.fail(owned, r),
        }
    }

    /// As [`ArenaSet::try_alloc_layout`], in this handle's arena.
    ///
    /// # Errors
    ///
    /// As [`ArenaSet::try_alloc_layout`].
    #[inline]
    #[track_caller]
    pub fn try_alloc_layout(&self, layout: Layout) -> Result<NonNull<u8>, AllocError> {
        let owned = self.owned;
        layout_in(owned, layout).map_err(|r| self.set.refused(owned, r))
    }
}

#[inline]
fn alloc_in<T>(owned: OwnedSlot<'_>, value: T) -> Result<&mut T, Refusal> {
    assert_no_drop!(T);
    let p = if size_of::<T>() == 0 {
        NonNull::<T>::dangling()
    } else {
        owned.alloc(Layout::new::<T>())?.cast::<T>()
    };
    // SAFETY: 1. `p` is either a fresh arena block of `Layout::new::<T>()` (aligned, valid
    // for a write of `T`, referenced by nobody else) or, for a zero-sized `T`, a dangling
    // aligned pointer, valid for zero-sized accesses; 2. the block stays allocated as long
    // as `&self` is borrowed (arena memory is freed only by `reset(&mut self)` or drop), so
    // the `&mut T` may live that long.
    unsafe {
        p.write(value);
        Ok(&mut *p.as_ptr())
    }
}

#[inline]
fn str_in<'a>(owned: OwnedSlot<'a>, s: &str) -> Result<&'a mut str, Refusal> {
    // SAFETY: `s` is a live slice, readable for its length, and `u8` is `Copy`.
    let bytes = unsafe { copy_in(owned, s.as_ptr(), s.len()) }?;
    // SAFETY: the bytes were copied unchanged from a `&str`, so they are valid UTF-8.
    Ok(unsafe { std::str::from_utf8_unchecked_mut(bytes) })
}

fn iter_in<T, I: IntoIterator<Item = T>>(
    owned: OwnedSlot<'_>,
    iter: I,
) -> Result<&mut [T], Refusal> {
    assert_no_drop!(T);
    let mut iter = iter.into_iter();
    if size_of::<T>() == 0 {
        let len = iter.by_ref().fold(0usize, |n, value| {
            std::mem::forget(value);
            n + 1
        });
        // SAFETY: for a zero-sized `T` a dangling aligned pointer is a valid slice of any
        // length, and a `&mut` to zero bytes aliases nothing; the `len` values were produced
        // by the iterator and forgotten (moved here), and `T` has no destructor.
        return Ok(unsafe { slice::from_raw_parts_mut(NonNull::<T>::dangling().as_ptr(), len) });
    }
    match iter.size_hint() {
        (lower, Some(upper)) if lower == upper && lower > 0 => collect_exact(owned, lower, iter),
        _ => collect_via_scratch(owned, &[], iter),
    }
}

#[inline]
fn layout_in(owned: OwnedSlot<'_>, layout: Layout) -> Result<NonNull<u8>, Refusal> {
    if layout.size() == 0 {
        // An address equal to the alignment is aligned and non-null; no provenance is
        // needed for zero-sized accesses.
        let dangling = ptr::without_provenance_mut::<u8>(layout.align());
        return Ok(NonNull::new(dangling).expect("alignment is non-zero"));
    }
    owned.alloc(layout)
}

/// Exact size hint: write the items straight into a block of `n`.
fn collect_exact<T>(
    owned: OwnedSlot<'_>,
    n: usize,
    mut iter: impl Iterator<Item = T>,
) -> Result<&mut [T], Refusal> {
    let layout = Layout::array::<T>(n).map_err(|_| Refusal::overflow::<T>())?;
    let base = owned.alloc(layout)?.cast::<T>();
    let mut len = 0;
    while len < n {
        let Some(value) = iter.next() else { break };
        // SAFETY: `len < n`, so `base + len` is inside the fresh block of `n` `T`s, and
        // nothing else refers to it. (The iterator may allocate in this arena meanwhile;
        // that cannot touch a block already handed out.)
        unsafe { base.add(len).write(value) };
        len += 1;
    }
    if len == n
        && let Some(value) = iter.next()
    {
        // The hint was too low: continue in the scratch buffer.
        // SAFETY: the first `n` items are initialised; the scratch path moves them out
        // bitwise and this block is never read again.
        let prefix = unsafe { slice::from_raw_parts(base.as_ptr(), n) };
        return collect_via_scratch(owned, prefix, iter::once(value).chain(iter));
    }
    // SAFETY: 1. the first `len` items are initialised and the block lives as long as the set
    // is borrowed; 2. the block is a fresh allocation of this thread's arena (`OwnedSlot::alloc`
    // never hands out overlapping blocks), referenced by nobody else, so the `&mut` is unique.
    Ok(unsafe { slice::from_raw_parts_mut(base.as_ptr(), len) })
}

/// Unknown length: gather in the thread's scratch buffer, then one copy into the arena.
/// `prefix` items come first; they are moved out bitwise and must not be used afterwards.
fn collect_via_scratch<'a, T>(
    owned: OwnedSlot<'a>,
    prefix: &[T],
    iter: impl Iterator<Item = T>,
) -> Result<&'a mut [T], Refusal> {
    // Both branches move the `prefix` items out bitwise: the caller hands them over and
    // never reads them again, and `T` has no destructor, so no value is dropped twice.
    if align_of::<T>() > CHUNK {
        // Too aligned for the 16-byte chunks: a local SmallVec of `T` does the same job.
        let mut items: SmallVec<[T; 4]> = SmallVec::new();
        // SAFETY: bitwise move of a handed-over `prefix` item (above).
        items.extend(prefix.iter().map(|p| unsafe { ptr::read(p) }));
        items.extend(iter);
        // SAFETY: `items` holds `items.len()` initialised `T`s, moved out by the copy.
        return unsafe { copy_in(owned, items.as_ptr(), items.len()) };
    }
    let mut fallback;
    let loan;
    let buf: &mut ScratchBuf = if let Some(l) = owned.take_scratch() {
        loan = l;
        &mut *loan.buf
    } else {
        // A re-entrant call (the iterator allocates from this set) holds the thread's
        // buffer: use a fresh one.
        fallback = ScratchBuf::new();
        &mut fallback
    };
    let mut writer = ScratchWriter::<T>::new(buf);
    for p in prefix {
        // SAFETY: bitwise move of a handed-over `prefix` item (above).
        writer.push(unsafe { ptr::read(p) });
    }
    for value in iter {
        writer.push(value);
    }
    // SAFETY: the writer holds `len` initialised `T`s at its (CHUNK-aligned) start, moved
    // out by the copy (the buffer is emptied when the loan drops).
    unsafe { copy_in(owned, writer.as_ptr(), writer.len) }
}

/// Copies `len` `T`s from `src` into a fresh arena block.
///
/// # Safety
///
/// `copy_in(owned, src, len)` is sound if and only if:
/// - `src` is valid for reads of `len` initialised, properly aligned `T`s (so their total
///   size fits in `isize`), and
/// - the caller treats the copies as moved (for `T: Copy`, or a `T` without destructor
///   whose originals are never used again).
#[inline]
unsafe fn copy_in<T>(owned: OwnedSlot<'_>, src: *const T, len: usize) -> Result<&mut [T], Refusal> {
    let layout = Layout::array::<T>(len).map_err(|_| Refusal::overflow::<T>())?;
    let dst = if layout.size() == 0 {
        NonNull::<T>::dangling()
    } else {
        owned.alloc(layout)?.cast::<T>()
    };
    // SAFETY: 1. `src` is readable for `len` `T`s (caller); `dst` is a fresh arena block of
    // `len` `T`s (or dangling for a zero-byte layout), so the two do not overlap; 2. the
    // block lives as long as the set is borrowed; 3. the `len` values are initialised after
    // the copy; 4. the block is referenced by nobody else (`OwnedSlot::alloc` never hands out
    // overlapping blocks; a zero-byte slice aliases nothing), so the `&mut` is unique.
    unsafe {
        ptr::copy_nonoverlapping(src, dst.as_ptr(), len);
        Ok(slice::from_raw_parts_mut(dst.as_ptr(), len))
    }
}

/// Typed pushes into an untyped chunk buffer. `T` is non-zero-sized with
/// `align_of::<T>() <= CHUNK`; the buffer's length is kept at 0 outside `grow`.
struct ScratchWriter<'b, T> {
    buf: &'b mut ScratchBuf,
    /// Initialised `T`s at the start of the buffer.
    len: usize,
    _t: PhantomData<T>,
}

impl<'b, T> ScratchWriter<'b, T> {
    fn new(buf: &'b mut ScratchBuf) -> Self {
        debug_assert!(size_of::<T>() > 0 && align_of::<T>() <= CHUNK && buf.is_empty());
        ScratchWriter {
            buf,
            len: 0,
            _t: PhantomData,
        }
    }

    #[inline]
    fn push(&mut self, value: T) {
        let end = (self.len + 1)
            .checked_mul(size_of::<T>())
            .expect("scratch size overflow");
        if end > self.buf.capacity() * CHUNK {
            self.grow(end);
        }
        // SAFETY: 1. the buffer has room for `len + 1` `T`s (just ensured), so slot `len` is in
        // bounds; 2. the buffer is `CHUNK`-aligned and `align_of::<T>() <= CHUNK`, and
        // `len * size_of::<T>()` is a multiple of `align_of::<T>()`, so the slot is aligned.
        unsafe { self.buf.as_mut_ptr().cast::<T>().add(self.len).write(value) };
        self.len += 1;
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, needed_bytes: usize) {
        let used_chunks = (self.len * size_of::<T>()).div_ceil(CHUNK);
        // SAFETY: the `len` items fit in the current capacity, so `used_chunks <= capacity`;
        // chunks are `Copy` `MaybeUninit` bytes, valid whatever they hold. With this length
        // the `reserve` below keeps those chunks (moving them if it reallocates).
        unsafe { self.buf.set_len(used_chunks) };
        self.buf.reserve(needed_bytes.div_ceil(CHUNK) - used_chunks);
        // SAFETY: length 0 is always valid and the chunks need no drop.
        unsafe { self.buf.set_len(0) };
    }

    fn as_ptr(&self) -> *const T {
        self.buf.as_ptr().cast::<T>()
    }
}
