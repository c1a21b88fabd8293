//! Word count with tern-session: read every file under a directory in parallel, intern each
//! word, count words by symbol, print the ten most frequent and what each pass freed.
//!
//! `cargo run --release -p tern-session --example wordcount -- <dir>`
use std::{collections::HashMap, fs, path::PathBuf};

use tern_intern::Symbol;
use tern_session::Session;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let mut files = Vec::new();
    let mut dirs = vec![PathBuf::from(&root)];
    while let Some(dir) = dirs.pop() {
        for entry in fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "txt" || e == "md")
            {
                files.push(path);
            }
        }
    }
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let mut session = Session::builder().build()?;

    // Pass 1: every worker interns the words of its files, counting them in a local map
    // (one participant per task, a quiescent state after each file: outgrown interner
    // tables are freed while the pass runs).
    let counts: Vec<HashMap<Symbol, u64>> = session.pass_sized("count", &sizes, |cx, i| {
        let text = cx
            .offline_while(|| fs::read_to_string(&files[i]))
            .unwrap_or_default();
        let mut counts = HashMap::new();
        for word in text.split(|c: char| !c.is_alphanumeric() && c != '_') {
            if !word.is_empty() {
                *counts.entry(cx.intern(word)).or_default() += 1;
            }
        }
        counts
    });

    // Merge on the driver; symbols are plain integers, texts come from the interner.
    let mut total: HashMap<Symbol, u64> = HashMap::new();
    for (sym, n) in counts.into_iter().flatten() {
        *total.entry(sym).or_default() += n;
    }
    let strings = session.interner();
    let mut top: Vec<(u64, &str)> = total
        .iter()
        .map(|(&s, &n)| (n, strings.resolve(s)))
        .collect();
    // By count, then by text: symbol ids depend on the schedule, texts do not.
    top.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    println!("{} files, {} distinct words", files.len(), total.len());
    for (n, word) in top.iter().take(10) {
        println!("{n:>10}  {word}");
    }
    for report in session.reports() {
        println!("{report}");
    }
    Ok(())
}
