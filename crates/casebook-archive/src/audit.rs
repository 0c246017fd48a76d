//! Building audit log entries: who did what to what, when.

use casebook_store::{AuditEntry, AuditSubject};
use time::OffsetDateTime;

/// Now, in seconds since the epoch (UTC): the time decisions carry.
pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// An entry by `actor` for `action` on `subject`, stamped now. A person
/// subject is among the people it concerns; [`about`] adds others.
pub(crate) fn entry(
    actor: &str,
    action: &str,
    subject: AuditSubject<'_>,
    detail: serde_json::Value,
) -> AuditEntry {
    let people = match subject {
        AuditSubject::Person(a) => vec![a.to_owned()],
        _ => Vec::new(),
    };
    AuditEntry {
        at: now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject: subject.to_string(),
        detail: detail.to_string(),
        people,
    }
}

/// `entry`, also concerning `people` (their addresses).
pub(crate) fn about<'a>(
    mut entry: AuditEntry,
    people: impl IntoIterator<Item = &'a str>,
) -> AuditEntry {
    for p in people {
        if !entry.people.iter().any(|have| have == p) {
            entry.people.push(p.to_owned());
        }
    }
    entry
}
