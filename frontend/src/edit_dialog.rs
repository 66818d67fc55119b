//! Edit the fields that may change; the rest read-only, saying why.

use keygate_shared::api::PatchKeyRequest;
use keygate_shared::{validation, KeyView};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::format::{self, split_list};
use crate::session::Session;

/// The edit dialog for `key`.
#[component]
pub fn EditDialog(
    key: KeyView,
    on_close: Callback<()>,
    on_saved: Callback<KeyView>,
) -> impl IntoView {
    let session = Session::get();
    let name = RwSignal::new(key.name.clone());
    let description = RwSignal::new(key.description.clone());
    let enabled = RwSignal::new(key.enabled);
    let allowlist = RwSignal::new(key.ip_allowlist.join("\n"));
    let meta_shown = StoredValue::new(format::meta_text(&key.meta));
    let meta = RwSignal::new(meta_shown.get_value());
    // The box as it came is never an error: it may hold a number past 2^53
    // that the browser rounded, which `parse_meta` refuses; left alone it
    // is not sent (see `submit`), so the other fields can still be saved.
    let meta_error = move || {
        let text = meta.get();
        if meta_shown.with_value(|shown| *shown == text) {
            None
        } else {
            format::parse_meta(&text).err()
        }
    };
    let limits = crate::limits_fields::LimitInputs::of(&key);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let allowlist_error = move || {
        validation::ip_allowlist(&split_list(&allowlist.get()))
            .err()
            .map(|e| e.message)
    };
    let id = key.id.clone();
    let original = key.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Only what the user changed is sent: the dialog's copy may be
        // stale, and sending `enabled: true` back would re-enable a key
        // that was disabled meanwhile (by a leak report or another admin).
        let list = split_list(&allowlist.get_untracked());
        let same_list = validation::ip_allowlist(&list)
            .is_ok_and(|canonical| canonical == original.ip_allowlist);
        let body = PatchKeyRequest {
            name: Some(name.get_untracked()).filter(|n| n.trim() != original.name),
            description: Some(description.get_untracked()).filter(|d| *d != original.description),
            enabled: Some(enabled.get_untracked()).filter(|e| *e != original.enabled),
            ip_allowlist: Some(list).filter(|_| !same_list),
            meta: format::parse_meta(&meta.get_untracked())
                .ok()
                .filter(|m| *m != original.meta)
                .map(serde_json::Value::Object),
            // Sent only when changed: credits sent reset the live count.
            rate_limit: limits
                .rate_limit()
                .ok()
                .filter(|r| *r != original.rate_limit),
            credits: limits.credits().ok().filter(|c| *c != original.credits),
        };
        let id = id.clone();
        busy.set(true);
        spawn_local(async move {
            match crate::api::patch(&session.token(), &id, &body).await {
                Ok(view) => on_saved.run(view),
                Err(f) => error.set(Some(session.message_for(&f))),
            }
            busy.set(false);
        });
    };
    let name_field = crate::dialog::text_field(name);
    let description_field = crate::dialog::text_field(description);
    let allowlist_field = crate::dialog::text_field(allowlist);
    let meta_field = crate::dialog::text_field(meta);
    let first = NodeRef::<leptos::html::Input>::new();
    crate::dialog::focus_when_mounted(first);
    view! {
        <div class="backdrop" on:keydown=crate::dialog::close_on_escape(move || on_close.run(()))>
            <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="edit-title" on:submit=submit id="edit-dialog">
                <h2 id="edit-title">"Edit key"</h2>
                <label for="e-name">"Name"</label>
                <input id="e-name" node_ref=first required maxlength="100" prop:value=name_field.0 on:input=name_field.1 />
                <label for="e-description">"Description"</label>
                <textarea id="e-description" maxlength="500" prop:value=description_field.0 on:input=description_field.1></textarea>
                <label class="check"><input type="checkbox" id="e-enabled" prop:checked=move || enabled.get()
                    on:change=move |ev| enabled.set(event_target_checked(&ev)) />"Active (uncheck to deactivate)"</label>
                <label for="e-ips">"IP allowlist (empty = any)"</label>
                <textarea id="e-ips" prop:value=allowlist_field.0 on:input=allowlist_field.1></textarea>
                <p class="error" role="alert">{allowlist_error}</p>
                <label for="e-meta">"Metadata (JSON object; empty = none)"</label>
                <textarea id="e-meta" prop:value=meta_field.0 on:input=meta_field.1></textarea>
                <p class="error" role="alert" id="e-meta-error">{meta_error}</p>
                <crate::limits_fields::LimitFields inputs=limits prefix="e" />
                <dl class="readonly" aria-describedby="immutable-note">
                    <dt>"Organization"</dt><dd>{if key.organization.is_empty() { "(root)".to_owned() } else { key.organization.to_string() }}</dd>
                    <dt>"Group"</dt><dd>{key.group.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Roles"</dt><dd>{if key.roles.is_empty() { "—".to_owned() } else { keygate_shared::ids::join_roles(&key.roles, ", ") }}</dd>
                    <dt>"Expires"</dt><dd>{key.expires_at.as_ref().map_or_else(|| "never".to_owned(), format::date)}</dd>
                </dl>
                <p class="hint" id="immutable-note">"Organization, group, roles and expiry are fixed when a key is created, so that a leaked key never gains reach. To change them, roll or create a new key."</p>
                <p class="error" role="alert" id="edit-error">{move || error.get()}</p>
                <div class="buttons">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" id="e-save" disabled=move || busy.get() || allowlist_error().is_some() || meta_error().is_some() || limits.invalid()>"Save"</button>
                </div>
            </form>
        </div>
    }
}
