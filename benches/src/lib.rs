//! Shared code of tern's benches: the thread-count parameter, the criterion
//! settings every harness uses, a start/finish gate for timing several threads,
//! and the real-Rust corpus (files and lexed symbol streams). The corpus walk
//! and the counting global allocator come from `tern_tests`.
//!
//! Every bench puts a floor or a peer beside tern in the same run; see
//! `benches/RESULTS.md` for the tables and `scripts/bench.sh` for the command
//! that reproduces them.

pub mod corpus;
pub mod harness;
