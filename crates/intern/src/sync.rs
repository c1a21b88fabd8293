//! The one switch between std's and loom's synchronisation types.
//!
//! Every atomic, lock and spin hint that takes part in the interner's synchronisation comes
//! from here, so `RUSTFLAGS="--cfg loom"` swaps all of them for loom's model-checked versions
//! at once. Two things deliberately stay on std under loom, and say so where they are used:
//! the statistics counters in [`crate::stats`] (they publish no memory, so there is nothing for
//! loom to check and thread-local storage would not follow loom's threads anyway) and the
//! process-wide id counters.

#[cfg(loom)]
pub(crate) use loom::{
    hint::spin_loop,
    sync::{
        Mutex,
        atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering},
    },
    thread::yield_now,
};
#[cfg(not(loom))]
pub(crate) use std::{
    hint::spin_loop,
    sync::{
        Mutex,
        atomic::{AtomicPtr, AtomicU32, AtomicUsize, Ordering},
    },
    thread::yield_now,
};

/// Locks `m`, ignoring poisoning: the crate runs no user code while holding its locks, and
/// the data behind them (lists of spare ids) is consistent at every point a panic can start.
pub(crate) fn lock<T>(m: &Mutex<T>) -> impl std::ops::DerefMut<Target = T> + '_ {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Reads an atomic pointer through `&mut`.
#[cfg(not(loom))]
pub(crate) fn ptr_mut<T>(a: &mut AtomicPtr<T>) -> *mut T {
    *a.get_mut()
}
/// Reads an atomic pointer through `&mut` (loom spells it `with_mut`).
#[cfg(loom)]
pub(crate) fn ptr_mut<T>(a: &mut AtomicPtr<T>) -> *mut T {
    a.with_mut(|v| *v)
}

/// Reads an atomic u32 through `&mut`.
#[cfg(not(loom))]
pub(crate) fn u32_mut(a: &mut AtomicU32) -> u32 {
    *a.get_mut()
}
/// Reads an atomic u32 through `&mut` (loom spells it `with_mut`).
#[cfg(loom)]
pub(crate) fn u32_mut(a: &mut AtomicU32) -> u32 {
    a.with_mut(|v| *v)
}
