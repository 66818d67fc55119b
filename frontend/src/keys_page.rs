//! The keys page: the toolbar, the table and its paging, and the dialogs
//! it opens (create from the header; token, edit, confirm and details
//! from the rows and the toolbar). The parts share
//! [`KeysState`] and [`KeysActions`].

use keygate_shared::api::CreatedKey;
use keygate_shared::KeyView;
use leptos::prelude::*;

use crate::confirm_delete::ConfirmDelete;
use crate::error_view::ErrorNotice;
use crate::keys_actions::KeysActions;
use crate::keys_state::{KeysState, ToDelete};
use crate::keys_table::KeysTable;
use crate::keys_toolbar::KeysToolbar;
use crate::session::Session;

/// The keys page.
#[component]
pub fn KeysPage() -> impl IntoView {
    let session = Session::get();
    let state = KeysState::new(session);
    let actions = KeysActions::new(state, session);
    let roll_at_once = move || {
        state.roll_at_once.get().map(|key| {
            let label = format!("Roll “{}” now, without a grace period", key.name);
            view! {
                <p class="notice">
                    <button id="roll-at-once" on:click=move |_| actions.roll(key.clone(), 0)>{label}</button>
                </p>
            }
        })
    };
    let count = move || {
        if state.loading.get() {
            "Loading…".to_owned()
        } else {
            format!(
                "{} of {} keys",
                state.keys.with(Vec::len),
                state.total.get()
            )
        }
    };
    view! {
        <section aria-labelledby="keys-title">
            <div class="page-head">
                <h1 id="keys-title">"API keys"</h1>
                {session.can_write().then(|| view! {
                    <button id="create-key" class="primary" on:click=move |_| state.creating.set(true)>"Create key"</button>
                })}
            </div>
            <KeysToolbar state=state />
            <ErrorNotice message=state.error id="page-error" />
            {roll_at_once}
            {move || state.info.get().map(|i| view! { <p class="notice" role="status">{i}</p> })}
            <p class="count" aria-live="polite">{count}</p>
            <KeysTable state=state />
            {move || (!state.loading.get() && state.keys.with(Vec::is_empty)).then(|| view! {
                <p class="empty" id="empty">"No keys match."</p>
            })}
            // Hidden rather than removed, and `aria-disabled` rather than
            // `disabled` while a page loads (a disabled button loses the
            // focus), so the keyboard focus stays on it from page to page.
            <button id="load-more" hidden=move || state.cursor.with(Option::is_none)
                on:click=move |_| actions.load_more() aria-disabled=move || actions.loading_more.get().to_string()>"Load more"</button>
        </section>
        {move || state.creating.get().then(|| view! {
            <crate::create_dialog::CreateDialog
                on_close=Callback::new(move |()| state.creating.set(false))
                on_created=Callback::new(move |created: CreatedKey| {
                    state.creating.set(false);
                    state.shown_token.set(Some(("Key created".to_owned(), created)));
                    state.reload();
                }) />
        })}
        {move || state.shown_token.get().map(|(title, created)| view! {
            <crate::token_dialog::TokenDialog title=title created=created on_close=Callback::new(move |()| state.shown_token.set(None)) />
        })}
        {move || state.editing.get().map(|key| view! {
            <crate::edit_dialog::EditDialog key=key
                on_close=Callback::new(move |()| state.editing.set(None))
                on_saved=Callback::new(move |_: KeyView| { state.editing.set(None); state.reload(); }) />
        })}
        {move || state.rolling.get().map(|key| view! {
            <crate::confirm_roll::ConfirmRoll key=key state=state actions=actions />
        })}
        {move || state.confirming.get().map(|items| view! {
            <ConfirmDelete items=items
                on_cancel=Callback::new(move |()| state.confirming.set(None))
                on_confirm=Callback::new(move |items: ToDelete| actions.delete(items)) />
        })}
        {move || state.details.get().map(|key| view! {
            <crate::details::Details key=key on_close=Callback::new(move |()| state.details.set(None))
                on_delete=Callback::new(move |target: (keygate_shared::KeyId, String)| { state.details.set(None); state.confirming.set(Some(vec![target])); }) />
        })}
    }
}
