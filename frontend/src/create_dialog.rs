//! The create dialog, with inline errors from the API's `field`.

use keygate_shared::api::{CreateKeyRequest, CreatedKey};
use keygate_shared::validation;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::format::split_list;
use crate::session::Session;

/// Create a key; on success hands the one-time token to `on_created`.
#[component]
pub fn CreateDialog(on_close: Callback<()>, on_created: Callback<CreatedKey>) -> impl IntoView {
    let session = Session::get();
    let own_org = session
        .me
        .get_untracked()
        .map(|m| m.organization())
        .unwrap_or_default();
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let organization = RwSignal::new(own_org.clone());
    let group = RwSignal::new(String::new());
    let roles = RwSignal::new(String::new());
    let allowlist = RwSignal::new(String::new());
    // "default": no expiry sent, so the worker picks 365 days, capped at the
    // creator's own expiry for admin and reader keys (§4): the defaults
    // succeed for every role.
    let expiry = RwSignal::new("default".to_owned());
    let date = RwSignal::new(String::new());
    let meta = RwSignal::new(String::new());
    let meta_error = move || crate::format::parse_meta(&meta.get()).err();
    let limits = crate::limits_fields::LimitInputs::new();
    let error = RwSignal::new(None::<(Option<String>, String)>);
    let busy = RwSignal::new(false);
    // Checked as the user types, with the same rules as the worker.
    let allowlist_error = move || {
        validation::ip_allowlist(&split_list(&allowlist.get()))
            .err()
            .map(|e| e.message)
    };
    let field_error = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|(f, m)| (f.as_deref() == Some(field)).then_some(m))
        }
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut body = CreateKeyRequest {
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()).filter(|d| !d.is_empty()),
            organization: Some(organization.get_untracked().trim().to_owned()),
            group: Some(group.get_untracked().trim().to_owned()).filter(|g| !g.is_empty()),
            roles: Some(split_list(&roles.get_untracked())),
            ip_allowlist: Some(split_list(&allowlist.get_untracked())),
            meta: crate::format::parse_meta(&meta.get_untracked())
                .ok()
                .filter(|m| !m.is_empty())
                .map(serde_json::Value::Object),
            rate_limit: limits.rate_limit().ok().flatten().map(Some),
            credits: limits.credits().ok().flatten().map(Some),
            ..CreateKeyRequest::default()
        };
        match expiry.get_untracked().as_str() {
            "default" => {}
            "never" => body.expires_at = Some(None),
            "date" => match crate::format::end_of_day(&date.get_untracked()) {
                Some(end) => body.expires_at = Some(Some(end)),
                None => {
                    error.set(Some((
                        Some("expires_at".into()),
                        "Pick an expiry date.".into(),
                    )));
                    return;
                }
            },
            days => body.expires_in_days = days.parse().ok(),
        }
        busy.set(true);
        spawn_local(async move {
            match crate::api::create(&session.token(), &body).await {
                Ok(created) => on_created.run(created),
                Err(f) => {
                    let msg = session.message_for(&f);
                    error.set(Some((f.error.field.clone(), msg)));
                }
            }
            busy.set(false);
        });
    };

    let name_field = crate::dialog::text_field(name);
    let description_field = crate::dialog::text_field(description);
    let organization_field = crate::dialog::text_field(organization);
    let group_field = crate::dialog::text_field(group);
    let roles_field = crate::dialog::text_field(roles);
    let allowlist_field = crate::dialog::text_field(allowlist);
    let meta_field = crate::dialog::text_field(meta);
    let date_field = crate::dialog::text_field(date);
    let first = NodeRef::<leptos::html::Input>::new();
    crate::dialog::focus_when_mounted(first);
    view! {
        <div class="backdrop" on:keydown=crate::dialog::close_on_escape(move || on_close.run(()))>
            <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="create-title" on:submit=submit id="create-dialog">
                <h2 id="create-title">"Create key"</h2>
                <label for="c-name">"Name"</label>
                <input id="c-name" node_ref=first required maxlength="100" prop:value=name_field.0 on:input=name_field.1 />
                <p class="error" role="alert">{field_error("name")}</p>
                <label for="c-description">"Description"</label>
                <textarea id="c-description" maxlength="500" prop:value=description_field.0 on:input=description_field.1></textarea>
                <label for="c-org">"Organization"</label>
                <input id="c-org" prop:value=organization_field.0 on:input=organization_field.1 aria-describedby="c-org-hint" />
                <p class="hint" id="c-org-hint">{if own_org.is_empty() { "Any organization, e.g. acme/emea; empty for the root.".to_owned() } else { format!("{own_org} or below it.") }}</p>
                <p class="error" role="alert">{field_error("organization")}</p>
                <label for="c-group">"Group"</label>
                <input id="c-group" prop:value=group_field.0 on:input=group_field.1 />
                <p class="error" role="alert">{field_error("group")}</p>
                <label for="c-roles">"Roles (comma separated)"</label>
                <input id="c-roles" prop:value=roles_field.0 on:input=roles_field.1 />
                <p class="error" role="alert">{field_error("roles")}</p>
                <label for="c-ips">"IP allowlist (addresses or CIDRs; empty = any)"</label>
                <textarea id="c-ips" prop:value=allowlist_field.0 on:input=allowlist_field.1></textarea>
                <p class="error" role="alert" id="c-ips-error">{move || allowlist_error().or_else(field_error("ip_allowlist"))}</p>
                <label for="c-meta">"Metadata (JSON object, optional; sent to your API as X-Keygate-Meta)"</label>
                <textarea id="c-meta" placeholder="{\"plan\": \"pro\"}" prop:value=meta_field.0 on:input=meta_field.1></textarea>
                <p class="error" role="alert" id="c-meta-error">{move || meta_error().or_else(field_error("meta"))}</p>
                <crate::limits_fields::LimitFields inputs=limits prefix="c" />
                <p class="error" role="alert">{move || field_error("rate_limit")().or_else(field_error("credits"))}</p>
                <label for="c-expiry">"Expires"</label>
                <select id="c-expiry" on:change=move |ev| expiry.set(event_target_value(&ev))>
                    <option value="default" selected>"in 365 days (admin and reader keys: no later than yours)"</option>
                    <option value="7">"in 7 days"</option>
                    <option value="30">"in 30 days"</option>
                    <option value="90">"in 90 days"</option>
                    <option value="date">"on a date…"</option>
                    <option value="never">"never"</option>
                </select>
                {move || expiry.with(|e| e == "date").then(|| view! {
                    <label for="c-date">"Expiry date"</label>
                    <input id="c-date" type="date" prop:value=date_field.0 on:input=date_field.1 />
                })}
                <p class="error" role="alert">{move || field_error("expires_at")().or_else(field_error("expires_in_days"))}</p>
                <p class="error" role="alert" id="create-error">{move || error.get().and_then(|(f, m)| f.is_none().then_some(m))}</p>
                <div class="buttons">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" id="c-save" disabled=move || busy.get() || allowlist_error().is_some() || meta_error().is_some() || limits.invalid()>"Create"</button>
                </div>
            </form>
        </div>
    }
}
