//! Task spans recorded during a run and the `--timings` SVG picture of them.
//!
//! Each worker task keeps its spans in a local `Vec` and hands the whole vector
//! over once, when the task ends, so recording costs two `Instant::now()` calls
//! and a push per file: no lock or shared write per file.

use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Instant;

/// [`Span::file`] of a task the driver thread runs itself (not about one file).
pub const DRIVER_TASK: u32 = u32::MAX;

/// One task: one file handled by one worker in one pass (or, with worker index
/// equal to the number of workers and file [`DRIVER_TASK`], a sequential step of
/// the driver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Rayon worker index (`rayon::current_thread_index`), 0 if outside the pool.
    pub worker: u16,
    /// Index of the pass in [`Timeline::passes`].
    pub pass: u8,
    /// Index of the file in the session's file list.
    pub file: u32,
    /// Start, microseconds since the session started.
    pub start_us: u64,
    /// End, microseconds since the session started.
    pub end_us: u64,
}

/// A checkpoint the driver ran between passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// Label drawn beside the line.
    pub label: String,
    /// Time of the checkpoint, microseconds since the session started.
    pub at_us: u64,
}

/// Everything recorded for the timeline.
#[derive(Debug)]
pub struct Timeline {
    epoch: Instant,
    spans: Mutex<Vec<Span>>,
    /// Checkpoints, in order.
    pub marks: Vec<Mark>,
    /// Names of the passes, indexed by [`Span::pass`].
    pub passes: Vec<&'static str>,
    /// `(pass, start_us, end_us)` of each whole pass as seen by the driver.
    pub pass_walls: Vec<(u8, u64, u64)>,
    /// CPU nanoseconds per `(pass, worker)`, summed over tasks.
    cpu: Mutex<Vec<(u8, usize, u64)>>,
}

impl Timeline {
    /// A new timeline whose clock starts now.
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            spans: Mutex::new(Vec::new()),
            marks: Vec::new(),
            passes: Vec::new(),
            pass_walls: Vec::new(),
            cpu: Mutex::new(Vec::new()),
        }
    }

    /// Microseconds since the timeline started.
    pub fn now_us(&self) -> u64 {
        self.epoch.elapsed().as_micros() as u64
    }

    /// Registers a pass name and returns its index.
    pub fn pass_index(&mut self, name: &'static str) -> u8 {
        if let Some(i) = self.passes.iter().position(|p| *p == name) {
            return i as u8;
        }
        self.passes.push(name);
        (self.passes.len() - 1) as u8
    }

    /// Hands over the spans of one finished task.
    pub fn absorb(&self, spans: &mut Vec<Span>) {
        if spans.is_empty() {
            return;
        }
        self.spans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .append(spans);
    }

    /// Adds CPU time a task of `pass` used on `worker`.
    pub fn add_cpu(&self, pass: u8, worker: usize, ns: u64) {
        let mut cpu = self
            .cpu
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match cpu.iter_mut().find(|c| c.0 == pass && c.1 == worker) {
            Some(c) => c.2 += ns,
            None => cpu.push((pass, worker, ns)),
        }
    }

    /// CPU nanoseconds of `pass`, summed over workers (`None` if not measured).
    pub fn cpu_ns(&self, pass: u8) -> Option<u64> {
        let cpu = self
            .cpu
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut it = cpu.iter().filter(|c| c.0 == pass).peekable();
        it.peek()?;
        Some(it.map(|c| c.2).sum())
    }

    /// All spans recorded so far, sorted by worker then start.
    pub fn spans(&self) -> Vec<Span> {
        let mut v = self
            .spans
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        v.sort_by_key(|s| (s.worker, s.start_us, s.pass));
        v
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Self::new()
    }
}

/// Colours of the passes, in registration order (colour-blind friendly palette).
const COLOURS: [(&str, &str); 8] = [
    ("#4e79a7", "#7aa0c8"),
    ("#f28e2b", "#f7b267"),
    ("#59a14f", "#8cc97f"),
    ("#b07aa1", "#d0a8c5"),
    ("#e15759", "#f0898a"),
    ("#76b7b2", "#a6d5d1"),
    ("#edc948", "#f4dc86"),
    ("#9c755f", "#c4a48f"),
];

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving about `target` ticks.
fn tick_step(total: f64, target: f64) -> f64 {
    let raw = (total / target).max(1e-9);
    let pow = 10f64.powf(raw.log10().floor());
    let m = raw / pow;
    let nice = if m <= 1.0 {
        1.0
    } else if m <= 2.0 {
        2.0
    } else if m <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * pow
}

/// Draws the timeline as a self-contained SVG document.
///
/// `workers` is the number of worker rows (a `driver` row is added below them
/// when the driver recorded steps); `file_name` gives the tooltip text of a file.
pub fn render_svg(
    timeline: &Timeline,
    workers: usize,
    title: &str,
    file_name: &dyn Fn(u32) -> String,
) -> String {
    let spans = timeline.spans();
    let end_us = spans
        .iter()
        .map(|s| s.end_us)
        .chain(timeline.marks.iter().map(|m| m.at_us))
        .chain(timeline.pass_walls.iter().map(|w| w.2))
        .max()
        .unwrap_or(1)
        .max(1);
    let left = 90.0;
    let right = 30.0;
    let plot_w = 1400.0;
    let top = 50.0;
    let row_h = 34.0;
    let gap = 6.0;
    let has_driver = spans.iter().any(|s| usize::from(s.worker) >= workers);
    let rows = workers.max(1) + usize::from(has_driver);
    let plot_h = rows as f64 * (row_h + gap);
    let marks_h = 16.0 * timeline.marks.len() as f64 + 10.0;
    let axis_y = top + plot_h;
    let legend_y = axis_y + 40.0 + marks_h;
    let height = legend_y + 40.0;
    let width = left + plot_w + right;
    let scale = plot_w / end_us as f64;
    let x_of = |us: u64| left + us as f64 * scale;

    let mut svg = String::with_capacity(256 + spans.len() * 96);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{left}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
        escape(title)
    );
    // Rows.
    for w in 0..rows {
        let y = top + w as f64 * (row_h + gap);
        let _ = writeln!(
            svg,
            "<rect x=\"{left}\" y=\"{y:.1}\" width=\"{plot_w}\" height=\"{row_h}\" fill=\"#f4f4f4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + row_h / 2.0 + 4.0,
            if has_driver && w + 1 == rows {
                "driver".to_owned()
            } else {
                format!("worker {w}")
            }
        );
    }
    // Task bars: alternate two shades of the pass colour so that neighbouring tasks
    // stay distinguishable; tooltips only where a bar is wide enough to point at.
    let mut parity = vec![false; rows];
    for s in &spans {
        let w = usize::from(s.worker).min(rows - 1);
        parity[w] = !parity[w];
        let (dark, light) = COLOURS[usize::from(s.pass) % COLOURS.len()];
        let fill = if parity[w] { dark } else { light };
        let x = x_of(s.start_us);
        let bw = ((s.end_us - s.start_us) as f64 * scale).max(0.3);
        let y = top + w as f64 * (row_h + gap) + 2.0;
        let h = row_h - 4.0;
        if bw >= 3.0 {
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.2}\" y=\"{y:.1}\" width=\"{bw:.2}\" height=\"{h}\" fill=\"{fill}\">\
                 <title>{} {}: {:.3} ms</title></rect>",
                timeline.passes.get(usize::from(s.pass)).unwrap_or(&"?"),
                if s.file == DRIVER_TASK {
                    "(driver step)".to_owned()
                } else {
                    escape(&file_name(s.file))
                },
                (s.end_us - s.start_us) as f64 / 1000.0
            );
        } else {
            let _ = writeln!(
                svg,
                "<rect x=\"{x:.2}\" y=\"{y:.1}\" width=\"{bw:.2}\" height=\"{h}\" fill=\"{fill}\"/>"
            );
        }
    }
    // Time axis.
    let _ = writeln!(
        svg,
        "<line x1=\"{left}\" y1=\"{axis_y:.1}\" x2=\"{:.1}\" y2=\"{axis_y:.1}\" stroke=\"black\"/>",
        left + plot_w
    );
    let total_ms = end_us as f64 / 1000.0;
    let step = tick_step(total_ms, 10.0);
    let mut t = 0.0;
    while t <= total_ms + step * 1e-6 {
        let x = left + t * 1000.0 * scale;
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.1}\" y1=\"{axis_y:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            axis_y + 5.0,
            axis_y + 18.0,
            fmt_ms(t, step)
        );
        t += step;
    }
    let _ = writeln!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">ms</text>",
        left + plot_w + right - 2.0,
        axis_y + 18.0
    );
    // Checkpoints: a dashed line through all rows, labels stacked under the axis.
    for (i, m) in timeline.marks.iter().enumerate() {
        let x = x_of(m.at_us);
        let ly = axis_y + 36.0 + 16.0 * i as f64;
        let anchor = if x > left + plot_w * 0.7 {
            "end"
        } else {
            "start"
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{x:.2}\" y1=\"{:.1}\" x2=\"{x:.2}\" y2=\"{:.1}\" stroke=\"#c00\" \
             stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\
             <text x=\"{:.2}\" y=\"{ly:.1}\" fill=\"#c00\" text-anchor=\"{anchor}\">{}</text>",
            top - 6.0,
            ly - 10.0,
            if anchor == "end" { x - 3.0 } else { x + 3.0 },
            escape(&m.label)
        );
    }
    // Legend.
    let mut lx = left;
    for (i, name) in timeline.passes.iter().enumerate() {
        let (dark, light) = COLOURS[i % COLOURS.len()];
        let _ = writeln!(
            svg,
            "<rect x=\"{lx:.1}\" y=\"{legend_y:.1}\" width=\"9\" height=\"14\" fill=\"{dark}\"/>\
             <rect x=\"{:.1}\" y=\"{legend_y:.1}\" width=\"9\" height=\"14\" fill=\"{light}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            lx + 9.0,
            lx + 24.0,
            legend_y + 11.0,
            escape(name)
        );
        lx += 34.0 + 8.0 * name.len() as f64;
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{lx:.1}\" y1=\"{legend_y:.1}\" x2=\"{lx:.1}\" y2=\"{:.1}\" stroke=\"#c00\" \
         stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{:.1}\" y=\"{:.1}\">checkpoint (reclaimed bytes)</text>",
        legend_y + 14.0,
        lx + 8.0,
        legend_y + 11.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn fmt_ms(t: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{t:.0}")
    } else if step >= 0.1 {
        format!("{t:.1}")
    } else {
        format!("{t:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        assert!((tick_step(1000.0, 10.0) - 100.0).abs() < 1e-9);
        assert!((tick_step(37.0, 10.0) - 5.0).abs() < 1e-9);
        assert!((tick_step(0.9, 10.0) - 0.1).abs() < 1e-9);
    }

    #[test]
    fn svg_has_one_bar_per_span_and_marks() {
        let mut tl = Timeline::new();
        let p = tl.pass_index("parse");
        let mut spans = vec![
            Span {
                worker: 0,
                pass: p,
                file: 0,
                start_us: 0,
                end_us: 500,
            },
            Span {
                worker: 1,
                pass: p,
                file: 1,
                start_us: 10,
                end_us: 400,
            },
        ];
        tl.absorb(&mut spans);
        tl.marks.push(Mark {
            label: "after parse <1 KB>".into(),
            at_us: 600,
        });
        let svg = render_svg(&tl, 2, "t", &|f| format!("f{f}.rs"));
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("after parse &lt;1 KB&gt;"));
        assert!(svg.contains("worker 1"));
    }
}
