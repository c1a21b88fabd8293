//! Pass 1, load: read every file in parallel and check it is Rust source text.
//!
//! Cold (file contents not in the page cache), the pass is bound by the disk's latency, not
//! its bandwidth: each worker has one small read in flight at a time, so a disk that takes
//! milliseconds per request (a busy virtual disk) is nearly idle while the pass crawls. So
//! on Linux a read-ahead thread walks the files in the order the workers
//! take them and asks the kernel to start reading each (`posix_fadvise(POSIX_FADV_WILLNEED)`:
//! asynchronous, no copy, no thread per read), at most [`READAHEAD_BYTES`] ahead of what
//! the workers have loaded; the workers' own reads then find the pages in the cache or
//! already on their way. Warm, the hints find everything cached and cost a few system calls
//! per file on a thread of their own.

use std::fs::File;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

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

/// Reads and checks every file. The reads happen offline: a worker blocked on the disk
/// delays no grace period.
///
/// The files are taken in their order (sorted by path, which is close to their order on
/// the disk for crates unpacked together), not largest first: the read-ahead (see the
/// module docs) hints them in that order, and with thousands of small files the pass
/// balances itself anyway.
pub fn run(s: &mut Session, files: &[InputFile], progress: &Progress) -> Texts {
    progress.start("load", files.len());
    let ahead = Readahead::new(files, READAHEAD_BYTES);
    let loaded = std::thread::scope(|scope| {
        // Stops the read-ahead when the pass is over, also when it panics (the scope
        // joins the thread before the panic goes on).
        let _stop = ahead.start(scope);
        s.pass("load", files.len(), |cx, i| {
            let r = cx.offline_while(|| load_one(i as u32, &files[i]));
            ahead.loaded(&files[i]);
            progress.tick();
            r
        })
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

/// How far the read-ahead may run ahead of the workers: bytes of files hinted but not yet
/// loaded. Enough for hundreds of reads in flight on a corpus of small files, small beside
/// the memory the later passes use.
pub const READAHEAD_BYTES: u64 = 64 << 20;

/// The read-ahead of one load pass (see the module docs).
struct Readahead<'a> {
    files: &'a [InputFile],
    /// How many bytes hinted but not yet loaded the thread allows ([`READAHEAD_BYTES`]).
    window: u64,
    /// Bytes of the files loaded so far (as [`read_len`] counts them).
    loaded: AtomicU64,
    /// Bytes of the files hinted so far.
    hinted: AtomicU64,
    /// Set when the pass is over: the read-ahead thread stops.
    done: AtomicBool,
}

/// The bytes of `file` the load pass reads: at most one past the size limit.
fn read_len(file: &InputFile) -> u64 {
    file.len.min(MAX_FILE_BYTES + 1)
}

/// Sets [`Readahead::done`] when dropped.
struct StopReadahead<'r>(&'r AtomicBool);

impl Drop for StopReadahead<'_> {
    fn drop(&mut self) {
        // Relaxed: only tells the read-ahead thread to stop; the scope's join orders the rest.
        self.0.store(true, Relaxed);
    }
}

impl<'a> Readahead<'a> {
    fn new(files: &'a [InputFile], window: u64) -> Self {
        Readahead {
            files,
            window,
            loaded: AtomicU64::new(0),
            hinted: AtomicU64::new(0),
            done: AtomicBool::new(false),
        }
    }

    /// Starts the read-ahead thread in `scope` (on Linux; elsewhere there is none). The
    /// returned guard stops it when dropped.
    fn start<'s, 'r>(&'r self, scope: &'s std::thread::Scope<'s, '_>) -> StopReadahead<'r>
    where
        'r: 's,
    {
        // Warm (a sample of the files already in the page cache), hints would only cost
        // system calls on a thread competing with the workers.
        if cfg!(target_os = "linux") && !sample_cached(self.files) {
            // Without the thread the pass is only slower when cold.
            let _ = std::thread::Builder::new()
                .name("ternc-readahead".to_owned())
                .spawn_scoped(scope, || self.hint_all());
        }
        StopReadahead(&self.done)
    }

    /// A worker has loaded `file`.
    fn loaded(&self, file: &InputFile) {
        // Relaxed: a gauge for the read-ahead's window; it orders nothing.
        self.loaded.fetch_add(read_len(file), Relaxed);
    }

    /// Hints every file in order, keeping within `window` bytes of the workers.
    fn hint_all(&self) {
        let mut hinted = 0u64;
        for file in self.files {
            // Relaxed (both): a stop flag and a gauge; a stale value only hints a little
            // later or once more.
            while !self.done.load(Relaxed) && hinted >= self.loaded.load(Relaxed) + self.window {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            // Relaxed: as above.
            if self.done.load(Relaxed) {
                return;
            }
            let len = read_len(file);
            if len > 0 {
                hint_will_need(file, len);
            }
            hinted += len;
            // Relaxed: progress for tests; it orders nothing.
            self.hinted.store(hinted, Relaxed);
        }
    }
}

/// Asks the kernel to start reading the first `len` bytes of `file` into the page cache,
/// without waiting. Failures are ignored: the load itself reports them.
#[cfg(target_os = "linux")]
fn hint_will_need(file: &InputFile, len: u64) {
    use std::os::unix::fs::OpenOptionsExt;
    // Non-blocking, so that a file replaced by a FIFO since the walk cannot stall the
    // read-ahead (for regular files the flag changes nothing).
    let nonblock = i32::try_from(rustix::fs::OFlags::NONBLOCK.bits()).unwrap_or(0);
    if let Ok(f) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nonblock)
        .open(&file.path)
    {
        let _ = rustix::fs::fadvise(
            &f,
            0,
            std::num::NonZeroU64::new(len),
            rustix::fs::Advice::WillNeed,
        );
    }
}

/// No read-ahead outside Linux.
#[cfg(not(target_os = "linux"))]
fn hint_will_need(_file: &InputFile, _len: u64) {}

/// Files [`sample_cached`] probes, spread over the list.
const CACHE_SAMPLE: usize = 16;

/// Whether a sample of `files` (spread over the list) is in the page cache: a one-byte read
/// from the middle of each that must not wait for the disk (`preadv2` with `RWF_NOWAIT`)
/// succeeds for every one. A kernel without the flag, or any error, answers "no" (then the
/// read-ahead runs, as it would without the check).
#[cfg(target_os = "linux")]
fn sample_cached(files: &[InputFile]) -> bool {
    let step = (files.len() / CACHE_SAMPLE).max(1);
    files.iter().step_by(step).take(CACHE_SAMPLE).all(|file| {
        let len = read_len(file);
        if len == 0 {
            return true;
        }
        let Ok(f) = File::open(&file.path) else {
            return false;
        };
        let mut byte = [0u8; 1];
        let mut bufs = [std::io::IoSliceMut::new(&mut byte)];
        rustix::io::preadv2(&f, &mut bufs, len / 2, rustix::io::ReadWriteFlags::NOWAIT)
            .is_ok_and(|n| n == 1)
    })
}

/// Outside Linux there is no read-ahead to skip.
#[cfg(not(target_os = "linux"))]
fn sample_cached(_files: &[InputFile]) -> bool {
    true
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    /// Waits (up to 10 s) until `f` holds.
    fn eventually(what: &str, f: impl Fn() -> bool) {
        let t = Instant::now();
        while !f() {
            assert!(t.elapsed() < Duration::from_secs(10), "timed out: {what}");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The read-ahead keeps within its window of the loaded bytes, moves on as files are
    /// loaded, skips nothing, ignores files it cannot open, and stops when told.
    #[test]
    fn readahead_keeps_its_window_and_stops() {
        let dir = std::env::temp_dir().join(format!("ternc-readahead-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut files: Vec<InputFile> = (0..10)
            .map(|i| {
                let path = dir.join(format!("f{i}.rs"));
                std::fs::write(&path, "fn f() {}\n").unwrap();
                InputFile { path, len: 10 }
            })
            .collect();
        files[4].path = PathBuf::from("/definitely/not/here.rs");
        let ahead = Readahead::new(&files, 25);
        // Relaxed: polled until it reaches a value; the scope's join orders the rest.
        let hinted = || ahead.hinted.load(Relaxed);
        std::thread::scope(|scope| {
            let stop = ahead.start(scope);
            if cfg!(target_os = "linux") {
                eventually("three files hinted", || hinted() == 30);
                std::thread::sleep(Duration::from_millis(20));
                assert_eq!(hinted(), 30, "the window holds it at 30 of 25 + 0 loaded");
                ahead.loaded(&files[0]);
                ahead.loaded(&files[1]);
                eventually("two more hinted", || hinted() == 50);
                for f in &files[2..] {
                    ahead.loaded(f);
                }
                eventually("all hinted", || hinted() == 100);
            }
            drop(stop);
        });
        // A second read-ahead, stopped while it waits on its window: the scope joins it.
        let held = Readahead::new(&files, 0);
        std::thread::scope(|scope| {
            let stop = held.start(scope);
            std::thread::sleep(Duration::from_millis(5));
            drop(stop);
        });
        // Relaxed: read after the scope joined the thread.
        assert!(held.hinted.load(Relaxed) <= 10);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
