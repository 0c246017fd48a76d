//! `casebook customers …` and `casebook person …`: list imports, matching,
//! the partner export, and merged persons.

use crate::args::{CustomersAction, PersonAction};
use crate::cli_actor;
use crate::output::rfc3339 as when;
use anyhow::{Context, Result};
use casebook_archive::{Archive, ColumnChoice, CustomerImport, CustomerMatch, MatchReport};
use std::io::Write;

pub async fn customers(
    archive: &Archive,
    action: CustomersAction,
    out: &mut impl Write,
) -> Result<()> {
    match action {
        CustomersAction::Import {
            file,
            list,
            partner,
            columns,
            merge,
        } => {
            let columns = columns
                .iter()
                .map(|c| ColumnChoice::parse(c))
                .collect::<Result<Vec<_>, _>>()?;
            let report = archive
                .customers()
                .import(
                    &file,
                    &CustomerImport {
                        list,
                        partner,
                        columns,
                        merge,
                        actor: cli_actor(),
                    },
                )
                .await?;
            writeln!(
                out,
                "list {}: {} records read from {} ({}, separated by {}), {} stored{}",
                report.list,
                report.records,
                file.display(),
                report.encoding,
                match report.separator {
                    '\t' => "tabs".to_owned(),
                    c => format!("{c:?}"),
                },
                report.stored,
                if merge {
                    " (added)"
                } else {
                    " (replacing the list)"
                },
            )?;
            if report.duplicates > 0 {
                writeln!(out, "{} duplicate rows left out", report.duplicates)?;
            }
            for p in &report.problems {
                writeln!(out, "line {}: {}; row not imported", p.line, p.reason)?;
            }
        }
        CustomersAction::Lists { json } => {
            let lists = archive.customers().lists().await?;
            if json {
                let v: Vec<_> = lists
                    .iter()
                    .map(|l| {
                        serde_json::json!({
                            "name": l.name,
                            "partner": l.partner,
                            "source_file": l.source_file,
                            "imported_at": when(l.imported_at),
                            "imported_by": l.imported_by,
                            "records": l.records,
                        })
                    })
                    .collect();
                writeln!(out, "{}", serde_json::Value::Array(v))?;
            } else {
                for l in &lists {
                    writeln!(
                        out,
                        "{}  {} records  {}  from {} at {} by {}",
                        l.name,
                        l.records,
                        l.partner
                            .as_deref()
                            .map_or_else(|| "ours".to_owned(), |p| format!("partner {p}")),
                        l.source_file,
                        when(l.imported_at),
                        l.imported_by
                    )?;
                }
            }
        }
        CustomersAction::Match { list, json, csv } => {
            let report = archive.customers().matches(list.as_deref()).await?;
            if json {
                matches_json(out, &report)?;
            } else if csv {
                matches_csv(out, &report.matches)?;
            } else {
                matches_text(out, &report)?;
            }
        }
        CustomersAction::ExportForPartner { partner, out: path } => {
            let export = archive
                .customers()
                .export_for_partner(&partner, &cli_actor())
                .await?;
            match &path {
                Some(p) => {
                    let mut file = std::fs::File::create(p)
                        .with_context(|| format!("cannot create {}", p.display()))?;
                    matches_csv(&mut file, &export.matches)?;
                    writeln!(
                        out,
                        "wrote {} matches for partner {} to {}; {} left out (objected to disclosure)",
                        export.matches.len(),
                        export.partner,
                        p.display(),
                        export.withheld
                    )?;
                }
                None => {
                    matches_csv(out, &export.matches)?;
                    eprintln!(
                        "{} left out: they objected to disclosure to partners",
                        export.withheld
                    );
                }
            }
        }
    }
    Ok(())
}

pub async fn person(archive: &Archive, action: PersonAction, out: &mut impl Write) -> Result<()> {
    match action {
        PersonAction::Merge { primary, other } => {
            archive
                .customers()
                .merge(&primary, &other, &cli_actor())
                .await?;
            writeln!(
                out,
                "{} is now an address of {}",
                other.trim(),
                primary.trim()
            )?;
        }
        PersonAction::Separate { address } => {
            archive.customers().separate(&address, &cli_actor()).await?;
            writeln!(out, "{} is a person of its own again", address.trim())?;
        }
        PersonAction::List { json } => {
            let persons = archive.customers().persons().await?;
            if json {
                let v: Vec<serde_json::Value> = persons
                    .iter()
                    .map(|(person, others)| {
                        serde_json::json!({ "person": person, "addresses": others })
                    })
                    .collect();
                serde_json::to_writer(&mut *out, &v)?;
                writeln!(out)?;
                return Ok(());
            }
            for (person, others) in persons {
                writeln!(out, "{person}: {}", others.join(", "))?;
            }
        }
        PersonAction::Suggest { json } => {
            let found = archive.customers().person_suggestions().await?;
            if json {
                let v: Vec<serde_json::Value> = found
                    .iter()
                    .map(|s| serde_json::json!({ "addresses": s.addresses, "reason": s.reason }))
                    .collect();
                serde_json::to_writer(&mut *out, &v)?;
                writeln!(out)?;
                return Ok(());
            }
            if found.is_empty() {
                writeln!(out, "no suggestions")?;
            }
            for s in found {
                writeln!(out, "{}  ({})", s.addresses.join(" + "), s.reason)?;
            }
        }
    }
    Ok(())
}

/// A match as JSON: the correspondent, how it matched, and the record.
pub fn match_json(m: &CustomerMatch) -> serde_json::Value {
    let r = &m.record;
    serde_json::json!({
        "email": m.correspondent,
        "kind": m.kind.as_str(),
        "list": r.list,
        "partner": r.partner,
        "records_with_domain": (m.records_with_domain > 0).then_some(m.records_with_domain),
        "record": {
            "email": r.address,
            "name": r.name,
            "company": r.company,
            "account": r.account,
            "line": r.line,
            "fields": serde_json::from_str::<serde_json::Value>(&r.fields).unwrap_or(serde_json::Value::Null),
        },
    })
}

/// One line naming a match, as `show` prints it.
pub fn match_text(m: &CustomerMatch) -> String {
    let r = &m.record;
    let who = [r.name.as_deref(), r.company.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let how = match m.kind {
        casebook_archive::MatchKind::Exact => format!("{} on list {}", m.correspondent, r.list),
        casebook_archive::MatchKind::Domain => format!(
            "domain {} on list {} ({} records)",
            r.domain, r.list, m.records_with_domain
        ),
    };
    format!(
        "{} ({how}{})",
        if who.is_empty() {
            r.address.as_str()
        } else {
            who.as_str()
        },
        r.account
            .as_deref()
            .map_or_else(String::new, |a| format!(", account {a}"))
    )
}

fn matches_json(out: &mut impl Write, report: &MatchReport) -> std::io::Result<()> {
    let v = serde_json::json!({
        "matches": report.matches.iter().map(match_json).collect::<Vec<_>>(),
        "unmatched": report.unmatched,
        "summary": report.summary.iter().map(|((list, kind), n)| serde_json::json!({
            "list": list, "kind": kind.as_str(), "correspondents": n,
        })).collect::<Vec<_>>(),
    });
    writeln!(out, "{v}")
}

fn matches_csv(out: &mut impl Write, matches: &[CustomerMatch]) -> std::io::Result<()> {
    out.write_all(casebook_archive::matches_csv(matches).as_bytes())
}

fn matches_text(out: &mut impl Write, report: &MatchReport) -> std::io::Result<()> {
    for m in &report.matches {
        writeln!(out, "{}  {}", m.correspondent, match_text(m))?;
    }
    writeln!(out)?;
    for ((list, kind), n) in &report.summary {
        writeln!(out, "{list}: {n} correspondents by {}", kind.as_str())?;
    }
    writeln!(out, "on no list: {} correspondents", report.unmatched.len())
}
