//! Above the keys table: search, filters, the CSV download and the bulk
//! delete of the selection.

use leptos::prelude::*;

use crate::keys_state::{KeysState, ToDelete};
use crate::session::Session;

/// The filters and page actions.
#[component]
pub fn KeysToolbar(state: KeysState) -> impl IntoView {
    let session = Session::get();
    let filters = state.filters;
    let download = move |_| {
        let f = filters.get_untracked();
        leptos::task::spawn_local(async move {
            match crate::api::export_csv(&session.token(), &f).await {
                Ok(csv) => crate::browser::save_file("keygate-keys.csv", &csv),
                Err(f) => state.error.set(Some(session.message_for(&f))),
            }
        });
    };
    let confirm_selected = move |_| {
        let sel = state.selected.get_untracked();
        // Each selected key once, as the button counts them, though a key
        // renamed between two pages is listed in both.
        let mut items: ToDelete = Vec::new();
        for k in state.keys.get_untracked() {
            if sel.contains(&k.id) && !items.iter().any(|(id, _)| *id == k.id) {
                items.push((k.id, k.name));
            }
        }
        state.confirming.set(Some(items));
    };
    view! {
        <div class="toolbar" role="search">
            <label class="field">"Search"
                <input id="search" type="search" placeholder="name, organization, role…"
                    prop:value=move || filters.get().q
                    on:input=move |ev| { let v = event_target_value(&ev); filters.update(|f| f.q = v); } />
            </label>
            <label class="field">"Organization"
                <input id="org-filter" type="text" placeholder="e.g. acme (and below)"
                    prop:value=move || filters.get().organization
                    on:change=move |ev| { let v = event_target_value(&ev); filters.update(|f| f.organization = v); } />
            </label>
            <label class="field">"Unused for"
                <select id="unused-filter" on:change=move |ev| { let v = event_target_value(&ev); filters.update(|f| f.unused_days = v); }>
                    <option value="">"any time"</option>
                    <option value="7">"7 days or more"</option>
                    <option value="30">"30 days or more"</option>
                    <option value="90">"90 days or more"</option>
                </select>
            </label>
            <label class="field">"Status"
                <select id="status-filter" on:change=move |ev| { let v = event_target_value(&ev); filters.update(|f| f.status = v); }>
                    <option value="">"All"</option>
                    <option value="active">"Active"</option>
                    <option value="disabled">"Disabled"</option>
                    <option value="expired">"Expired"</option>
                </select>
            </label>
            <div class="actions">
                <button id="download-csv" on:click=download>"Download CSV"</button>
                {session.can_write().then(|| view! {
                    <button id="delete-selected" class="danger" disabled=move || state.selected.with(Vec::is_empty)
                        on:click=confirm_selected>
                        {move || format!("Delete selected ({})", state.selected.with(Vec::len))}
                    </button>
                })}
            </div>
        </div>
    }
}
