//! `ternc` command line entry point; see `ternc --help`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tern_compiler::cli::Args;
use tern_compiler::corpus::{self, WalkOptions};
use tern_compiler::driver::{self, Options};
use tern_compiler::report::human_bytes;
use tern_compiler::timings;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("ternc: error: {msg}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> Result<ExitCode, String> {
    let files = if args.paths.is_empty() {
        let dc = corpus::default_corpus();
        let bytes: u64 = dc.files.iter().map(|f| f.len).sum();
        let mut from = Vec::new();
        if let Some(ws) = &dc.workspace {
            from.push(format!("workspace {}", ws.display()));
        }
        if let Some(reg) = &dc.registry {
            from.push(format!(
                "{} crates in the cargo registry cache {}",
                dc.registry_crates,
                reg.display()
            ));
        }
        eprintln!(
            "ternc: no path given: compiling the default corpus: {} files, {} from {}",
            dc.files.len(),
            human_bytes(bytes),
            if from.is_empty() {
                "nowhere (no workspace or registry found)".to_owned()
            } else {
                from.join(" and ")
            }
        );
        dc.files
    } else {
        corpus::collect(&args.paths, WalkOptions::default()).map_err(|e| e.to_string())?
    };

    let progress = (!args.no_progress && std::io::stderr().is_terminal()).then(|| {
        let bar =
            ProgressBar::with_draw_target(Some(files.len() as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{msg:>8} [{bar:40}] {pos}/{len} files")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    });
    if let Some(n) = args.revisions {
        let ropts = tern_compiler::revisions::RevisionOptions {
            revisions: n,
            window_bytes: args.window_mb << 20,
            rename_pct: args.rename_pct,
            slide_pct: args.slide_pct,
            threads: args.threads.map_or(0, usize::from),
            schedule: args.schedule.into(),
        };
        let outcome = tern_compiler::revisions::run(
            &files,
            &ropts,
            &tern_compiler::driver::Progress::new(progress),
        )
        .map_err(|e| format!("cannot start the thread pool: {e}"))?;
        if let Some(svg_path) = &args.timings {
            let svg = timings::render_svg(
                &outcome.timeline,
                outcome.threads,
                &format!("ternc --revisions {n}"),
                &|f| format!("file {f}"),
            );
            std::fs::write(svg_path, svg)
                .map_err(|e| format!("cannot write {}: {e}", svg_path.display()))?;
        }
        let mut out = std::io::stdout().lock();
        let written = if args.json {
            serde_json::to_writer_pretty(&mut out, &outcome.to_json())
                .map_err(std::io::Error::from)
                .and_then(|()| writeln!(out))
        } else {
            out.write_all(outcome.to_human().as_bytes())
        };
        if let Err(e) = written
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(format!("cannot write the report: {e}"));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let opts = Options {
        threads: args.threads.map_or(0, usize::from),
        schedule: args.schedule.into(),
        progress,
        defer_reclaim: args.defer_reclaim,
    };
    let outcome =
        driver::compile(&files, &opts).map_err(|e| format!("cannot start the thread pool: {e}"))?;
    let report = &outcome.report;

    // Diagnostics on stderr, capped.
    let mut err = std::io::stderr().lock();
    for d in report.diagnostics.iter().take(args.max_diagnostics) {
        let _ = writeln!(
            err,
            "{}:{}:{}: {}",
            files[d.file.0 as usize].path.display(),
            d.line,
            d.col,
            d.message
        );
    }
    if report.diagnostics.len() > args.max_diagnostics {
        let _ = writeln!(
            err,
            "ternc: ... and {} more diagnostics",
            report.diagnostics.len() - args.max_diagnostics
        );
    }
    drop(err);

    if let Some(svg_path) = &args.timings {
        let svg = timings::render_svg(
            &outcome.timeline,
            report.threads,
            &format!(
                "ternc: {} files, {} on {} threads",
                files.len(),
                human_bytes(report.bytes()),
                report.threads
            ),
            &|f| {
                files
                    .get(f as usize)
                    .map_or_else(String::new, |file| file.path.display().to_string())
            },
        );
        std::fs::write(svg_path, svg)
            .map_err(|e| format!("cannot write {}: {e}", svg_path.display()))?;
    }

    let mut out = std::io::stdout().lock();
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &report.to_json())
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(report.to_human().as_bytes())
    };
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(format!("cannot write the report: {e}"));
    }
    if args.deny_errors && !report.diagnostics.is_empty() {
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
