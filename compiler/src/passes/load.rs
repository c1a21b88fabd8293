//! Pass 1, load: read every file in parallel and check it is Rust source text.

use std::fs::File;
use std::io::Read;

use crate::corpus::InputFile;
use crate::syntax::{self, Diagnostic, FileId};

/// Files larger than this are rejected with a diagnostic instead of being read.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// The outcome of loading one file.
#[derive(Debug)]
pub enum Loaded {
    /// The text, checked to be UTF-8 and not binary.
    Text(String),
    /// The file could not be used; the diagnostic says why.
    Rejected(Diagnostic),
}

/// Reads `file` (index `index` in the session's list) and checks it.
pub fn load_one(index: u32, file: &InputFile) -> Loaded {
    let reject = |message: String| {
        Loaded::Rejected(Diagnostic {
            file: FileId(index),
            line: 1,
            col: 1,
            message,
        })
    };
    let mut f = match File::open(&file.path) {
        Ok(f) => f,
        Err(e) => return reject(format!("cannot read file: {e}")),
    };
    // Read at most one byte past the limit: a file that grew since the walk, or a
    // special file with no length, is still bounded.
    let mut bytes = Vec::with_capacity(file.len.min(MAX_FILE_BYTES) as usize + 1);
    if let Err(e) = f.by_ref().take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes) {
        return reject(format!("cannot read file: {e}"));
    }
    match check_bytes(index, bytes) {
        Ok(text) => Loaded::Text(text),
        Err(d) => Loaded::Rejected(d),
    }
}

/// Size cap first (the parser accepts more, but a front end that reads a whole
/// registry should not spend its memory on generated blobs), then the syntax
/// layer's checks (NUL byte, UTF-8), which say where the problem is.
fn check_bytes(index: u32, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Diagnostic {
            file: FileId(index),
            line: 1,
            col: 1,
            message: format!("file too large: over {} MiB; skipped", MAX_FILE_BYTES >> 20),
        });
    }
    syntax::check_source(&bytes, FileId(index))?;
    String::from_utf8(bytes).map_err(|e| Diagnostic {
        file: FileId(index),
        line: 1,
        col: 1,
        message: format!(
            "file is not valid UTF-8 (at byte {})",
            e.utf8_error().valid_up_to()
        ),
    })
}
