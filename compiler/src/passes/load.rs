//! Pass 1, load: read every file in parallel and check it is Rust source text.

use std::fs::File;
use std::io::Read;

use crate::corpus::InputFile;
use crate::report::Diagnostic;

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
            file: index,
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
    match check_bytes(bytes) {
        Ok(text) => Loaded::Text(text),
        Err(message) => reject(message),
    }
}

/// TODO(wire): replace by the parser's `syntax::check_source` once it lands.
fn check_bytes(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "file is larger than {} MiB; skipped",
            MAX_FILE_BYTES >> 20
        ));
    }
    if let Some(pos) = bytes.iter().position(|&b| b == 0) {
        return Err(format!("binary file (NUL byte at offset {pos}); skipped"));
    }
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "file is not valid UTF-8 (invalid byte at offset {}); skipped",
            e.utf8_error().valid_up_to()
        )
    })
}
