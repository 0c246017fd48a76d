//! Testimonials: suggestions to review, decisions, and what marketing
//! may publish (JSON, CSV, HTML).

use super::*;
use casebook_archive::{PublishedTestimonial, Suggestion, TestimonialView};
use std::io::{self, Write};

pub fn suggestions(out: &mut impl Write, list: &[Suggestion], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = list
            .iter()
            .map(|s| {
                serde_json::json!({
                    "message": s.message.id.0,
                    "date": s.message.date.and_then(casebook_archive::view::rfc3339),
                    "subject": s.message.subject,
                    "score": s.score,
                    "quotes": s.quotes,
                    "permission": s.permission,
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    if list.is_empty() {
        return writeln!(out, "no praise waiting for a decision");
    }
    for s in list {
        writeln!(
            out,
            "message {} · score {} · {}",
            s.message.id.0, s.score, s.message.subject
        )?;
        for q in &s.quotes {
            writeln!(out, "  “{q}”")?;
        }
        for p in &s.permission {
            writeln!(out, "  permission: “{p}”")?;
        }
    }
    Ok(())
}

pub fn testimonials(out: &mut impl Write, list: &[TestimonialView], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = list
            .iter()
            .map(|t| {
                let r = &t.record;
                serde_json::json!({
                    "id": r.id,
                    "message": r.message.0,
                    "state": t.state_name(),
                    "excerpt": r.excerpt,
                    "attribution": r.attribution,
                    "edited": r.edited,
                    "topic": r.topic,
                    "consent_message": r.consent_message.map(|m| m.0),
                    "consent_note": r.consent_note,
                    "reason": r.reason,
                    "decided_by": r.decided_by,
                    "decided_at": casebook_archive::view::rfc3339_secs(r.decided_at),
                    "expires_at": r.expires_at.and_then(casebook_archive::view::rfc3339_secs),
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    if list.is_empty() {
        return writeln!(out, "no testimonials in this state");
    }
    for t in list {
        let r = &t.record;
        let edited = if r.edited { " (edited)" } else { "" };
        writeln!(
            out,
            "{} · {} · message {} · {}",
            r.id,
            t.state_name(),
            r.message.0,
            r.topic
        )?;
        if !r.excerpt.is_empty() {
            writeln!(out, "  “{}”{edited} — {}", r.excerpt, r.attribution)?;
        }
        if let Some(reason) = &r.reason {
            writeln!(out, "  reason: {reason}")?;
        }
    }
    Ok(())
}

fn published_values(list: &[PublishedTestimonial]) -> Vec<serde_json::Value> {
    list.iter()
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "excerpt": t.excerpt,
                "attribution": t.attribution,
                "date": day(t.date),
                "topic": t.topic,
                "edited": t.edited,
            })
        })
        .collect()
}

pub fn published_json(out: &mut impl Write, list: &[PublishedTestimonial]) -> io::Result<()> {
    writeln!(out, "{}", serde_json::Value::Array(published_values(list)))
}

pub fn published_csv(out: &mut impl Write, list: &[PublishedTestimonial]) -> io::Result<()> {
    out.write_all(casebook_archive::view::published_csv(list).as_bytes())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn published_html(out: &mut impl Write, list: &[PublishedTestimonial]) -> io::Result<()> {
    writeln!(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Testimonials</title></head><body>")?;
    for t in list {
        let edited = if t.edited {
            " <small>(edited)</small>"
        } else {
            ""
        };
        writeln!(
            out,
            "<figure data-id=\"{}\"><blockquote>{}</blockquote>{edited}<figcaption>{} · {} · {}</figcaption></figure>",
            t.id,
            html_escape(&t.excerpt),
            html_escape(&t.attribution),
            html_escape(&t.topic),
            day(t.date)
        )?;
    }
    writeln!(out, "</body></html>")
}
