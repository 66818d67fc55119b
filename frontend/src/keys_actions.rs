//! The keys page's writes and further pages: each runs one request and
//! applies its answer to the state.
//!
//! Plain tasks rather than Leptos `Action`s: the action machinery added
//! about 10 KB of gzipped wasm for three calls (BENCHMARKS.md).

use keygate_shared::{ErrorCode, KeyView};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::keys_state::{KeysState, ToDelete};
use crate::session::Session;

/// The page's writes, `Copy` like the state.
#[derive(Clone, Copy)]
pub struct KeysActions {
    state: KeysState,
    session: Session,
    /// A further page is on its way.
    pub loading_more: RwSignal<bool>,
}

impl KeysActions {
    /// The actions on `state`.
    pub fn new(state: KeysState, session: Session) -> Self {
        Self {
            state,
            session,
            loading_more: RwSignal::new(false),
        }
    }

    /// Deletes `items` (one, or many in bulk); the confirmation closes first.
    pub fn delete(&self, items: ToDelete) {
        let (state, session) = (self.state, self.session);
        state.confirming.set(None);
        spawn_local(async move {
            let ids: Vec<String> = items.iter().map(|(id, _)| id.to_string()).collect();
            let result = if let [id] = ids.as_slice() {
                api::delete(&session.token(), id).await.map(|()| 1)
            } else {
                api::bulk_delete(&session.token(), ids)
                    .await
                    .map(|r| r.deleted.len())
            };
            match result {
                Ok(n) => {
                    state.info.set(Some(format!(
                        "Deleted {n} key{}.",
                        if n == 1 { "" } else { "s" }
                    )));
                    state.details.set(None);
                    state.reload();
                }
                Err(f) => state.error.set(Some(session.message_for(&f))),
            }
        });
    }

    /// Rolls `key` with `grace` seconds of overlap.
    pub fn roll(&self, key: KeyView, grace: u32) {
        let (state, session) = (self.state, self.session);
        state.roll_at_once.set(None);
        spawn_local(async move {
            match api::roll(&session.token(), &key.id, grace).await {
                Ok(created) => {
                    state.error.set(None);
                    state
                        .shown_token
                        .set(Some((format!("New token for “{}”", key.name), created)));
                    state.reload();
                }
                Err(f) => {
                    // At the organization limit a grace period needs a
                    // place the old key still holds: offer to roll at once.
                    if f.error.code == ErrorCode::KeyLimitReached && grace > 0 {
                        state.roll_at_once.set(Some(key));
                    }
                    state.error.set(Some(session.message_for(&f)));
                }
            }
        });
    }

    /// Appends the next page, if there is one.
    pub fn load_more(&self) {
        let (state, session, busy) = (self.state, self.session, self.loading_more);
        // The button stays clickable while a page loads (see the keys page).
        if busy.get_untracked() {
            return;
        }
        let (Some(cursor), filters) = (state.cursor.get_untracked(), state.filters.get_untracked())
        else {
            return;
        };
        let first_page = state.first_page();
        busy.set(true);
        spawn_local(async move {
            match api::list(&session.token(), &filters, Some(&cursor)).await {
                // A new first page was asked for meanwhile (other filters,
                // or a reload after a write): it replaces all, and this
                // page, cut from the old list, must not be appended to it.
                Ok(_) if first_page.is_none() || state.first_page() != first_page => {}
                Ok(page) => {
                    state.cursor.set(page.next_cursor);
                    state.keys.update(|k| k.extend(page.keys));
                }
                Err(f) => state.error.set(Some(session.message_for(&f))),
            }
            busy.set(false);
        });
    }
}
