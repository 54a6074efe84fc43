//! Markdown pipeline benchmark: a 20 KB postmortem rendered to sanitised HTML (pulldown-cmark, then
//! ammonia, as every page does) against bare pulldown-cmark `push_html` on the same text, in one run.
//! Prints MiB/s for both and the ratio (goal ≥ 0.5). It never fails on timing.

use debrief::server::markdown;
use pulldown_cmark::{html, Parser};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A realistic write-up: headings, lists, a table, code, links and emphasis.
fn postmortem(target_bytes: usize) -> String {
    let block = "## Contributing factors\n\n\
        The deploy pipeline allowed a **config change** without a canary; see [the runbook](https://runbooks.example/checkout).\n\
        Monitoring on `queue_depth` paged only after *12 minutes* of backlog.\n\n\
        - [x] roll back v42\n- [ ] add a canary stage\n- alert on p99 latency above 800 ms\n\n\
        | Time (UTC) | Event |\n| --- | --- |\n| 10:02 | Deploy 42 started |\n| 10:14 | Alert fired |\n\n\
        ```text\nERROR pool exhausted: 64/64 connections in use\n```\n\n\
        > Where we got lucky: the retry budget kept ~~most~~ many requests alive.\n\n";
    let mut s = String::from("# INC-42: Checkout returns 500\n\n");
    while s.len() < target_bytes {
        s.push_str(block);
    }
    s
}

/// Runs `f` repeatedly for about `budget` and returns the throughput in MiB/s.
fn throughput(text: &str, budget: Duration, f: impl Fn(&str) -> usize) -> f64 {
    for _ in 0..20 {
        black_box(f(text));
    }
    let start = Instant::now();
    let mut runs = 0u64;
    while start.elapsed() < budget && runs < 1_000_000 {
        black_box(f(black_box(text)));
        runs += 1;
    }
    (text.len() as f64 * runs as f64) / start.elapsed().as_secs_f64() / (1024.0 * 1024.0)
}

fn compare(label: &str, text: &str, budget: Duration) {
    // Alternate the two measurements so a busy machine affects both alike; report the medians.
    let (mut pipeline, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        bare.push(throughput(text, budget, |t| {
            let mut out = String::with_capacity(t.len() * 3 / 2);
            html::push_html(&mut out, Parser::new_ext(t, markdown::options()));
            out.len()
        }));
        pipeline.push(throughput(text, budget, |t| markdown::render(t).len()));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (p, b) = (median(&mut pipeline), median(&mut bare));
    println!("{label}: {} bytes, median of 3 rounds of {} s each", text.len(), budget.as_secs());
    println!("  {:<50}{:>10.1} MiB/s", "bare pulldown-cmark push_html", b);
    println!("  {:<50}{:>10.1} MiB/s", "render + sanitise (the app's pipeline)", p);
    println!(
        "  {:<50}{:>10.2}    goal ≥ 0.5 {}",
        "pipeline ÷ bare",
        p / b,
        if p / b >= 0.5 { "met" } else { "missed" }
    );
}

fn main() {
    let budget = Duration::from_secs(2);
    let text = postmortem(20 * 1024);
    compare("20 KB postmortem (Markdown only)", &text, budget);
    // Raw HTML in the text sends the whole document through the allow-list sanitiser.
    let hostile = text.replacen("## Contributing factors", "<script>alert(1)</script>\n\n## Contributing factors", 1);
    compare("20 KB postmortem with raw HTML", &hostile, budget);
}
