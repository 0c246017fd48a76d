//! Getting mail in: what an import, a sync, a watch and a store copy did;
//! where each account's folders stand.

use casebook_archive::{
    CopyReport, FolderRecord, FolderSync, ImportReport, StoreLocation, WatchEvent,
};
use serde::Serialize;
use std::io::{self, Write};

pub fn import_report(out: &mut impl Write, r: &ImportReport, json: bool) -> io::Result<()> {
    if json {
        #[derive(Serialize)]
        struct Failure<'a> {
            source: &'a str,
            reason: &'a str,
        }
        let failed: Vec<Failure<'_>> = r
            .failed
            .iter()
            .map(|f| Failure {
                source: &f.source,
                reason: &f.reason,
            })
            .collect();
        let v = serde_json::json!({
            "files": r.files, "read": r.read, "stored": r.stored, "copies": r.copies,
            "duplicates": r.duplicates, "erased": r.erased, "failed": failed,
            "healed": r.healed.iter().map(|m| m.0).collect::<Vec<_>>(),
        });
        serde_json::to_writer(&mut *out, &v)?;
        return writeln!(out);
    }
    for f in &r.failed {
        writeln!(out, "could not store {}: {}", f.source, f.reason)?;
    }
    writeln!(
        out,
        "{} files, {} messages read, stored {} new, {} copies of known messages, {} duplicates skipped, {} could not be stored",
        r.files,
        r.read,
        r.stored,
        r.copies,
        r.duplicates,
        r.failed.len()
    )?;
    if r.erased > 0 {
        writeln!(
            out,
            "{} messages of erased persons were not imported",
            r.erased
        )?;
    }
    if !r.healed.is_empty() {
        let ids: Vec<i64> = r.healed.iter().map(|m| m.0).collect();
        writeln!(
            out,
            "healed {} damaged message{} from their original bytes (same SHA-256, verified): {ids:?}",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

pub fn sync(out: &mut impl Write, reports: &[FolderSync], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = reports
            .iter()
            .map(|r| {
                serde_json::json!({
                    "account": r.account, "folder": r.folder, "fetched": r.fetched,
                    "stored": r.stored, "copies": r.copies, "duplicates": r.duplicates, "erased": r.erased,
                    "skipped": r.skipped, "rescanned": r.rescanned, "error": r.error,
                })
            })
            .collect();
        serde_json::to_writer(&mut *out, &v)?;
        return writeln!(out);
    }
    for r in reports {
        let place = if r.folder.is_empty() {
            r.account.clone()
        } else {
            format!("{}/{}", r.account, r.folder)
        };
        match &r.error {
            Some(e) => writeln!(out, "{place}: failed: {e}")?,
            None => writeln!(
                out,
                "{place}: fetched {}, stored {} new, {} copies, {} duplicates, {} skipped as too large{}{}",
                r.fetched,
                r.stored,
                r.copies,
                r.duplicates,
                r.skipped,
                if r.erased > 0 { format!(", {} of erased persons not taken in", r.erased) } else { String::new() },
                if r.rescanned { " (UIDVALIDITY changed: folder scanned again)" } else { "" }
            )?,
        }
    }
    Ok(())
}

pub fn accounts(out: &mut impl Write, records: &[FolderRecord], json: bool) -> io::Result<()> {
    if json {
        let v: Vec<_> = records
            .iter()
            .map(|r| {
                serde_json::json!({
                    "account": r.account, "folder": r.folder, "uid_validity": r.uid_validity,
                    "last_uid": r.last_uid, "server_messages": r.server_messages,
                    "archived": r.archived,
                    "last_sync": r.last_sync.and_then(casebook_archive::view::rfc3339),
                    "last_error": r.last_error,
                    "skipped": r.skipped.iter().map(|(uid, size, reason)| serde_json::json!({"uid": uid, "size": size, "reason": reason})).collect::<Vec<_>>(),
                })
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &v)?;
        return writeln!(out);
    }
    if records.is_empty() {
        return writeln!(
            out,
            "no folder synced yet; `casebook sync` pulls the accounts in the config"
        );
    }
    for r in records {
        writeln!(
            out,
            "{}/{}: uidvalidity {}, last uid {}, {} on the server, {} archived, last sync {}{}",
            r.account,
            r.folder,
            r.uid_validity,
            r.last_uid,
            r.server_messages
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            r.archived,
            r.last_sync
                .and_then(casebook_archive::view::rfc3339)
                .unwrap_or_else(|| "never".to_owned()),
            r.last_error
                .as_ref()
                .map_or_else(String::new, |e| format!(", last error: {e}"))
        )?;
        for (uid, size, reason) in &r.skipped {
            writeln!(out, "    skipped uid {uid} ({size} bytes): {reason}")?;
        }
    }
    Ok(())
}

/// One line per event, as `watch` goes.
pub fn watch_event(out: &mut impl Write, event: &WatchEvent) -> io::Result<()> {
    match event {
        WatchEvent::Synced(reports) => {
            let busy: Vec<FolderSync> = reports
                .iter()
                .filter(|r| r.fetched > 0 || r.skipped > 0 || r.error.is_some())
                .cloned()
                .collect();
            sync(out, &busy, false)
        }
        WatchEvent::Idle { account, folder } => {
            writeln!(out, "{account}/{folder}: waiting for new mail (IDLE)")
        }
        WatchEvent::Retention(r) => {
            write!(out, "retention: ")?;
            crate::privacy::erasure(out, r, "of")
        }
        WatchEvent::Polling { account, every } => {
            writeln!(
                out,
                "{account}: the server has no IDLE; checking every {} s",
                every.as_secs()
            )
        }
        WatchEvent::Retrying {
            account,
            after,
            error,
        } => {
            writeln!(
                out,
                "{account}: {error}; trying again in {} s",
                after.as_secs()
            )
        }
    }
}

pub fn copy_report(
    out: &mut impl Write,
    from: &StoreLocation,
    to: &StoreLocation,
    r: &CopyReport,
) -> io::Result<()> {
    writeln!(out, "copied {from} to {to}")?;
    for (table, rows) in &r.rows {
        writeln!(out, "  {table:<17} {rows:>9} rows, same in both")?;
    }
    writeln!(
        out,
        "  raw bytes of {} messages read back and matched their SHA-256",
        r.raw_verified
    )?;
    writeln!(
        out,
        "  checksum of messages and links {}, same in both",
        r.checksum
    )
}
