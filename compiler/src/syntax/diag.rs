//! Diagnostics: `file:line:col: message`, with line and column computed from
//! byte offsets through a [`LineIndex`] built only when a file has errors.

use std::fmt;

/// Identifies a source file; the driver maps it to a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One error found while loading, lexing or parsing a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file it is in.
    pub file: FileId,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters (not bytes).
    pub col: u32,
    /// What went wrong.
    pub message: String,
}

impl Diagnostic {
    /// Renders the diagnostic as `path:line:col: message`.
    ///
    /// ```
    /// use tern_compiler::syntax::{Diagnostic, FileId};
    /// let d = Diagnostic { file: FileId(0), line: 3, col: 7, message: "expected `;`".into() };
    /// assert_eq!(d.display("src/lib.rs").to_string(), "src/lib.rs:3:7: expected `;`");
    /// ```
    pub fn display<'d>(&'d self, path: &'d str) -> impl fmt::Display + 'd {
        DisplayDiag { diag: self, path }
    }
}

struct DisplayDiag<'d> {
    diag: &'d Diagnostic,
    path: &'d str,
}

impl fmt::Display for DisplayDiag<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.diag.line, self.diag.col, self.diag.message
        )
    }
}

/// Byte offsets of line starts, for turning offsets into `line:col`.
#[derive(Debug)]
pub struct LineIndex<'s> {
    src: &'s str,
    starts: Vec<u32>,
}

impl<'s> LineIndex<'s> {
    /// Indexes `src` (one pass over its bytes).
    pub fn new(src: &'s str) -> Self {
        let mut starts = vec![0u32];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
        );
        LineIndex { src, starts }
    }

    /// 1-based `(line, col)` of byte offset `offset`; the column counts
    /// characters. An offset past the end or inside a character is clamped.
    pub fn line_col(&self, offset: u32) -> (u32, u32) {
        let offset = offset.min(self.src.len() as u32);
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line] as usize;
        let mut end = offset as usize;
        while !self.src.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.src[start..end].chars().count() as u32 + 1;
        (line as u32 + 1, col)
    }
}

/// Collects diagnostics as `(offset, message)` while a file is processed and
/// converts them once at the end; caps their number so that garbage input
/// cannot produce millions of them.
#[derive(Debug, Default)]
pub(crate) struct DiagSink {
    pending: Vec<(u32, String)>,
    suppressed: u32,
}

/// At most this many diagnostics are kept per file.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 100;

impl DiagSink {
    pub(crate) fn error(&mut self, offset: u32, message: String) {
        if self.pending.len() < MAX_DIAGNOSTICS_PER_FILE {
            self.pending.push((offset, message));
        } else {
            self.suppressed += 1;
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.pending.len() + self.suppressed as usize
    }

    pub(crate) fn flush(mut self, src: &str, file: FileId, out: &mut Vec<Diagnostic>) {
        if self.pending.is_empty() {
            return;
        }
        // Lexical and syntax errors interleave by position.
        self.pending.sort_by_key(|&(offset, _)| offset);
        let index = LineIndex::new(src);
        let mut last = 0;
        for (offset, message) in self.pending {
            let (line, col) = index.line_col(offset);
            last = offset;
            out.push(Diagnostic {
                file,
                line,
                col,
                message,
            });
        }
        if self.suppressed > 0 {
            let (line, col) = index.line_col(last);
            out.push(Diagnostic {
                file,
                line,
                col,
                message: format!("{} more errors in this file not shown", self.suppressed),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_chars() {
        let src = "ab\nçd\n\nx";
        let idx = LineIndex::new(src);
        assert_eq!(idx.line_col(0), (1, 1));
        assert_eq!(idx.line_col(2), (1, 3));
        assert_eq!(idx.line_col(3), (2, 1));
        // `d` is after the two-byte `ç`: byte 5, column 2.
        assert_eq!(idx.line_col(5), (2, 2));
        // Inside `ç` clamps to its start.
        assert_eq!(idx.line_col(4), (2, 1));
        assert_eq!(idx.line_col(8), (4, 1));
        assert_eq!(idx.line_col(100), (4, 2));
    }

    #[test]
    fn sink_caps_and_reports_suppressed() {
        let mut sink = DiagSink::default();
        for i in 0..150 {
            sink.error(i, format!("e{i}"));
        }
        assert_eq!(sink.len(), 150);
        let mut out = Vec::new();
        sink.flush(&"x".repeat(200), FileId(1), &mut out);
        assert_eq!(out.len(), MAX_DIAGNOSTICS_PER_FILE + 1);
        assert!(out.last().unwrap().message.contains("50 more errors"));
    }
}
