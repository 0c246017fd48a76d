//! Users and the audit log.

use super::*;
use casebook_archive::{AuditEntry, User};
use std::io::{self, Write};

pub fn users(out: &mut impl Write, users: &[User], json: bool) -> io::Result<()> {
    if json {
        let list: Vec<_> = users
            .iter()
            .map(|u| serde_json::json!({ "name": u.name, "role": u.role.as_str(), "disabled": u.disabled }))
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(list));
    }
    if users.is_empty() {
        return writeln!(
            out,
            "no users yet; `casebook user add NAME --role admin` adds the first"
        );
    }
    for u in users {
        let state = if u.disabled { "  (disabled)" } else { "" };
        writeln!(out, "{:<24} {:<10}{state}", u.name, u.role.as_str())?;
    }
    Ok(())
}

pub fn audit(out: &mut impl Write, log: &[AuditEntry], json: bool) -> io::Result<()> {
    let when = rfc3339;
    if json {
        let v: Vec<_> = log
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": when(e.at),
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "people": e.people,
                    "detail": serde_json::from_str::<serde_json::Value>(&e.detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect();
        return writeln!(out, "{}", serde_json::Value::Array(v));
    }
    for e in log {
        writeln!(
            out,
            "{} {} {} {} {}",
            when(e.at),
            e.actor,
            e.action,
            e.subject,
            e.detail
        )?;
    }
    Ok(())
}
