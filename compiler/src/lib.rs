//! `ternc`: a parallel Rust front end whose passes are reclamation checkpoints.
//!
//! The binary's logic lives here so that tests and benches can drive it:
//! [`corpus`] finds the files, [`driver::compile`] runs the passes of
//! [`passes`] in a [`session::Session`], [`report`] prints the result and
//! [`timings`] draws the `--timings` picture.

pub mod cli;
pub mod corpus;
pub mod driver;
pub mod passes;
pub mod report;
pub mod session;
pub mod syntax;
pub mod timings;
