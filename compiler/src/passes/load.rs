//! Pass 1, load: read every file in parallel and check it is Rust source text.

use std::fs::File;
use std::io::Read;

use tern_session::Session;

use crate::corpus::InputFile;
use crate::driver::Progress;
use crate::syntax::{self, Diagnostic, FileId};

/// What the load pass produced.
#[derive(Debug, Default)]
pub struct Texts {
    /// Each file's text, `None` when it was rejected.
    pub texts: Vec<Option<String>>,
    /// Why files were rejected.
    pub diagnostics: Vec<Diagnostic>,
}

impl Texts {
    /// Each file's size in bytes (0 for a rejected one): the work of the later passes.
    pub fn sizes(&self) -> Vec<u64> {
        self.texts
            .iter()
            .map(|t| t.as_ref().map_or(0, |t| t.len() as u64))
            .collect()
    }
}

/// Reads and checks every file, largest first. The reads happen offline: a worker blocked
/// on the disk delays no grace period.
pub fn run(s: &mut Session, files: &[InputFile], progress: &Progress) -> Texts {
    progress.start("load", files.len());
    let sizes: Vec<u64> = files.iter().map(|f| f.len).collect();
    let loaded = s.pass_sized("load", &sizes, |cx, i| {
        let r = cx.offline_while(|| load_one(i as u32, &files[i]));
        progress.tick();
        r
    });
    let mut out = Texts {
        texts: Vec::with_capacity(files.len()),
        diagnostics: Vec::new(),
    };
    for l in loaded {
        match l {
            Loaded::Text(t) => out.texts.push(Some(t)),
            Loaded::Rejected(d) => {
                out.diagnostics.push(d);
                out.texts.push(None);
            }
        }
    }
    out
}

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
