//! The error of the `try_` allocation methods.

use std::fmt;

/// Why an allocation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AllocErrorKind {
    /// The thread's arena would have grown past the per-thread limit set with
    /// [`ArenasBuilder::limit_per_thread`](crate::ArenasBuilder::limit_per_thread). With a
    /// limit set, every refusal by the arena is reported as this kind.
    LimitExceeded,
    /// No limit is set and the global allocator refused a new chunk.
    OutOfMemory,
    /// The requested size (element count × element size) overflows `isize`.
    SizeOverflow,
}

/// An allocation a `try_` method could not make: what was asked, the limit, and the usage of
/// the arena that refused it.
///
/// The infallible methods (`alloc`, `alloc_str`, ...) panic with this error's message when a
/// limit is set, and call [`std::alloc::handle_alloc_error`] on plain out-of-memory, as `Box`
/// does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllocError {
    pub(crate) kind: AllocErrorKind,
    pub(crate) size: usize,
    pub(crate) align: usize,
    pub(crate) limit: Option<usize>,
    pub(crate) used: usize,
    pub(crate) capacity: usize,
    pub(crate) thread: String,
}

impl AllocError {
    /// Why it failed.
    pub fn kind(&self) -> AllocErrorKind {
        self.kind
    }
    /// Requested size in bytes (`usize::MAX` for [`AllocErrorKind::SizeOverflow`]).
    pub fn requested_size(&self) -> usize {
        self.size
    }
    /// Requested alignment in bytes.
    pub fn requested_align(&self) -> usize {
        self.align
    }
    /// The per-thread limit in force, if any.
    pub fn limit(&self) -> Option<usize> {
        self.limit
    }
    /// Bytes the refusing arena had handed out (see [`WorkerStats::used`](crate::WorkerStats::used)).
    pub fn used(&self) -> usize {
        self.used
    }
    /// Bytes the refusing arena held from the global allocator.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// The refusing arena's label, e.g. `worker 1`, `driver`, `thread 'lexer' (ThreadId(4))`.
    pub fn thread(&self) -> &str {
        &self.thread
    }
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let AllocError {
            size,
            align,
            used,
            capacity,
            ..
        } = self;
        let who = &self.thread;
        match (self.kind, self.limit) {
            (AllocErrorKind::SizeOverflow, _) => write!(
                f,
                "tern-arena: {who} cannot allocate: the requested size overflows (align {align})"
            ),
            (AllocErrorKind::LimitExceeded, Some(limit)) => write!(
                f,
                "tern-arena: {who} cannot allocate {size} bytes (align {align}): its arena would \
                 exceed the per-thread limit of {limit} bytes ({used} bytes used, {capacity} \
                 bytes of capacity)"
            ),
            _ => write!(
                f,
                "tern-arena: {who} cannot allocate {size} bytes (align {align}): the global \
                 allocator refused ({used} bytes used, {capacity} bytes of capacity)"
            ),
        }
    }
}

impl std::error::Error for AllocError {}
