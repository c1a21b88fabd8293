//! Arbitrary bytes through the loader's checks, the lexer and the parser:
//! nothing may panic, overflow the stack or hang, and every diagnostic must
//! point inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tern_compiler::syntax::{self, FileId, LocalInterner};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = syntax::check_source(data, FileId(0)) else {
        return;
    };
    let bump = tern_arena::Arenas::for_any_thread();
    let interner = LocalInterner::default();
    let mut diags = Vec::new();
    let file = syntax::parse_file(src, FileId(0), bump.local_arena(), &interner, &mut diags);
    let lines = src.split('\n').count() as u32;
    for d in &diags {
        assert!(d.line >= 1 && d.line <= lines && d.col >= 1, "{d:?}");
    }
    // Items that parsed must lie inside the file.
    for item in file.items {
        assert!(item.span.lo <= item.span.hi && item.span.hi as usize <= src.len());
    }
});
