//! The audit log, newest first (of all keys in scope, or of one).

use keygate_shared::AuditEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::session::Session;

/// Audit events, for one key when `key_id` is given.
#[component]
pub fn AuditPage(key_id: Option<String>) -> impl IntoView {
    let session = Session::get();
    let events = RwSignal::new(Vec::<AuditEvent>::new());
    let cursor = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let standalone = key_id.is_none();
    let load = move |append: bool| {
        let key_id = key_id.clone();
        let from = if append { cursor.get_untracked() } else { None };
        loading.set(true);
        spawn_local(async move {
            match crate::api::audit(&session.token(), key_id.as_deref(), from.as_deref()).await {
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
    let more = load.clone();
    view! {
        <section aria-label="Audit log">
            {standalone.then(|| view! { <h1>"Audit log"</h1> })}
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <table class="audit">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Action"</th><th scope="col">"Key"</th><th scope="col">"By"</th><th scope="col">"Details"</th></tr></thead>
                <tbody>
                    {move || events.get().into_iter().map(|e| view! {
                        <tr>
                            <td>{crate::format::date_time(&e.at)}</td>
                            <td>{e.action.clone()}</td>
                            <td>{e.details.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_owned()} " " <span class="mono">{e.key_id.clone()}</span></td>
                            <td class="mono">{e.actor.clone()}</td>
                            <td class="mono">{e.details.to_string()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <Show when=move || !loading.get() && events.with(Vec::is_empty)><p class="empty">"No events yet."</p></Show>
            <Show when=move || cursor.get().is_some()>
                <button on:click={ let more = more.clone(); move |_| more(true) }>"Load more"</button>
            </Show>
        </section>
    }
}
