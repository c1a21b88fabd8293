//! Renumbering, export and import (placeholder types until the next commit).

/// Order for [`Interner::renumber`](crate::Interner::renumber).
#[derive(Debug)]
pub enum Order<'a> {
    /// By string bytes.
    Lexicographic,
    /// The given strings first, in this order; the rest by string bytes.
    FirstOccurrence(&'a [&'a str]),
}

/// old → new id map.
#[derive(Debug)]
pub struct Remap {}

/// Import failure.
#[derive(Debug)]
pub struct ImportError {}
