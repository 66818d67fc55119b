//! One key's details with its audit events.

use keygate_shared::KeyView;
use leptos::prelude::*;

use crate::format;

/// The details panel of `key`.
#[component]
pub fn Details(
    key: KeyView,
    on_close: Callback<()>,
    on_delete: Callback<(keygate_shared::KeyId, String)>,
) -> impl IntoView {
    let id = key.id.clone();
    let session = crate::session::Session::get();
    let target = (key.id.clone(), key.name.clone());
    let close = NodeRef::<leptos::html::Button>::new();
    crate::dialog::focus_when_mounted(close);
    view! {
        <div class="backdrop" on:keydown=crate::dialog::close_on_escape(move || on_close.run(()))>
            <div class="dialog wide" role="dialog" aria-modal="true" aria-labelledby="details-title" id="details-dialog">
                <h2 id="details-title">{key.name.clone()}</h2>
                <dl class="readonly">
                    <dt>"Id"</dt><dd class="mono">{key.id.to_string()}</dd>
                    <dt>"Key"</dt><dd class="mono">{key.hint.clone()}</dd>
                    <dt>"Status"</dt><dd>{key.status.as_str()}</dd>
                    <dt>"Description"</dt><dd>{key.description.clone()}</dd>
                    <dt>"Organization"</dt><dd>{if key.organization.is_empty() { "(root)".to_owned() } else { key.organization.to_string() }}</dd>
                    <dt>"Roles"</dt><dd>{keygate_shared::ids::join_roles(&key.roles, ", ")}</dd>
                    <dt>"IP allowlist"</dt><dd>{if key.ip_allowlist.is_empty() { "any".to_owned() } else { key.ip_allowlist.join(", ") }}</dd>
                    <dt>"Created"</dt><dd id="details-created" title=key.created_by.clone()>{format!("{} by {}", format::date(&key.created_at), crate::describe::creator(&key))}</dd>
                    <dt>"Metadata"</dt><dd class="mono" id="details-meta">{if key.meta.is_empty() { "—".to_owned() } else { format::meta_text(&key.meta) }}</dd>
                    <dt>"Expires"</dt><dd>{key.expires_at.as_ref().map_or_else(|| "never".to_owned(), |at| format!("{} ({})", format::date(at), format::relative(at)))}</dd>
                    <dt>"Last used"</dt><dd id="details-last-used">{key.last_used_at.as_ref().map_or_else(|| "never".to_owned(), |at| format!("{} ({})", format::date(at), format::ago(at)))}</dd>
                    <dt>"Rate limit"</dt><dd id="details-rate-limit">{key.rate_limit.map_or_else(|| "none".to_owned(), |r| format!("{} per {} s", r.limit, r.period_seconds))}</dd>
                    <dt>"Credits"</dt><dd id="details-credits">{key.credits.map_or_else(|| "none".to_owned(), |c| {
                        let refill = c.refill.map(|r| format!(", refilled to {} {}", r.amount, r.interval.as_str())).unwrap_or_default();
                        format!("{} left{refill}", c.remaining)
                    })}</dd>
                </dl>
                <h3>"Use in the last 30 days"</h3>
                <crate::usage_chart::UsageChart id=key.id.clone() />
                <h3>"History"</h3>
                <crate::audit_page::AuditPage key_id=Some(id) />
                <div class="buttons">
                    {session.can_write().then(|| view! {
                        <button class="danger" id="details-delete" on:click=move |_| on_delete.run(target.clone())>"Delete key"</button>
                    })}
                    <button on:click=move |_| on_close.run(()) id="details-close" node_ref=close>"Close"</button>
                </div>
            </div>
        </div>
    }
}
