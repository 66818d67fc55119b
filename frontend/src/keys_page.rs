//! The keys table: search, filters, sort, paging, selection, and the
//! create, edit, roll, delete and export actions.

use std::collections::BTreeSet;

use keygate_shared::api::CreatedKey;
use keygate_shared::KeyView;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Filters};
use crate::format;
use crate::session::Session;

/// What a confirmation is about to delete: (id, name) pairs.
type ToDelete = Vec<(keygate_shared::KeyId, String)>;

/// The keys page.
#[component]
pub fn KeysPage() -> impl IntoView {
    let session = Session::get();
    let filters = RwSignal::new(Filters {
        sort: "name".into(),
        ..Filters::default()
    });
    let keys = RwSignal::new(Vec::<KeyView>::new());
    let total = RwSignal::new(0usize);
    let cursor = RwSignal::new(None::<String>);
    let loading = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let info = RwSignal::new(None::<String>);
    let selected = RwSignal::new(BTreeSet::<keygate_shared::KeyId>::new());
    let creating = RwSignal::new(false);
    let shown_token = RwSignal::new(None::<(String, CreatedKey)>);
    let editing = RwSignal::new(None::<KeyView>);
    let confirming = RwSignal::new(None::<ToDelete>);
    let details = RwSignal::new(None::<KeyView>);

    // Only the newest request may fill the table: typing fires one list
    // call per keystroke, and answers can arrive out of order.
    let generation = StoredValue::new(0u64);
    let load = move |append: bool| {
        let f = filters.get_untracked();
        let from = if append { cursor.get_untracked() } else { None };
        let mine = generation.get_value() + 1;
        generation.set_value(mine);
        loading.set(true);
        spawn_local(async move {
            let result = api::list(&session.token(), &f, from.as_deref()).await;
            if generation.get_value() != mine {
                return;
            }
            match result {
                Ok(page) => {
                    error.set(None);
                    total.set(page.total);
                    cursor.set(page.next_cursor);
                    if append {
                        keys.update(|k| k.extend(page.keys));
                    } else {
                        selected.set(BTreeSet::new());
                        keys.set(page.keys);
                    }
                }
                Err(f) => error.set(Some(session.message_for(&f))),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        filters.track();
        load(false);
    });

    let sort_by = move |column: &'static str| {
        filters.update(|f| {
            f.sort = if f.sort == column {
                format!("-{column}")
            } else {
                column.to_owned()
            };
        });
    };
    let sort_mark = move |column: &'static str| {
        let s = filters.get().sort;
        if s == column {
            "ascending"
        } else if s == format!("-{column}") {
            "descending"
        } else {
            "none"
        }
    };
    let header = move |column: &'static str, label: &'static str| {
        view! {
            <th scope="col" aria-sort=move || sort_mark(column)>
                <button class="sort" on:click=move |_| sort_by(column)>{label}
                    {move || match sort_mark(column) { "ascending" => " ▲", "descending" => " ▼", _ => "" }}
                </button>
            </th>
        }
    };

    let download = move |_| {
        let f = filters.get_untracked();
        spawn_local(async move {
            match api::export_csv(&session.token(), &f).await {
                Ok(csv) => crate::browser::save_file("keygate-keys.csv", &csv),
                Err(f) => error.set(Some(session.message_for(&f))),
            }
        });
    };

    let do_delete = move |items: ToDelete| {
        confirming.set(None);
        spawn_local(async move {
            let ids: Vec<String> = items.iter().map(|(id, _)| id.to_string()).collect();
            let result = if ids.len() == 1 {
                api::delete(&session.token(), &ids[0]).await.map(|()| 1)
            } else {
                api::bulk_delete(&session.token(), ids)
                    .await
                    .map(|r| r.deleted.len())
            };
            match result {
                Ok(n) => {
                    info.set(Some(format!(
                        "Deleted {n} key{}.",
                        if n == 1 { "" } else { "s" }
                    )));
                    details.set(None);
                    load(false);
                }
                Err(f) => error.set(Some(session.message_for(&f))),
            }
        });
    };

    // A key whose roll with a grace period was refused at the limit: the
    // app offers to roll it at once instead (the old key then ends now).
    let roll_at_once = RwSignal::new(None::<KeyView>);
    let roll_with = move |key: KeyView, grace: u32| {
        roll_at_once.set(None);
        spawn_local(async move {
            match api::roll(&session.token(), &key.id, grace).await {
                Ok(created) => {
                    error.set(None);
                    shown_token.set(Some((format!("New token for “{}”", key.name), created)));
                    load(false);
                }
                Err(f) => {
                    if f.error.code == keygate_shared::ErrorCode::KeyLimitReached && grace > 0 {
                        roll_at_once.set(Some(key));
                    }
                    error.set(Some(session.message_for(&f)));
                }
            }
        });
    };
    let roll = move |key: KeyView| roll_with(key, 3600);

    let all_selected = move || {
        let k = keys.get();
        !k.is_empty() && selected.with(|s| k.iter().all(|key| s.contains(&key.id)))
    };
    let can_write = move || session.can_write();

    view! {
        <section aria-labelledby="keys-title">
            <div class="page-head">
                <h1 id="keys-title">"API keys"</h1>
                <Show when=can_write>
                    <button id="create-key" class="primary" on:click=move |_| creating.set(true)>"Create key"</button>
                </Show>
            </div>
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
                    <Show when=can_write>
                        <button id="delete-selected" class="danger" disabled=move || selected.with(BTreeSet::is_empty)
                            on:click=move |_| {
                                let sel = selected.get_untracked();
                                let items: ToDelete = keys.get_untracked().into_iter().filter(|k| sel.contains(&k.id)).map(|k| (k.id, k.name)).collect();
                                confirming.set(Some(items));
                            }>
                            {move || format!("Delete selected ({})", selected.with(BTreeSet::len))}
                        </button>
                    </Show>
                </div>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert" id="page-error">{e}</p> })}
            {move || roll_at_once.get().map(|key| {
                let label = format!("Roll “{}” now, without a grace period", key.name);
                view! {
                    <p class="notice">
                        <button id="roll-at-once" on:click=move |_| roll_with(key.clone(), 0)>{label}</button>
                    </p>
                }
            })}
            {move || info.get().map(|i| view! { <p class="notice" role="status">{i}</p> })}
            <p class="count" aria-live="polite">
                {move || if loading.get() { "Loading…".to_owned() } else { format!("{} of {} keys", keys.with(Vec::len), total.get()) }}
            </p>
            <div class="table-wrap">
                <table id="keys-table">
                    <thead>
                        <tr>
                            <th scope="col">
                                <input type="checkbox" id="select-all" aria-label="Select all keys on this page"
                                    prop:checked=all_selected
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        selected.set(if on { keys.get_untracked().into_iter().map(|k| k.id).collect() } else { BTreeSet::new() });
                                    } />
                            </th>
                            {header("name", "Name")}
                            <th scope="col">"Organization"</th>
                            <th scope="col">"Roles"</th>
                            <th scope="col">"Status"</th>
                            {header("expires_at", "Expires")}
                            {header("created_at", "Created")}
                            {header("last_used_at", "Last used")}
                            <th scope="col">"Key"</th>
                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {move || keys.get().into_iter().map(|k| {
                            let id = k.id.clone();
                            let id_for_check = id.clone();
                            let checked = { let id = id.clone(); move || selected.with(|s| s.contains(&id)) };
                            let row_key = k.clone();
                            let edit_key = k.clone();
                            let roll_key = k.clone();
                            let del = (k.id.clone(), k.name.clone());
                            let soon = format::expires_soon(&k.expires_at);
                            view! {
                                <tr data-id=id.to_string()>
                                    <td><input type="checkbox" aria-label=format!("Select {}", k.name) prop:checked=checked
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            let id = id_for_check.clone();
                                            selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                                        } /></td>
                                    <td class="name" data-label="Name"><button class="link" on:click=move |_| details.set(Some(row_key.clone()))>{k.name.clone()}</button></td>
                                    // The group, when there is one, on a muted second line.
                                    <td class="org" data-label="Organization">{if k.organization.is_empty() { "(root)".to_owned() } else { k.organization.to_string() }}
                                        {k.group.clone().map(|g| view! { <span class="sub group" title="Group">{g}</span> })}
                                    </td>
                                    <td class="roles" data-label="Roles">{keygate_shared::ids::join_roles(&k.roles, ", ")}</td>
                                    <td data-label="Status"><span class=format!("badge {}", k.status.as_str())>{k.status.as_str()}</span>
                                        {k.credits.map(|c| view! { <span class="sub credits nowrap" title="Credits left">{format!("{} credits", c.remaining)}</span> })}
                                    </td>
                                    // Dates on one line, the relative time on a muted second one.
                                    <td class="date" class:soon=soon data-label="Expires">{match &k.expires_at {
                                        Some(at) => view! { <span class="nowrap">{format::date(at)}</span><span class="sub">{format::relative(at)}</span> }.into_any(),
                                        None => view! { <span>"never"</span> }.into_any(),
                                    }}</td>
                                    <td class="date" data-label="Created">
                                        <span class="nowrap">{format::date(&k.created_at)}</span>
                                        <span class="sub creator" title=format!("Created by {} ({})", crate::describe::creator(&k), k.created_by)>{crate::describe::creator(&k)}</span>
                                    </td>
                                    <td class="date last-used" data-label="Last used">{match &k.last_used_at {
                                        Some(at) => view! { <span class="nowrap">{format::date(at)}</span><span class="sub">{format::ago(at)}</span> }.into_any(),
                                        None => view! { <span class="sub">"never"</span> }.into_any(),
                                    }}</td>
                                    <td class="mono nowrap" data-label="Key">{k.hint.clone()}</td>
                                    <td class="row-actions">
                                        <Show when=can_write>
                                            <button on:click={ let k = edit_key.clone(); move |_| editing.set(Some(k.clone())) }
                                                aria-label=format!("Edit {}", edit_key.name) title="Edit"><span aria-hidden="true">"✎"</span></button>
                                            <button on:click={ let k = roll_key.clone(); move |_| roll(k.clone()) }
                                                aria-label=format!("Roll {}", roll_key.name) title="Roll"><span aria-hidden="true">"↻"</span></button>
                                            <button class="danger" on:click={ let d = del.clone(); move |_| confirming.set(Some(vec![d.clone()])) }
                                                aria-label=format!("Delete {}", del.1) title="Delete"><span aria-hidden="true">"✕"</span></button>
                                        </Show>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <Show when=move || !loading.get() && keys.with(Vec::is_empty)>
                <p class="empty" id="empty">"No keys match."</p>
            </Show>
            <Show when=move || cursor.get().is_some()>
                <button id="load-more" on:click=move |_| load(true) disabled=move || loading.get()>"Load more"</button>
            </Show>
        </section>
        <Show when=move || creating.get()>
            <crate::create_dialog::CreateDialog
                on_close=Callback::new(move |()| creating.set(false))
                on_created=Callback::new(move |created: CreatedKey| {
                    creating.set(false);
                    shown_token.set(Some(("Key created".to_owned(), created)));
                    load(false);
                }) />
        </Show>
        {move || shown_token.get().map(|(title, created)| view! {
            <crate::token_dialog::TokenDialog title=title created=created on_close=Callback::new(move |()| shown_token.set(None)) />
        })}
        {move || editing.get().map(|key| view! {
            <crate::edit_dialog::EditDialog key=key
                on_close=Callback::new(move |()| editing.set(None))
                on_saved=Callback::new(move |_: KeyView| { editing.set(None); load(false); }) />
        })}
        {move || confirming.get().map(|items| {
            let names = items.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>().join(", ");
            let count = items.len();
            view! {
                <div class="backdrop" on:keydown=crate::dialog::close_on_escape(move || confirming.set(None))>
                    <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-text">
                        <h2 id="confirm-title">{format!("Delete {count} key{}?", if count == 1 { "" } else { "s" })}</h2>
                        <p id="confirm-text">"This cannot be undone. Deleting: " <strong>{names}</strong></p>
                        <div class="buttons">
                            <button on:click=move |_| confirming.set(None) autofocus>"Cancel"</button>
                            <button id="confirm-delete" class="danger" on:click={ let items = items.clone(); move |_| do_delete(items.clone()) }>"Delete"</button>
                        </div>
                    </div>
                </div>
            }
        })}
        {move || details.get().map(|key| view! {
            <crate::details::Details key=key on_close=Callback::new(move |()| details.set(None))
                on_delete=Callback::new(move |target: (keygate_shared::KeyId, String)| { details.set(None); confirming.set(Some(vec![target])); }) />
        })}
    }
}
