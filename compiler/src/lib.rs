//! `ternc`: a parallel Rust front end whose passes are reclamation checkpoints.
//!
//! The binary's logic lives here so that tests and benches can drive it:
//! [`corpus`] finds the files, [`driver::compile`] runs the passes of
//! [`passes`] on a [`tern_session::Session`], [`report`] prints the result and
//! [`timings`] draws the `--timings` picture.
//!
//! # Pipeline
//!
//! A [`tern_session::Session`] owns the rayon pool, one tern-quiesce collector,
//! the string interner and the scratch arenas; the driver keeps the session
//! arenas that hold the ASTs and the type interner (both built by the session, on
//! its pool and collector), so the ASTs survive the passes while each pass takes
//! the session by `&mut`. Every pass is one `session.pass_sized` over the files,
//! largest first: each worker task holds a participant and passes a quiescent
//! state after every file, so interner tables outgrown during a pass are freed
//! during it; the checkpoint after the pass frees the rest and resets scratch.
//! No code here needs `unsafe`.
//!
//! 1. load: read and check the files ([`passes::load`]);
//! 2. parse: lex, intern and parse into the session arenas ([`passes::parse`]);
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
pub mod revisions;
pub mod syntax;
pub mod timings;
