//! A statistics counter.

use std::sync::atomic::{AtomicUsize, Ordering};

/// A count that threads update and that is read for reporting, or by a
/// thread that joined the updaters first.
///
/// Every access is `Relaxed`, which is enough because the counter publishes
/// no other memory (nobody reads data *because* of a value it saw), each
/// read-modify-write is atomic on its own so no update is lost, and a reader
/// that needs the final value reads after joining the updating threads: the
/// join orders their updates before the read.
#[derive(Debug, Default)]
pub struct Counter(AtomicUsize);

impl Counter {
    /// A counter at zero.
    pub const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// Sets the value.
    #[inline]
    pub fn set(&self, n: usize) {
        self.0.store(n, Ordering::Relaxed);
    }

    /// Adds `n` and returns the new value.
    #[inline]
    pub fn add(&self, n: usize) -> usize {
        self.0.fetch_add(n, Ordering::Relaxed).wrapping_add(n)
    }

    /// Subtracts `n`.
    #[inline]
    pub fn sub(&self, n: usize) {
        self.0.fetch_sub(n, Ordering::Relaxed);
    }

    /// Raises the value to `n` if it is lower (a running maximum).
    #[inline]
    pub fn max(&self, n: usize) {
        self.0.fetch_max(n, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::Counter;

    #[test]
    fn counts_across_threads() {
        let c = Counter::new();
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        c.add(2);
                        c.sub(1);
                    }
                });
            }
        });
        assert_eq!(c.get(), 4000);
        c.max(10);
        assert_eq!(c.get(), 4000);
        c.max(5000);
        assert_eq!(c.get(), 5000);
        c.set(3);
        assert_eq!(c.add(1), 4);
    }
}
