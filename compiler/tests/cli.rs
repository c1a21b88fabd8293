//! Runs the `ternc` binary on small temporary trees and checks its JSON report,
//! exit codes, `--timings` output and determinism across thread counts.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A temporary directory removed on drop (no tempfile dependency).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "ternc-cli-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ternc(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ternc"))
        .args(args)
        .args(paths)
        .arg("--no-progress")
        .output()
        .expect("ternc runs")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

const LIB: &str = r"
//! A small crate.
pub mod shapes;
mod util;

use crate::shapes::Circle;
use std::collections::HashMap;

pub struct Registry<'a> {
    names: HashMap<&'a str, Circle>,
}

impl<'a> Registry<'a> {
    pub fn get(&self, k: &str) -> Option<&Circle> {
        self.names.get(k)
    }
}

pub fn r#match(x: u32) -> u32 { x + 1 }
";

const SHAPES: &str = r"
pub struct Circle { pub r: f64 }
pub trait Area { fn area(&self) -> f64; }
impl Area for Circle { fn area(&self) -> f64 { 3.14 * self.r * self.r } }
";

const UTIL: &str = r"
use super::shapes::{Area, Circle};
pub(crate) fn total(v: &[Circle]) -> f64 { v.iter().map(Area::area).sum() }
";

fn good_tree(tag: &str) -> TempDir {
    let t = TempDir::new(tag);
    t.write("src/lib.rs", LIB.as_bytes());
    t.write("src/shapes.rs", SHAPES.as_bytes());
    t.write("src/util.rs", UTIL.as_bytes());
    // Skipped by the walk: hidden directory and target/.
    t.write(".hidden/skip.rs", b"fn hidden() {}");
    t.write("target/debug/skip.rs", b"fn built() {}");
    t
}

#[test]
fn json_report_is_complete_and_consistent() {
    let t = good_tree("json");
    let out = ternc(&["--json", "--threads", "2"], &[&t.0]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = json(&out);
    for field in [
        "files",
        "bytes",
        "tokens",
        "items",
        "idents_distinct",
        "symbols",
        "types_interned",
        "diagnostics",
        "passes",
        "per_file",
        "resolved",
        "unresolved",
        "checkpoints",
    ] {
        assert!(j.get(field).is_some(), "missing field {field}");
    }
    assert_eq!(j["files"], 3, "hidden and target/ files are skipped");
    let per_file = j["per_file"].as_array().unwrap();
    assert_eq!(per_file.len(), 3);
    let sum = |k: &str| per_file.iter().map(|f| f[k].as_u64().unwrap()).sum::<u64>();
    assert_eq!(sum("bytes"), j["bytes"].as_u64().unwrap());
    assert_eq!(
        j["bytes"].as_u64().unwrap(),
        (LIB.len() + SHAPES.len() + UTIL.len()) as u64
    );
    assert_eq!(sum("items"), j["items"].as_u64().unwrap());
    assert_eq!(sum("errors"), j["diagnostics"].as_u64().unwrap());
    assert_eq!(j["diagnostics"], 0);
    // Paths are listed sorted.
    let paths: Vec<&str> = per_file
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let mut sorted = paths.clone();
    sorted.sort_unstable();
    assert_eq!(paths, sorted);
    // Every pass is reported, with a checkpoint after it.
    let passes: Vec<&str> = j["passes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        passes,
        ["load", "parse", "collect", "types", "resolve", "report"]
    );
    for p in j["passes"].as_array().unwrap() {
        assert!(p["wall_ms"].is_number(), "{p}");
        if p["name"] != "report" {
            // One busy time per worker (the run has 2) and a balance in (0, 1].
            assert_eq!(p["busy_ms"].as_array().unwrap().len(), 2, "{p}");
            // (null only if every task took under a microsecond)
            if let Some(b) = p["balance"].as_f64() {
                assert!(b > 0.0 && b <= 1.0, "{p}");
            }
            if cfg!(target_os = "linux") {
                assert!(p["cpu_ms"].is_number(), "{p}");
            }
        }
    }
    let after: Vec<&str> = j["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["after"].as_str().unwrap())
        .collect();
    assert_eq!(after, passes[..5], "a checkpoint after every parallel pass");
    // Distinct identifiers are a subset of the symbols (which add lifetimes, literals).
    let idents = j["idents_distinct"].as_u64().unwrap();
    assert!(idents > 20 && idents <= j["symbols"].as_u64().unwrap());
}

#[test]
fn bad_files_become_diagnostics_and_deny_errors_fails() {
    let t = good_tree("bad");
    t.write("src/binary.rs", b"fn a() {}\0\x01\x02");
    t.write("src/latin1.rs", b"// caf\xe9\nfn b() {}\n");
    let out = ternc(&["--json"], &[&t.0]);
    assert!(
        out.status.success(),
        "diagnostics alone do not fail the run"
    );
    let j = json(&out);
    assert_eq!(j["files"], 5);
    assert!(j["diagnostics"].as_u64().unwrap() >= 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Located at the offending byte: the NUL after `fn a() {}`, the `\xe9` after `// caf`.
    assert!(stderr.contains("binary.rs:1:10: binary file"), "{stderr}");
    assert!(
        stderr.contains("latin1.rs:1:7: file is not valid UTF-8"),
        "{stderr}"
    );
    let per_file = j["per_file"].as_array().unwrap();
    let errors_of = |name: &str| {
        per_file
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(name))
            .unwrap()["errors"]
            .as_u64()
            .unwrap()
    };
    assert!(errors_of("binary.rs") >= 1);
    assert_eq!(errors_of("shapes.rs"), 0);

    let denied = ternc(&["--deny-errors"], &[&t.0]);
    assert_eq!(denied.status.code(), Some(1));
    let clean = good_tree("clean");
    let ok = ternc(&["--deny-errors"], &[&clean.0]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn diagnostics_are_capped() {
    let t = TempDir::new("cap");
    for i in 0..5 {
        t.write(&format!("b{i}.rs"), b"\0\0\0");
    }
    let out = ternc(&["--max-diagnostics", "2"], &[&t.0]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches(": binary file").count(), 2, "{stderr}");
    assert!(stderr.contains("and 3 more diagnostics"), "{stderr}");
}

#[test]
fn bad_path_is_a_clear_error() {
    let out = ternc(&[], &[Path::new("/no/such/dir/anywhere")]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/no/such/dir/anywhere") && stderr.contains("no such file"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn timings_writes_an_svg() {
    let t = good_tree("svg");
    let svg_path = t.0.join("out.svg");
    let out = ternc(
        &["--threads", "2", "--timings", svg_path.to_str().unwrap()],
        &[&t.0.join("src")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains(">worker 0<") && svg.contains(">worker 1<"));
    assert!(
        svg.contains(">driver<"),
        "the link step is drawn on the driver's row"
    );
    assert!(svg.contains("after parse"), "checkpoints are marked");
    // Balanced tags: every opened element is closed.
    let opens = svg.matches('<').count();
    let closes = svg.matches("</").count() + svg.matches("/>").count();
    assert_eq!(opens, 2 * closes - svg.matches("/>").count());
}

/// Drops the fields that depend on timing or memory layout.
fn counts(mut j: Value) -> Value {
    let o = j.as_object_mut().unwrap();
    for k in [
        "passes",
        "checkpoints",
        "threads",
        "schedule",
        "early_reclaim",
        "total_ms",
        "ast_arenas",
        "interner_arenas",
        "interner_table_bytes",
        "types_arenas",
        "types_table_bytes",
    ] {
        o.remove(k);
    }
    j
}

#[test]
fn thread_counts_give_identical_results() {
    let t = good_tree("det");
    t.write("src/binary.rs", b"\0");
    // Unresolved names tied in count: their order must not follow symbol ids.
    t.write(
        "src/unres.rs",
        b"pub fn g(_: Zed, _: Alpha, _: Mid, _: Beta) {}\n",
    );
    // More files than workers, of varied sizes.
    for i in 0..12 {
        t.write(
            &format!("src/gen/f{i}.rs"),
            format!("pub fn f{i}() -> u{} {{ {i} }}\n", 8 << (i % 4))
                .repeat(i + 1)
                .as_bytes(),
        );
    }
    let one = counts(json(&ternc(&["--json", "--threads", "1"], &[&t.0])));
    let two = counts(json(&ternc(&["--json", "--threads", "2"], &[&t.0])));
    assert_eq!(one, two);
    let top: Vec<&str> = one["unresolved_top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["Alpha", "Beta", "Mid", "Zed"]);
    for sched in ["chunks", "rayon"] {
        let other = counts(json(&ternc(
            &["--json", "--threads", "2", "--schedule", sched],
            &[&t.0],
        )));
        assert_eq!(one, other, "schedule {sched}");
    }
}

#[test]
fn module_tree_and_resolution() {
    let t = TempDir::new("tree");
    t.write(
        "src/lib.rs",
        b"pub mod a;
mod b { pub struct B; pub mod c; }
use a::A;
use crate::b::B;
use serde::Serialize;
pub fn f(x: A, y: B, z: b::c::C, w: Missing) -> Option<u8> { None }
",
    );
    t.write("src/a.rs", b"pub struct A;\nmod inner;\n");
    t.write(
        "src/a/inner.rs",
        b"use super::A;
use crate::b::c::C;
pub fn g(_: C, _: super::super::b::B) {}
",
    );
    t.write("src/b/c.rs", b"pub struct C;\n");
    // An integration test: a crate root whose `mod common;` lives beside it.
    t.write("tests/it.rs", b"mod common;\nfn t(_: common::Helper) {}\n");
    t.write("tests/common/mod.rs", b"pub struct Helper;\n");
    // A second integration test sharing the same helper module.
    t.write(
        "tests/other.rs",
        b"mod common;\nfn u(_: common::Helper) {}\n",
    );
    let out = ternc(&["--json", "--threads", "2"], &[&t.0]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j = json(&out);
    assert_eq!(
        j["diagnostics"],
        0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(j["files"], 7);
    assert_eq!(j["items"], 17);
    assert_eq!(j["crates"], 3, "src/lib.rs, tests/it.rs, tests/other.rs");
    // lib, inline b, a.rs, a/inner.rs, b/c.rs, it.rs, other.rs, common/mod.rs
    assert_eq!(j["modules"], 8);
    assert_eq!(j["unlinked_mods"], 0);
    assert_eq!(
        j["shared_mods"], 1,
        "tests/other.rs shares tests/common/mod.rs"
    );
    // Imports: a::A, crate::b::B, super::A, crate::b::c::C (resolved), serde (external).
    // Signature paths: A, B, b::c::C, C, super::super::b::B, common::Helper twice
    // (resolved), Option, u8 (external), Missing (unresolved).
    assert_eq!(j["resolved"], 11);
    assert_eq!(j["external"], 3);
    assert_eq!(j["unresolved"], 1);
}

#[test]
fn checkpoints_reclaim_outgrown_tables_and_scratch() {
    let t = TempDir::new("reclaim");
    // Enough distinct identifiers to make the interner's table grow several times.
    let mut src = String::new();
    for i in 0..20_000 {
        writeln!(src, "fn f{i}() {{}}").unwrap();
    }
    t.write("big.rs", src.as_bytes());
    let j = json(&ternc(&["--json", "--threads", "2"], &[&t.0]));
    assert_eq!(j["items"], 20_000);
    let cps = j["checkpoints"].as_array().unwrap();
    let parse = cps.iter().find(|c| c["after"] == "parse").unwrap();
    assert!(parse["tables_freed"].as_u64().unwrap() >= 1, "{parse}");
    // Freed during the pass (workers pass quiescent states between files), or at the
    // checkpoint: here the only file is the only item, so its worker's quiescent state
    // after it, or the checkpoint, frees them.
    assert!(
        parse["reclaimed_bytes"].as_u64().unwrap()
            + parse["reclaimed_in_pass_bytes"].as_u64().unwrap()
            > 0,
        "{parse}"
    );
    assert!(parse["scratch_bytes"].is_u64(), "{parse}");
    let load = cps.iter().find(|c| c["after"] == "load").unwrap();
    assert_eq!(
        load["reclaimed_bytes"], 0,
        "nothing is interned while loading"
    );
}

#[test]
fn defer_reclaim_frees_the_same_tables_and_changes_no_count() {
    let t = TempDir::new("early");
    // Many files with distinct identifiers: the interner grows while workers pass
    // quiescent states between files.
    for f in 0..40 {
        let mut src = String::new();
        for i in 0..500 {
            writeln!(src, "fn f{f}_{i}() {{}}").unwrap();
        }
        t.write(&format!("m{f}.rs"), src.as_bytes());
    }
    let plain = json(&ternc(
        &["--json", "--threads", "2", "--defer-reclaim"],
        &[&t.0],
    ));
    let early = json(&ternc(&["--json", "--threads", "2"], &[&t.0]));
    assert_eq!(
        early["early_reclaim"], true,
        "freeing during passes is the default"
    );
    assert_eq!(plain["early_reclaim"], false);
    assert_eq!(counts(plain.clone()), counts(early.clone()));
    let freed = |j: &Value, k: &str| -> u64 {
        j["checkpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c[k].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        freed(&plain, "reclaimed_in_pass_bytes"),
        0,
        "with --defer-reclaim only checkpoints free"
    );
    assert!(
        freed(&early, "reclaimed_in_pass_bytes") > 0,
        "by default tables are freed during the passes"
    );
    let total_plain = freed(&plain, "reclaimed_bytes");
    assert!(total_plain > 0);
    assert_eq!(
        freed(&early, "reclaimed_bytes") + freed(&early, "reclaimed_in_pass_bytes"),
        total_plain,
        "every outgrown table is freed once, during the pass or at its checkpoint"
    );
}

#[test]
fn revisions_keep_the_interner_flat() {
    let t = TempDir::new("revisions");
    for f in 0..20 {
        let mut src = String::new();
        for i in 0..200 {
            writeln!(
                src,
                "pub fn item_{f}_{i}(arg_{i}: u32) -> u32 {{ arg_{i} + {i} }}"
            )
            .unwrap();
        }
        t.write(&format!("m{f:02}.rs"), src.as_bytes());
    }
    let j = json(&ternc(
        &[
            "--json",
            "--threads",
            "2",
            "--revisions",
            "12",
            "--window-mb",
            "1",
            "--rename-pct",
            "30",
        ],
        &[&t.0],
    ));
    let rows = j["revisions"].as_array().unwrap();
    assert_eq!(rows.len(), 12);
    let heap = |r: &Value| r["heap_bytes"].as_u64().unwrap();
    let live = |r: &Value| r["live"].as_u64().unwrap();
    assert_eq!(
        rows[0]["dropped"], 0,
        "nothing to drop at the first revision"
    );
    for r in &rows[1..] {
        assert!(
            r["dropped"].as_u64().unwrap() > 0,
            "renames retire names: {r}"
        );
        // Same files every revision (the window covers them all): the live set, and the
        // heap with it, stays within a few percent of the first revision's.
        assert!(live(r) <= live(&rows[0]) * 11 / 10, "{r}");
        assert!(heap(r) <= heap(&rows[0]) * 12 / 10, "{r} vs {}", rows[0]);
    }
}
