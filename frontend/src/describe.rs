//! Who did what, in words: actors by name (an admin key's name kept with
//! the event, "bootstrap", "GitHub secret scanning", …) with the id for a
//! tooltip, and each audit event's details as a sentence instead of JSON.

use keygate_shared::{AuditAction, AuditEvent, KeyView};

/// The name of a system actor, or `None` for an admin key's id.
fn system(actor: &str) -> Option<&'static str> {
    Some(match actor {
        "bootstrap" => "bootstrap",
        "cron" => "expiry cron",
        "github-secret-scanning" => "GitHub secret scanning",
        "limiter" => "usage limiter",
        _ => return None,
    })
}

/// Who acted in `event`, for a person.
#[must_use]
pub fn actor(event: &AuditEvent) -> String {
    system(&event.actor).map_or_else(
        || {
            event
                .details
                .get("actor_name")
                .and_then(|n| n.as_str())
                .map_or_else(|| event.actor.clone(), str::to_owned)
        },
        str::to_owned,
    )
}

/// Who created `key`, for a person.
#[must_use]
pub fn creator(key: &KeyView) -> String {
    system(&key.created_by).map_or_else(
        || {
            key.created_by_name
                .clone()
                .unwrap_or_else(|| key.created_by.clone())
        },
        str::to_owned,
    )
}

/// A duration in seconds, roughly: "45 s", "10 min", "1 h", "2 d".
fn duration(seconds: u64) -> String {
    match seconds {
        0 => "0 s".into(),
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

fn text<'a>(event: &'a AuditEvent, field: &str) -> Option<&'a str> {
    event.details.get(field).and_then(|v| v.as_str())
}

/// What `event` did, in words.
#[must_use]
pub fn details(event: &AuditEvent) -> String {
    let d = &event.details;
    match event.action {
        AuditAction::Created => match text(event, "organization") {
            Some("") | None => "created".into(),
            Some(org) => format!("created in {org}"),
        },
        AuditAction::Updated => {
            let mut parts = Vec::new();
            if let (Some(from), Some(to)) = (
                d.get("renamed").and_then(|r| r.get("from")?.as_str()),
                d.get("renamed").and_then(|r| r.get("to")?.as_str()),
            ) {
                parts.push(format!("renamed from “{from}” to “{to}”"));
            }
            let others: Vec<&str> = d
                .get("fields")
                .and_then(|f| f.as_array())
                .map(|f| {
                    f.iter()
                        .filter_map(|v| v.as_str())
                        .filter(|f| *f != "name")
                        .collect()
                })
                .unwrap_or_default();
            if !others.is_empty() {
                let names: Vec<String> = others.iter().map(|f| f.replace('_', " ")).collect();
                parts.push(format!("changed {}", names.join(", ")));
            }
            if parts.is_empty() {
                "edited".into()
            } else {
                parts.join("; ")
            }
        }
        AuditAction::Enabled => "activated".into(),
        AuditAction::Disabled => "deactivated".into(),
        AuditAction::Deleted => "deleted".into(),
        AuditAction::Rolled => {
            let grace = d.get("grace_seconds").and_then(|v| v.as_u64()).unwrap_or(0);
            let new = text(event, "new_key_id").unwrap_or("?");
            if grace == 0 {
                format!("rolled at once (no grace period), new key {new}")
            } else {
                format!("rolled: grace {}, new key {new}", duration(grace))
            }
        }
        AuditAction::Expiring => {
            let days = d.get("days_left").and_then(|v| v.as_u64()).unwrap_or(0);
            format!(
                "expiry notice: {days} day{} left",
                if days == 1 { "" } else { "s" }
            )
        }
        AuditAction::Expired => "purged after it expired".into(),
        AuditAction::Leaked => match text(event, "url") {
            Some(url) if !url.is_empty() => {
                format!("reported leaked (found at {url}); deactivated")
            }
            _ => "reported leaked; deactivated".into(),
        },
        AuditAction::CreditsExhausted => "credits ran out".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str, actor: &str, details: serde_json::Value) -> AuditEvent {
        serde_json::from_value(serde_json::json!({
            "at": "2026-12-01T12:00:00Z", "actor": actor, "action": action,
            "key_id": "key_0123456789abcdef", "details": details
        }))
        .unwrap()
    }

    #[test]
    fn sentences_and_names() {
        let renamed = event(
            "key.updated",
            "key_aaaaaaaaaaaaaaaa",
            serde_json::json!({"fields": ["name", "ip_allowlist"], "renamed": {"from": "a", "to": "b"}, "actor_name": "ops admin"}),
        );
        assert_eq!(
            details(&renamed),
            "renamed from “a” to “b”; changed ip allowlist"
        );
        assert_eq!(actor(&renamed), "ops admin");
        let rolled = event(
            "key.rolled",
            "bootstrap",
            serde_json::json!({"grace_seconds": 3600, "new_key_id": "key_x"}),
        );
        assert_eq!(details(&rolled), "rolled: grace 1 h, new key key_x");
        let at_once = event(
            "key.rolled",
            "bootstrap",
            serde_json::json!({"grace_seconds": 0, "new_key_id": "key_y"}),
        );
        assert_eq!(
            details(&at_once),
            "rolled at once (no grace period), new key key_y"
        );
        assert_eq!(actor(&rolled), "bootstrap");
        let leaked = event(
            "key.leaked",
            "github-secret-scanning",
            serde_json::json!({"url": "https://github.com/x"}),
        );
        assert_eq!(actor(&leaked), "GitHub secret scanning");
        assert!(details(&leaked).starts_with("reported leaked"));
        let old = event("key.deleted", "key_aaaaaaaaaaaaaaaa", serde_json::json!({}));
        assert_eq!(
            actor(&old),
            "key_aaaaaaaaaaaaaaaa",
            "an event from before names were kept"
        );
    }
}
