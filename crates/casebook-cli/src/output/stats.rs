//! Figures: the archive's own counts and the k-anonymous aggregate.

use super::*;
use casebook_archive::Stats;
use std::io::{self, Write};

pub fn aggregate(
    out: &mut impl Write,
    a: &casebook_archive::AggregateStats,
    json: bool,
) -> io::Result<()> {
    if json {
        return writeln!(out, "{}", casebook_archive::view::aggregate_json(a));
    }
    writeln!(
        out,
        "month    topic       inbound  outbound  answered  median response  people"
    )?;
    for c in &a.cells {
        writeln!(
            out,
            "{:<8} {:<11} {:>7}  {:>8}  {:>7}%  {:>15}  {:>6}",
            c.month,
            c.topic,
            c.inbound,
            c.outbound,
            c.answer_rate().map_or(0, |r| (r * 100.0).round() as u64),
            c.median_response_secs
                .map_or_else(|| "-".to_owned(), duration_text),
            c.correspondents
        )?;
    }
    writeln!(
        out,
        "{} cells of fewer than {} people not shown",
        a.suppressed, a.k
    )
}

pub fn stats(out: &mut impl Write, s: &Stats, json: bool) -> io::Result<()> {
    if json {
        let v = serde_json::json!({
            "messages": s.counts.messages, "copies": s.counts.copies, "threads": s.counts.threads,
            "inbound": s.counts.inbound, "outbound": s.counts.outbound, "automated": s.counts.automated,
            "answered": s.counts.answered, "unanswered": s.counts.unanswered,
            "correspondents": s.counts.correspondents,
            "median_first_response_secs": s.median_first_response_secs,
            "index": { "documents": s.index_documents, "deleted_not_yet_merged": s.index_deleted },
        });
        serde_json::to_writer_pretty(&mut *out, &v)?;
        return writeln!(out);
    }
    writeln!(out, "messages        {}", s.counts.messages)?;
    writeln!(out, "  extra copies  {}", s.counts.copies)?;
    writeln!(out, "threads         {}", s.counts.threads)?;
    writeln!(out, "inbound         {}", s.counts.inbound)?;
    writeln!(out, "  answered      {}", s.counts.answered)?;
    writeln!(out, "  unanswered    {}", s.counts.unanswered)?;
    writeln!(out, "outbound        {}", s.counts.outbound)?;
    writeln!(out, "automated       {}", s.counts.automated)?;
    writeln!(out, "correspondents  {}", s.counts.correspondents)?;
    writeln!(
        out,
        "median first response  {}",
        s.median_first_response_secs
            .map_or_else(|| "-".to_owned(), duration_text)
    )
}
