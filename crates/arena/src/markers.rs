//! The kind markers of an [`ArenaSet`](crate::ArenaSet): [`Session`] and [`Scratch`], and
//! the two set types named after them.

use crate::ArenaSet;

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Session {}
    impl Sealed for super::Scratch {}
}

/// Marks what an [`ArenaSet`] is for. Sealed: [`Session`] and [`Scratch`] are the only kinds.
pub trait Kind: sealed::Sealed + 'static {}

/// Kind of [`Arenas`]: allocations live as long as the set.
#[derive(Debug)]
pub enum Session {}
/// Kind of [`ScratchArenas`]: allocations live until the next [`ScratchArenas::reset`].
#[derive(Debug)]
pub enum Scratch {}
impl Kind for Session {}
impl Kind for Scratch {}

/// Session arenas: one `Bump` per worker of a rayon pool, one for the driver thread, and one
/// per registered thread; allocations live as long as the set.
pub type Arenas = ArenaSet<Session>;
/// Pass-scoped arenas: the same shape as [`Arenas`], emptied all at once by
/// [`reset`](ArenaSet::reset).
pub type ScratchArenas = ArenaSet<Scratch>;
