//! The index's own time for a fixed set of queries, by hand: each query
//! asked 15 times in this one process, the median and the fastest shown
//! with what it found (its count, and a digest of its hits' message
//! numbers in order, to compare two builds' answers).
//!
//!     cargo run --release -p casebook-search --example index_times -- DATA/index [UP_TO]
//!
//! UP_TO counts matches up to that many (as the web and the API do), else
//! every one.

use casebook_search::{parse_query, Counting, SearchIndex, SearchOptions};
use std::time::Instant;

const QUERIES: [&str; 11] = [
    "voicemail",
    "\"sip trunk\"",
    "subject:invoice",
    "from:gmail.com",
    "licence transfer",
    "dialplan",
    "invoice OR licence",
    "subject:overflow",
    "",
    "asterisk",
    "refund",
];
const RUNS: usize = 15;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().ok_or("usage: index_times INDEX_DIR [UP_TO]")?;
    let counting = match args.next() {
        Some(n) => Counting::UpTo(n.parse()?),
        None => Counting::Every,
    };
    let index = SearchIndex::open(std::path::Path::new(&dir))?;
    println!("| hits | query | matches | hits' digest | median ms | fastest ms |");
    println!("|---:|---|---:|---:|---:|---:|");
    for limit in [20usize, 5_000] {
        for q in QUERIES {
            let expr = parse_query(q)?;
            let options = SearchOptions {
                limit,
                counting,
                ..SearchOptions::default()
            };
            let mut times = Vec::with_capacity(RUNS);
            let mut found = (0, false, 0u64);
            for _ in 0..RUNS {
                let started = Instant::now();
                let results = index.search(&expr, &options)?;
                times.push(started.elapsed().as_secs_f64() * 1000.0);
                let digest = results
                    .hits
                    .iter()
                    .fold(0u64, |d, h| d.wrapping_mul(31).wrapping_add(h.id.0 as u64));
                found = (results.total, results.total_is_lower_bound, digest);
            }
            times.sort_by(f64::total_cmp);
            let (total, at_least, digest) = found;
            println!(
                "| {limit} | `{q}` | {}{total} | {digest:016x} | {:.2} | {:.2} |",
                if at_least { "≥ " } else { "" },
                times[RUNS / 2],
                times[0]
            );
        }
    }
    Ok(())
}
