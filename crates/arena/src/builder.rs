//! [`ArenasBuilder`]: how an [`ArenaSet`](crate::ArenaSet) is configured (pool, per-thread
//! limit, [`ThreadPolicy`], capacities).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use bumpalo::Bump;
use rayon::ThreadPool;

use crate::ArenaSet;
use crate::markers::{Kind, Scratch, Session};

/// Builder of [`ScratchArenas`](crate::ScratchArenas) (the only one with
/// [`max_retained_per_thread`](ArenasBuilder::max_retained_per_thread)).
pub type ScratchArenasBuilder = ArenasBuilder<Scratch>;

/// Which threads may allocate in a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ThreadPolicy {
    /// Workers of the set's pool, the driver (the thread that built the set), and threads
    /// added with [`ArenaSet::register_thread`]. Any other thread panics, with a message
    /// naming it. The default.
    #[default]
    Strict,
    /// Every thread: one not seen before gets its own arena on first use (a mutex-protected
    /// slow path, once per thread), then finds it through a thread-local cache. Arenas of
    /// threads that exit stay in the set, with their allocations, until the set is dropped.
    AnyThread,
}

/// Default for [`ScratchArenasBuilder::max_retained_per_thread`]: 4 MiB.
pub const DEFAULT_MAX_RETAINED: usize = 4 << 20;

/// Configures an [`ArenaSet`]: pool, per-thread limit, thread policy, capacities.
#[must_use]
pub struct ArenasBuilder<K: Kind = Session> {
    pub(crate) pool: Option<Arc<ThreadPool>>,
    pub(crate) limit: Option<usize>,
    pub(crate) policy: ThreadPolicy,
    pub(crate) initial_capacity: usize,
    pub(crate) max_retained: usize,
    pub(crate) _kind: PhantomData<fn() -> K>,
}

impl<K: Kind> fmt::Debug for ArenasBuilder<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArenasBuilder")
            .field(
                "workers",
                &self.pool.as_ref().map(|p| p.current_num_threads()),
            )
            .field("limit", &self.limit)
            .field("policy", &self.policy)
            .field("initial_capacity", &self.initial_capacity)
            .field("max_retained", &self.max_retained)
            .finish()
    }
}

impl<K: Kind> ArenasBuilder<K> {
    pub(crate) fn new() -> Self {
        ArenasBuilder {
            pool: None,
            limit: None,
            policy: ThreadPolicy::Strict,
            initial_capacity: 0,
            max_retained: DEFAULT_MAX_RETAINED,
            _kind: PhantomData,
        }
    }

    /// One arena per worker of `pool`, found by `pool.current_thread_index()`. Without a pool
    /// the set serves the driver and registered (or, under [`ThreadPolicy::AnyThread`], all)
    /// threads.
    pub fn pool(mut self, pool: Arc<ThreadPool>) -> Self {
        self.pool = Some(pool);
        self
    }

    /// Caps **each thread's arena** at `bytes` of capacity (memory taken from the global
    /// allocator, so it bounds real memory, not just live data), enforced by bumpalo's
    /// allocation limit when the arena needs a new chunk. A set with `n` arenas holds at most
    /// `n × bytes`. Per thread rather than per set so the allocation path shares no counter
    /// between threads. `try_` methods return [`AllocError`](crate::AllocError) past it; the
    /// others panic.
    pub fn limit_per_thread(mut self, bytes: usize) -> Self {
        self.limit = Some(bytes);
        self
    }

    /// Which threads may allocate; see [`ThreadPolicy`].
    pub fn thread_policy(mut self, policy: ThreadPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Give each arena a first chunk of at least `bytes` when it is created (default 0: the
    /// first allocation allocates it), e.g. to keep first-touch page faults out of a timed
    /// region.
    pub fn initial_capacity_per_thread(mut self, bytes: usize) -> Self {
        self.initial_capacity = bytes;
        self
    }

    /// Builds the set. The calling thread becomes its driver.
    pub fn build(self) -> ArenaSet<K> {
        let config = Config {
            limit: self.limit,
            initial_capacity: self.initial_capacity,
            max_retained: self.max_retained.max(self.initial_capacity),
        };
        ArenaSet::from_config(self.pool, self.policy, config)
    }
}

impl ArenasBuilder<Scratch> {
    /// Caps the capacity each arena keeps across [`reset`](ArenaSet::reset) (default
    /// [`DEFAULT_MAX_RETAINED`]). `Bump::reset` keeps the arena's largest chunk; when that
    /// chunk is bigger than this, reset replaces the whole `Bump` by a fresh one, so one
    /// unusually large pass does not pin its memory for the rest of the session. (The bound is
    /// never below [`initial_capacity_per_thread`](ArenasBuilder::initial_capacity_per_thread).)
    pub fn max_retained_per_thread(mut self, bytes: usize) -> Self {
        self.max_retained = bytes;
        self
    }
}

/// Per-set settings every new `Bump` is made with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub(crate) limit: Option<usize>,
    pub(crate) initial_capacity: usize,
    pub(crate) max_retained: usize,
}

impl Config {
    pub(crate) fn fresh_bump(&self) -> Bump {
        let bump = Bump::with_capacity(self.initial_capacity);
        bump.set_allocation_limit(self.limit);
        bump
    }
}
