//! What `casebook check` found, and what to do about it.

use casebook_archive::MessageId;
use std::io::{self, Write};

/// What `casebook check` found, and what to do about it.
pub fn check(
    out: &mut impl Write,
    r: &casebook_archive::CheckReport,
    json: bool,
) -> io::Result<()> {
    let ids = |v: &[MessageId]| v.iter().map(|m| m.0).collect::<Vec<_>>();
    if json {
        let v = serde_json::json!({
            "clean": r.is_clean(),
            "raw_checked": r.raw_checked,
            "damaged": r.damaged.iter().map(|p| serde_json::json!({"id": p.id.0, "problem": p.problem, "needs_key": p.needs_key})).collect::<Vec<_>>(),
            "missing_raw": ids(&r.rows.missing_raw),
            "orphaned_raw": ids(&r.rows.orphaned_raw),
            "unattributed": ids(&r.rows.unattributed),
            "reattributed": ids(&r.reattributed),
            "restored": ids(&r.restored),
            "duplicate_raw_removed": r.duplicate_raw.iter().map(|(o, k)| serde_json::json!({"orphan": o.0, "kept": k.0})).collect::<Vec<_>>(),
            "unreadable_orphans": r.unreadable_orphans.iter().map(|(id, why)| serde_json::json!({"id": id.0, "problem": why})).collect::<Vec<_>>(),
            "orphan_rows": r.rows.orphans,
            "dangling_links": r.rows.dangling_links,
            "unthreaded": r.rows.unthreaded,
            "threads_to_fix": r.threads_to_fix,
            "totals_differ": r.totals_differ,
            "missing_from_index": ids(&r.missing_from_index),
            "extra_in_index": ids(&r.extra_in_index),
            "duplicated_in_index": ids(&r.duplicated_in_index),
            "repaired_rows": r.repaired_rows,
            "reindexed": r.reindexed,
            "chain": {
                "entries": r.chain.entries,
                "head": r.chain.head,
                "broken_at": r.chain.broken_at,
                "removed_behind_the_back": ids(&r.chain.removed_behind_the_back),
                "altered": ids(&r.chain.altered),
                "unchained": ids(&r.chain.unchained),
                "accepted": ids(&r.chained),
                "quarantined": ids(&r.quarantined),
                "edited": r.chain.edited.iter().map(|(seq, m)| serde_json::json!({"entry": seq, "message": m.0})).collect::<Vec<_>>(),
                "unverified": r.chain.unverified,
                "needs_key": r.chain.needs_key,
                "unauthenticated": r.chain.unauthenticated,
                "plain_hashes": r.chain.plain_hashes,
                "head_found": r.chain.head_found,
            },
        });
        return writeln!(out, "{v}");
    }
    writeln!(out, "raw messages verified: {}", r.raw_checked)?;
    writeln!(
        out,
        "integrity chain: {} entries, head {} (note it down: a later check shows the chain was not cut back)",
        r.chain.entries, r.chain.head
    )?;
    if let Some(seq) = r.chain.broken_at {
        writeln!(
            out,
            "the integrity chain was edited (or an entry forged) at entry {seq}; entries that do not verify: {:?}",
            r.chain.edited.iter().map(|(s, m)| format!("{s} (message {})", m.0)).collect::<Vec<_>>()
        )?;
    }
    match r.chain.head_found {
        Some(true) => writeln!(out, "the chain still holds the head noted earlier")?,
        Some(false) => writeln!(
            out,
            "the chain does not hold the head noted earlier: it was cut back or rewritten — restore a backup"
        )?,
        None => {}
    }
    if let Some(fp) = &r.chain.needs_key {
        writeln!(
            out,
            "{} chain entries are authenticated with integrity key {fp}, which this config does not give: set integrity_key_file to it to verify them",
            r.chain.unverified
        )?;
    }
    if r.chain.unauthenticated > 0 {
        writeln!(
            out,
            "{} chain entries were written without the integrity key (before it was set): anyone able to write to the database could have made them",
            r.chain.unauthenticated
        )?;
    }
    if r.chain.plain_hashes > 0 {
        writeln!(
            out,
            "{} chain entries (written by an older version) hold a message's plain SHA-256",
            r.chain.plain_hashes
        )?;
    }
    for (list, what) in [
        (
            &r.chain.removed_behind_the_back,
            "removed without a trace in the chain",
        ),
        (&r.chain.altered, "changed since they were stored"),
    ] {
        if !list.is_empty() {
            writeln!(
                out,
                "messages {what}: {:?} — restore them from a backup",
                ids(list)
            )?;
        }
    }
    if !r.chain.unchained.is_empty() {
        writeln!(
            out,
            "messages the chain does not hold: {:?} — inserted behind the archive's back, or stored before the chain began; `--repair` quarantines them (tag `quarantined`), `--repair --accept-unchained` enters them if you vouch for them",
            ids(&r.chain.unchained)
        )?;
    }
    if !r.chained.is_empty() {
        writeln!(out, "entered into the chain: {:?}", ids(&r.chained))?;
    }
    if !r.quarantined.is_empty() {
        writeln!(
            out,
            "quarantined (tag `quarantined`), not entered into the chain: {:?}",
            ids(&r.quarantined)
        )?;
    }
    let mut keys: std::collections::BTreeMap<&str, Vec<i64>> = Default::default();
    for p in &r.damaged {
        match &p.needs_key {
            Some(fp) => keys.entry(fp).or_default().push(p.id.0),
            None => writeln!(
                out,
                "message {}: {} — restore it from a backup (`casebook restore`), or import its original file again",
                p.id.0, p.problem
            )?,
        }
    }
    for (fp, ids) in keys {
        writeln!(
            out,
            "{} messages are sealed with key {fp}, which this config does not give (nothing is damaged): set encryption_key_file to the key with that fingerprint — {ids:?}",
            ids.len()
        )?;
    }
    if !r.rows.missing_raw.is_empty() {
        writeln!(
            out,
            "messages without raw bytes: {:?} — only a backup has them",
            ids(&r.rows.missing_raw)
        )?;
    }
    if !r.rows.orphaned_raw.is_empty() {
        writeln!(
            out,
            "raw bytes whose message row is gone: {:?} — `casebook check --repair` rebuilds the messages from them",
            ids(&r.rows.orphaned_raw)
        )?;
    }
    if !r.reattributed.is_empty() {
        writeln!(
            out,
            "senders read again and now known: {:?}",
            ids(&r.reattributed)
        )?;
    }
    if !r.rows.unattributed.is_empty() {
        writeln!(
            out,
            "messages whose person cannot be read from their headers (no erasure or export finds them by address): {:?} — `casebook show ID` shows the header; `casebook list --unattributed` lists them; `--repair` reads them again",
            ids(&r.rows.unattributed)
        )?;
    }
    if !r.restored.is_empty() {
        writeln!(out, "restored from their raw bytes: {:?}", ids(&r.restored))?;
    }
    for (orphan, kept) in &r.duplicate_raw {
        writeln!(
            out,
            "removed the orphaned raw copy {}: the same bytes are message {}",
            orphan.0, kept.0
        )?;
    }
    for (id, why) in &r.unreadable_orphans {
        writeln!(
            out,
            "orphaned raw bytes {} cannot be read ({why}); kept as they are",
            id.0
        )?;
    }
    for (n, what) in [
        (r.rows.orphans, "rows belonging to no message"),
        (r.rows.dangling_links, "links to messages that do not exist"),
        (r.rows.unthreaded, "messages without a thread"),
        (
            r.threads_to_fix,
            "messages whose thread or reply differs from working threads out afresh",
        ),
        (
            u64::from(r.totals_differ),
            "set of totals (what `stats` shows) that differs from counting every message",
        ),
        (
            r.missing_from_index.len() as u64,
            "messages missing from the search index",
        ),
        (
            r.extra_in_index.len() as u64,
            "search results for messages the store does not have",
        ),
        (
            r.duplicated_in_index.len() as u64,
            "messages the search index holds twice",
        ),
    ] {
        if n > 0 {
            writeln!(out, "{what}: {n} — `casebook check --repair` fixes this")?;
        }
    }
    if r.repaired_rows > 0 || r.reindexed {
        writeln!(
            out,
            "repaired: {} rows{}",
            r.repaired_rows,
            if r.reindexed { ", index rebuilt" } else { "" }
        )?;
    }
    writeln!(
        out,
        "{}",
        if r.is_clean() {
            "the archive is whole"
        } else {
            "problems found"
        }
    )
}
