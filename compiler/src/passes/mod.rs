//! The passes of `ternc`, one module each, every one a [`tern_session::Session::pass`]:
//! the session runs the files on its pool, largest first (load: in path order, behind its
//! read-ahead), with a quiescent state after every file and a checkpoint after the pass. Each module's `run` takes the session and
//! what the earlier passes produced, and returns what the later ones need.
//!
//! 1. [`load`]: read and check the files;
//! 2. [`parse`]: lex, intern and parse into the session arenas;
//! 3. [`collect`]: modules and items per file, then the module tree;
//! 4. [`types`]: signature types, hash-consed;
//! 5. [`resolve`]: imports and type paths.

pub mod collect;
pub mod load;
pub mod parse;
pub mod resolve;
pub mod types;

pub use tern_session::Schedule;
