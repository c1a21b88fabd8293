//! The one switch between std's and loom's synchronisation types.
//!
//! Everything in the crate that synchronises goes through this module, so that
//! `RUSTFLAGS="--cfg loom"` swaps every atomic, lock, `Arc`, yield and spin hint for loom's
//! model-checked versions at once. The few operations whose spelling differs between the
//! two (`get_mut` on atomics, lock poisoning) get a small helper here so that the rest of
//! the crate reads the same under both.

#[cfg(loom)]
pub use loom::sync::atomic::AtomicPtr;
#[cfg(loom)]
pub(crate) use loom::{
    hint::spin_loop,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, AtomicUsize, Ordering, fence},
    },
    thread::{ThreadId, yield_now},
};
#[cfg(not(loom))]
pub use std::sync::atomic::AtomicPtr;
#[cfg(not(loom))]
pub(crate) use std::{
    hint::spin_loop,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicU64, AtomicUsize, Ordering, fence},
    },
    thread::{ThreadId, yield_now},
};

/// The calling thread's id (loom's own thread ids under loom, whose threads share one OS
/// thread).
pub(crate) fn current_thread_id() -> ThreadId {
    #[cfg(loom)]
    return loom::thread::current().id();
    #[cfg(not(loom))]
    return std::thread::current().id();
}

/// Locks `m`, ignoring poisoning.
///
/// The crate never runs user code (destructors) while it holds one of its own locks, so a
/// poisoned lock can only mean a bug in this crate that already panicked; the protected
/// data is plain bookkeeping (lists of slots and batches) that stays consistent at every
/// point where a panic could surface, so carrying on is sound.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Like [`lock`], but gives up at once when the lock is held (helping is optional).
pub(crate) fn try_lock<T>(m: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match m.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// Exclusive access to a lock's data through `&mut` (no locking, no atomics).
pub(crate) fn get_mut<T>(m: &mut Mutex<T>) -> &mut T {
    m.get_mut()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Sets a `u64` atomic through `&mut`.
#[cfg(not(loom))]
pub(crate) fn set_mut_u64(a: &mut AtomicU64, n: u64) {
    *a.get_mut() = n;
}
/// Sets a `u64` atomic through `&mut` (loom spells `get_mut` as `with_mut`).
#[cfg(loom)]
pub(crate) fn set_mut_u64(a: &mut AtomicU64, n: u64) {
    a.with_mut(|v| *v = n);
}

/// Sets a `usize` atomic through `&mut`.
#[cfg(not(loom))]
pub(crate) fn set_mut_usize(a: &mut AtomicUsize, n: usize) {
    *a.get_mut() = n;
}
/// Sets a `usize` atomic through `&mut` (loom spells `get_mut` as `with_mut`).
#[cfg(loom)]
pub(crate) fn set_mut_usize(a: &mut AtomicUsize, n: usize) {
    a.with_mut(|v| *v = n);
}

/// Waiting policy for [`synchronize`](crate::Collector::synchronize): spin briefly with the
/// CPU's spin hint, then yield the thread, then sleep in growing steps (capped at 1 ms) so
/// that a long wait for a participant that is busy between quiescent states costs no CPU.
/// Under loom and Miri it only yields: they schedule threads themselves and have no clock.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    step: u32,
}

impl Backoff {
    const SPIN_LIMIT: u32 = 6;
    const YIELD_LIMIT: u32 = 10;

    pub(crate) fn snooze(&mut self) {
        if cfg!(any(loom, miri)) {
            yield_now();
            return;
        }
        if self.step <= Self::SPIN_LIMIT {
            for _ in 0..(1u32 << self.step) {
                spin_loop();
            }
        } else if self.step <= Self::YIELD_LIMIT {
            yield_now();
        } else {
            let micros = 1u64 << (self.step - Self::YIELD_LIMIT).min(10);
            sleep(std::time::Duration::from_micros(micros.min(1000)));
        }
        self.step = self.step.saturating_add(1);
    }
}

#[cfg(not(loom))]
fn sleep(d: std::time::Duration) {
    std::thread::sleep(d);
}
#[cfg(loom)]
fn sleep(_: std::time::Duration) {
    yield_now();
}

/// A statistics counter. Every access is `Relaxed`, for one reason stated here once: a
/// counter publishes no memory and orders nothing; a reader wants some recent value, exact
/// once the writers are joined or the reader holds the lock their updates happen under.
/// Plain std atomics even under loom: there is nothing for the model to check, and fewer
/// loom atomics mean fewer interleavings to explore.
#[derive(Debug, Default)]
pub(crate) struct Stat(std::sync::atomic::AtomicU64);

impl Stat {
    pub(crate) fn get(&self) -> u64 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Adds `n`, returning the value before (a read-modify-write: for counters several
    /// threads update, on rare paths).
    pub(crate) fn add(&self, n: u64) -> u64 {
        self.0.fetch_add(n, std::sync::atomic::Ordering::Relaxed)
    }

    /// Publishes a running total kept privately by the counter's only writer (a plain
    /// store: no read-modify-write on a shared line).
    pub(crate) fn publish(&self, total: u64) {
        self.0.store(total, std::sync::atomic::Ordering::Relaxed);
    }

    /// Raises the counter to at least `v` (reading first: most calls change nothing, and a
    /// plain load keeps the line shared).
    pub(crate) fn raise(&self, v: u64) {
        if self.get() < v {
            self.0.fetch_max(v, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Adds through `&mut` (no atomic instruction: `&mut` proves exclusivity).
    pub(crate) fn add_mut(&mut self, n: u64) {
        *self.0.get_mut() += n;
    }
}
