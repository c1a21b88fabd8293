//! `ternc`: a parallel Rust front end whose passes are reclamation checkpoints.
//!
//! The binary's logic lives here so that tests and benches can drive it:
//! [`corpus`] finds the files, [`driver::compile`] runs the passes of
//! [`passes`] in a [`session::Session`], [`report`] prints the result and
//! [`timings`] draws the `--timings` picture.
//!
//! # Pipeline
//!
//! A [`session::Session`] owns the rayon pool, the string interner and the
//! type interner (each with its tern-quiesce collector and tern-arena arenas),
//! the session arenas that hold the ASTs and the scratch arenas. Every pass is
//! structured parallelism inside `pool.install` over the files, largest first
//! ([`passes::run_pass`]); each worker task registers a participant and passes
//! a quiescent state after every file; when `install` returns the driver runs
//! the checkpoint ([`session::checkpoint`]): interner checkpoints (outgrown
//! tables freed) and a scratch reset, all under `&mut`.
//!
//! 1. load: read and check the files ([`passes::load`]);
//! 2. parse: lex, intern and parse into the session arenas ([`syntax`]);
//! 3. collect: modules, items, the module tree and crates ([`passes::collect`]);
//! 4. types: signature types hash-consed ([`passes::types`]);
//! 5. resolve: imports and type paths ([`passes::resolve`]);
//! 6. report ([`report`]).
//!
//! # Example
//!
//! ```
//! use tern_compiler::{corpus, driver};
//!
//! let dir = std::env::temp_dir().join(format!("ternc-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(
//!     dir.join("lib.rs"),
//!     "pub struct S;\npub fn f(s: S) -> Option<S> { Some(s) }\n",
//! )
//! .unwrap();
//! let files = corpus::collect(&[dir.clone()], corpus::WalkOptions::default()).unwrap();
//! let opts = driver::Options { threads: 2, ..driver::Options::default() };
//! let report = driver::compile(&files, &opts).unwrap().report;
//! assert_eq!((report.files(), report.items, report.crates), (1, 2, 1));
//! // `S` twice in the signature resolves in the crate; `Option` is the prelude's.
//! assert_eq!((report.resolved, report.external, report.unresolved), (2, 1, 0));
//! assert!(report.diagnostics.is_empty());
//! std::fs::remove_dir_all(&dir).unwrap();
//! ```

pub mod cli;
pub mod corpus;
pub mod driver;
pub mod passes;
pub mod report;
pub mod session;
pub mod syntax;
pub mod timings;
