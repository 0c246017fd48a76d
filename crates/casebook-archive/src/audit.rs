//! Building audit log entries: who did what to what, when.

use casebook_store::AuditEntry;
use time::OffsetDateTime;

/// Now, in seconds since the epoch (UTC): the time decisions carry.
pub(crate) fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// An entry by `actor` for `action` on `subject`, stamped now.
pub(crate) fn entry(
    actor: &str,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> AuditEntry {
    AuditEntry {
        at: now(),
        actor: actor.to_owned(),
        action: action.to_owned(),
        subject,
        detail: detail.to_string(),
    }
}
