//! Finding the files to compile: walking paths and the default corpus.

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// One input file, as found by the walk (its bytes are read by the load pass).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// Path as given or as found under a given directory.
    pub path: PathBuf,
    /// Size in bytes from the directory entry (used to balance the load pass).
    pub len: u64,
}

/// A path on the command line that cannot be compiled.
#[derive(Debug)]
pub struct BadPath {
    /// The offending path.
    pub path: PathBuf,
    /// Why it was rejected.
    pub reason: String,
}

impl fmt::Display for BadPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for BadPath {}

/// Options of a directory walk.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalkOptions {
    /// Also skip directories named `fixtures` (test inputs that are not sources).
    pub skip_fixtures: bool,
}

/// Collects the `.rs` files named by `paths`: a file is taken as is (whatever its
/// extension), a directory is walked for `.rs` files, skipping hidden directories
/// and cargo build directories (a `target/` beside a `Cargo.toml`, or holding
/// `CACHEDIR.TAG`, `debug/` or `release/`). The result is sorted by path and free of duplicates, so the order
/// never depends on the file system.
///
/// # Errors
/// A path that does not exist or is neither a file nor a directory.
pub fn collect(paths: &[PathBuf], opts: WalkOptions) -> Result<Vec<InputFile>, BadPath> {
    let mut out = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| BadPath {
            path: path.clone(),
            reason: io_reason(&e),
        })?;
        if meta.is_file() {
            out.push(InputFile {
                path: path.clone(),
                len: meta.len(),
            });
        } else if meta.is_dir() {
            walk(path, opts, &mut out);
        } else {
            return Err(BadPath {
                path: path.clone(),
                reason: "not a file or directory".to_owned(),
            });
        }
    }
    // Sorted and deduplicated on the lexically normalized path, so that `src` and
    // `./src/lib.rs` given together name `lib.rs` once.
    let mut keyed: Vec<(PathBuf, InputFile)> = out
        .into_iter()
        .map(|f| (crate::passes::collect::normalize(&f.path), f))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    Ok(keyed.into_iter().map(|(_, f)| f).collect())
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string(),
    }
}

fn skipped_dir(name: &str, opts: WalkOptions) -> bool {
    name.starts_with('.') || (opts.skip_fixtures && name == "fixtures")
}

/// Whether `dir` (named `target`) is a cargo build directory rather than a source
/// module directory such as `src/target/` (cc-rs has one): it sits beside a
/// `Cargo.toml`, or carries cargo's `CACHEDIR.TAG`, or has `debug/` or `release/`.
fn is_build_dir(dir: &Path) -> bool {
    dir.parent().is_some_and(|p| p.join("Cargo.toml").is_file())
        || dir.join("CACHEDIR.TAG").is_file()
        || dir.join("debug").is_dir()
        || dir.join("release").is_dir()
}

/// Walks `dir` depth first; unreadable entries are skipped silently (a directory we
/// cannot list is not an input error of the user).
fn walk(dir: &Path, opts: WalkOptions, out: &mut Vec<InputFile>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let Ok(ty) = entry.file_type() else { continue };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let path = entry.path();
        if ty.is_dir() {
            let build_dir = name == "target" && is_build_dir(&path);
            if !(skipped_dir(&name, opts) || build_dir) {
                walk(&path, opts, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            // Follows symlinks for files only: a linked directory could loop.
            if let Ok(meta) = fs::metadata(&path)
                && meta.is_file()
            {
                out.push(InputFile {
                    path,
                    len: meta.len(),
                });
            }
        }
    }
}

/// The default corpus: the roots it is made of and the files found under them.
#[derive(Debug)]
pub struct DefaultCorpus {
    /// The workspace root, if found.
    pub workspace: Option<PathBuf>,
    /// `$CARGO_HOME/registry/src`, if present.
    pub registry: Option<PathBuf>,
    /// Number of crate directories found in the registry cache.
    pub registry_crates: usize,
    /// All files, sorted.
    pub files: Vec<InputFile>,
}

/// The workspace this binary was built from (`CARGO_MANIFEST_DIR/..`), if it still
/// holds a `Cargo.toml`; otherwise the nearest ancestor of the working directory
/// whose `Cargo.toml` declares a `[workspace]`.
pub fn workspace_root() -> Option<PathBuf> {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).parent();
    if let Some(root) = built
        && root.join("Cargo.toml").is_file()
    {
        return Some(root.to_path_buf());
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .find(|dir| {
            fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|s| s.contains("[workspace]"))
        })
        .map(Path::to_path_buf)
}

/// `$CARGO_HOME`, defaulting to `~/.cargo`.
pub fn cargo_home() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Some(PathBuf::from(home));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo"))
}

/// Builds the default corpus: the workspace's own sources (without test fixtures)
/// plus every crate source under `$CARGO_HOME/registry/src/*/*`.
pub fn default_corpus() -> DefaultCorpus {
    let opts = WalkOptions {
        skip_fixtures: true,
    };
    let mut files = Vec::new();
    let workspace = workspace_root();
    if let Some(ws) = &workspace {
        walk(ws, opts, &mut files);
    }
    let registry = cargo_home()
        .map(|h| h.join("registry").join("src"))
        .filter(|p| p.is_dir());
    let mut registry_crates = 0;
    if let Some(reg) = &registry {
        let mut indexes: Vec<PathBuf> = fs::read_dir(reg)
            .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        indexes.sort();
        for index in indexes.iter().filter(|p| p.is_dir()) {
            let mut crates: Vec<PathBuf> = fs::read_dir(index)
                .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            crates.sort();
            for krate in crates.iter().filter(|p| p.is_dir()) {
                registry_crates += 1;
                walk(krate, opts, &mut files);
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    DefaultCorpus {
        workspace,
        registry,
        registry_crates,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_hidden_and_build_dirs() {
        assert!(skipped_dir(".git", WalkOptions::default()));
        assert!(!skipped_dir("src", WalkOptions::default()));
        let root = std::env::temp_dir().join(format!("ternc-corpus-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("crate/target/debug")).unwrap();
        fs::create_dir_all(root.join("crate/src/target")).unwrap();
        fs::write(root.join("crate/Cargo.toml"), "").unwrap();
        fs::write(root.join("crate/target/debug/built.rs"), "").unwrap();
        fs::write(root.join("crate/src/target/apple.rs"), "").unwrap();
        fs::write(root.join("crate/src/lib.rs"), "").unwrap();
        let files = collect(std::slice::from_ref(&root), WalkOptions::default()).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| f.path.strip_prefix(&root).unwrap().to_path_buf())
            .collect();
        let _ = fs::remove_dir_all(&root);
        assert_eq!(
            names,
            [
                Path::new("crate/src/lib.rs"),
                Path::new("crate/src/target/apple.rs")
            ]
        );
        assert!(!skipped_dir("fixtures", WalkOptions::default()));
        assert!(skipped_dir(
            "fixtures",
            WalkOptions {
                skip_fixtures: true
            }
        ));
    }

    #[test]
    fn overlapping_paths_give_each_file_once() {
        let root = std::env::temp_dir().join(format!("ternc-dedup-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("src")).unwrap();
        fs::write(root.join("src/lib.rs"), "").unwrap();
        fs::write(root.join("src/a.rs"), "").unwrap();
        let files = collect(
            &[
                root.join("src"),
                root.join("./src/lib.rs"),
                root.join("src/../src/a.rs"),
            ],
            WalkOptions::default(),
        )
        .unwrap();
        let _ = fs::remove_dir_all(&root);
        assert_eq!(files.len(), 2, "{files:?}");
    }

    #[test]
    fn missing_path_is_an_error() {
        let err = collect(
            &[PathBuf::from("/definitely/not/here.rs")],
            WalkOptions::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no such file"), "{err}");
    }
}
