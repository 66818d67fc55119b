//! The audit log, newest first (of all keys in scope, or of one), with the
//! filters of §4: key, actor, action and a date range.

use chrono::{DateTime, Utc};
use keygate_shared::api::AuditQuery;
use keygate_shared::{AuditAction, AuditEvent, KeyId};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::session::Session;

/// `since` for a picked day: its start (UTC); none for an empty pick.
fn day_start(picked: &str) -> Option<DateTime<Utc>> {
    crate::format::end_of_day(picked).map(|end| end - chrono::Duration::seconds(86_399))
}

/// `until` for a picked day: the start of the next one (exclusive).
fn day_after(picked: &str) -> Option<DateTime<Utc>> {
    crate::format::end_of_day(picked).map(|end| end + chrono::Duration::seconds(1))
}

/// Audit events, for one key when `key_id` is given.
#[component]
pub fn AuditPage(key_id: Option<KeyId>) -> impl IntoView {
    let session = Session::get();
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let cursor = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let standalone = key_id.is_none();
    let filters = RwSignal::new(AuditQuery {
        key_id,
        ..AuditQuery::default()
    });
    // A typed key id that is not one: said at once, nothing is sent.
    let key_id_error = RwSignal::new(None::<String>);
    let load = move |append: bool| {
        // A second "Load more" while one is on its way would add its page twice.
        if append && loading.get_untracked() {
            return;
        }
        let from = if append { cursor.get_untracked() } else { None };
        let current = filters.get_untracked();
        loading.set(true);
        error.set(None);
        spawn_local(async move {
            match crate::api::audit(&session.token(), &current, from.as_deref()).await {
                // A stale answer (the filters changed meanwhile, or the
                // page is gone: its details dialog closed) is dropped.
                // Never `get` here: a disposed signal would panic.
                Ok(_) if filters.try_get_untracked().as_ref() != Some(&current) => {}
                Ok(page) => {
                    cursor.set(page.next_cursor);
                    events.update(|e| {
                        if !append {
                            e.clear();
                        }
                        e.extend(page.events);
                    });
                }
                Err(f) => error.set(Some(session.message_for(&f))),
            }
            loading.set(false);
        });
    };
    load(false);
    let set = move |change: &dyn Fn(&mut AuditQuery)| {
        filters.update(|f| change(f));
        load(false);
    };
    let filter_form = standalone.then(|| {
        view! {
            <form class="filters audit-filters" aria-label="Audit filters" on:submit=|ev| ev.prevent_default()>
                <label>"Key id"
                    <input type="search" name="key_id" placeholder="key_…" aria-describedby="audit-key-id-error"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            let v = v.trim();
                            match v.parse::<KeyId>() {
                                _ if v.is_empty() => { key_id_error.set(None); set(&|f| f.key_id = None) }
                                Ok(id) => { key_id_error.set(None); set(&|f| f.key_id = Some(id.clone())) }
                                Err(_) => key_id_error.set(Some("Not a key id: key_ and 16 letters or digits.".into())),
                            }
                        } />
                    <span class="error" id="audit-key-id-error" role="alert">{move || key_id_error.get()}</span>
                </label>
                <label>"By"
                    <input type="search" name="actor" placeholder="key id, email, cron…"
                        on:change=move |ev| {
                            let v = event_target_value(&ev).trim().to_owned();
                            set(&|f| f.actor = Some(v.clone()).filter(|a| !a.is_empty()))
                        } />
                </label>
                <label>"Action"
                    <select name="action" on:change=move |ev| { let v = event_target_value(&ev); set(&|f| f.action = v.parse::<AuditAction>().ok()) }>
                        <option value="">"any"</option>
                        {AuditAction::ALL.iter().map(|a| view! { <option value=a.as_str()>{a.as_str()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"From"
                    <input type="date" name="since"
                        on:change=move |ev| { let v = day_start(&event_target_value(&ev)); set(&|f| f.since = v) } />
                </label>
                <label>"To"
                    <input type="date" name="until"
                        on:change=move |ev| { let v = day_after(&event_target_value(&ev)); set(&|f| f.until = v) } />
                </label>
            </form>
        }
    });
    view! {
        <section aria-label="Audit log">
            {standalone.then(|| view! { <h1>"Audit log"</h1> })}
            {filter_form}
            <crate::error_view::ErrorNotice message=error />
            <table class="audit">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Action"</th><th scope="col">"Key"</th><th scope="col">"By"</th><th scope="col">"Details"</th></tr></thead>
                <tbody>
                    {move || events.get().into_iter().map(|e| view! {
                        <tr>
                            <td>{crate::format::date_time(&e.at)}</td>
                            <td>{e.action.as_str()}</td>
                            <td title=e.key_id.to_string()>{e.details.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_owned()} " " <span class="mono sub">{e.key_id.to_string()}</span></td>
                            <td class="actor" title=format!("{} ({})", crate::describe::actor(&e), e.actor)>{crate::describe::actor(&e)}</td>
                            <td class="details">{crate::describe::details(&e)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {move || (!loading.get() && events.with(Vec::is_empty)).then(|| view! { <p class="empty">"No events match."</p> })}
            // Hidden rather than removed: see the keys page's "Load more".
            <button hidden=move || cursor.with(Option::is_none) on:click=move |_| load(true)>"Load more"</button>
        </section>
    }
}
