//! Pass 2, parse: lex, intern and parse every file into the session arenas.
//!
//! Identifiers are interned through the task's context, so the interner tables outgrown
//! while parsing are freed during the pass. Each worker also marks, in a per-worker bitmap,
//! the identifier symbols it met; the bitmaps are OR-ed once after the pass to count the
//! distinct identifiers (one bit test per identifier token instead of a per-file sort).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use tern_arena::Arenas;
use tern_session::{Session, TaskCx};

use crate::driver::Progress;
use crate::report::Diagnostic;
use crate::syntax::{self, FileId, SourceFile, Symbol, Token, TokenKind};

/// The parser interns through the task's context (covered by its participant).
impl syntax::Intern for TaskCx<'_> {
    #[inline]
    fn intern(&self, s: &str) -> Symbol {
        TaskCx::intern(self, s)
    }
}

std::thread_local! {
    /// Per-worker token buffer, reused across files.
    static TOKENS: RefCell<Vec<Token>> = const { RefCell::new(Vec::new()) };
    /// Per-worker bitmap of the identifier symbols met during the run `.0` (a later run on
    /// the same thread starts clean).
    static SEEN_IDENTS: RefCell<(u64, Vec<u64>)> = const { RefCell::new((0, Vec::new())) };
}

/// A process-unique id for one run (never 0, the thread-locals' initial key).
fn next_run_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    // Relaxed: only uniqueness matters; no other memory is published through the id.
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// What the parse pass produced.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// Each file's syntax tree (in the session arenas), `None` for a rejected file.
    pub asts: Vec<Option<SourceFile<'a>>>,
    /// Syntax errors.
    pub diagnostics: Vec<Diagnostic>,
    /// Distinct identifier texts (keywords used as identifiers included).
    pub idents_distinct: u64,
}

/// Parses every loaded file into `ast`, largest first.
pub fn run<'a>(
    s: &mut Session,
    ast: &'a Arenas,
    texts: &[Option<String>],
    sizes: &[u64],
    progress: &Progress,
) -> Parsed<'a> {
    progress.start("parse", texts.len());
    let run_id = next_run_id();
    let parsed = s.pass_sized("parse", sizes, |cx, i| {
        let src = texts[i].as_deref()?;
        let mut diags = Vec::new();
        let file = TOKENS.with(|tokens| {
            let tokens = &mut *tokens.borrow_mut();
            let file = syntax::parse_with_buffer(
                src,
                FileId(i as u32),
                ast.local_arena(),
                cx,
                tokens,
                &mut diags,
            );
            mark_identifiers(run_id, src, tokens);
            file
        });
        progress.tick();
        Some((file, diags))
    });
    let mut out = Parsed {
        asts: Vec::with_capacity(texts.len()),
        diagnostics: Vec::new(),
        idents_distinct: 0,
    };
    for p in parsed {
        out.asts.push(p.map(|(file, diags)| {
            out.diagnostics.extend(diags);
            file
        }));
    }
    // Per-worker flushing between passes: every worker's bitmap, OR-ed.
    let mut seen: Vec<u64> = Vec::new();
    for bits in s.pool().broadcast(|_| {
        SEEN_IDENTS.with(|b| {
            let (id, bits) = &mut *b.borrow_mut();
            if *id == run_id {
                std::mem::take(bits)
            } else {
                Vec::new()
            }
        })
    }) {
        if seen.len() < bits.len() {
            seen.resize(bits.len(), 0);
        }
        for (w, b) in seen.iter_mut().zip(bits) {
            *w |= b;
        }
    }
    out.idents_distinct = seen.iter().map(|w| u64::from(w.count_ones())).sum();
    out
}

/// Marks the identifier symbols of one file's tokens in this worker's bitmap.
fn mark_identifiers(run_id: u64, src: &str, tokens: &[Token]) {
    SEEN_IDENTS.with(|seen| {
        let (seen_run, seen) = &mut *seen.borrow_mut();
        if *seen_run != run_id {
            *seen_run = run_id;
            seen.clear();
        }
        for t in tokens {
            let Some(sym) = t.sym else { continue };
            let is_ident_kind = match t.kind {
                TokenKind::RawIdent | TokenKind::Underscore | TokenKind::Ident => true,
                k => k.is_keyword(),
            };
            if !is_ident_kind {
                continue;
            }
            let k = sym.as_u32() as usize;
            if seen.len() <= k / 64 {
                seen.resize(k / 64 + 1, 0);
            }
            if seen[k / 64] & (1 << (k % 64)) != 0 {
                continue;
            }
            // The parser also gives identifier kinds to rustc_lexer's `InvalidIdent`
            // (emoji): not identifiers by its definition. Validity is a property of the
            // text, hence of the symbol, so it is checked once per worker and symbol.
            if t.kind == TokenKind::Ident
                && !src
                    .get(t.lo as usize..t.hi as usize)
                    .is_some_and(|s| s.is_ascii() || ra_ap_rustc_lexer::is_ident(s))
            {
                continue;
            }
            seen[k / 64] |= 1 << (k % 64);
        }
    });
}
