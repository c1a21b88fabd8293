//! Helpers shared by tern's tests and benches, and (in `tests/*.rs`) the
//! cross-crate, stress and fault tests.
//!
//! - [`corpus`]: the one walk over real Rust sources (the local cargo
//!   registry's crates and this workspace), in a fixed order;
//! - [`alloc`]: the one counting global allocator (live and peak bytes,
//!   calls, per-thread calls, and blocks of marked threads);
//! - [`counter`]: a statistics counter, the one place that says why
//!   `Relaxed` is enough for it.
//!
//! The library depends on no tern crate, so every tern crate can take it as
//! a dev-dependency without a cycle.

pub mod alloc;
pub mod corpus;
pub mod counter;
