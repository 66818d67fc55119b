//! What the keys page's parts share: the filters, the list the server
//! answered for them, the selection, and which dialog is open.

use keygate_shared::api::CreatedKey;
use keygate_shared::{KeyId, KeyView};
use leptos::prelude::*;

use crate::api::{self, Filters};
use crate::session::Session;

/// What a confirmation is about to delete: (id, name) pairs.
pub type ToDelete = Vec<(KeyId, String)>;

/// The keys page's state: signals, so it is `Copy` and each part takes it.
#[derive(Clone, Copy)]
pub struct KeysState {
    /// Search, organization, status, "unused for" and sort.
    pub filters: RwSignal<Filters>,
    /// Which first-page request is the newest: typing fires one list call
    /// per keystroke, and answers can arrive out of order.
    generation: StoredValue<u64>,
    /// The rows shown: the first page and every page loaded after it.
    pub keys: RwSignal<Vec<KeyView>>,
    /// How many keys match.
    pub total: RwSignal<usize>,
    /// Where the next page starts, if there is one.
    pub cursor: RwSignal<Option<String>>,
    /// The first page is on its way.
    pub loading: RwSignal<bool>,
    /// The page-level failure, if any.
    pub error: RwSignal<Option<String>>,
    /// What the last write did ("Deleted 2 keys.").
    pub info: RwSignal<Option<String>>,
    /// The ticked rows, each once, in the order ticked. A `Vec`, not a
    /// set: a page holds at most a few hundred rows, and a `BTreeSet`'s
    /// insert and removal code was 1 KB of gzipped wasm for this alone.
    pub selected: RwSignal<Vec<KeyId>>,
    /// The create dialog is open.
    pub creating: RwSignal<bool>,
    /// A token to show once, with the dialog's title.
    pub shown_token: RwSignal<Option<(String, CreatedKey)>>,
    /// The key in the edit dialog.
    pub editing: RwSignal<Option<KeyView>>,
    /// The key a roll confirmation is about.
    pub rolling: RwSignal<Option<KeyView>>,
    /// The keys a delete confirmation names.
    pub confirming: RwSignal<Option<ToDelete>>,
    /// The key in the details dialog.
    pub details: RwSignal<Option<KeyView>>,
    /// A key whose roll with a grace period was refused at the limit: the
    /// app offers to roll it at once instead.
    pub roll_at_once: RwSignal<Option<KeyView>>,
    session: Session,
}

impl KeysState {
    /// The state, its first page fetched for the filters at once.
    pub fn new(session: Session) -> Self {
        let filters = RwSignal::new(Filters {
            sort: "name".into(),
            ..Filters::default()
        });
        let state = Self {
            filters,
            generation: StoredValue::new(0),
            session,
            loading: RwSignal::new(true),
            keys: RwSignal::new(Vec::new()),
            total: RwSignal::new(0),
            cursor: RwSignal::new(None),
            error: RwSignal::new(None),
            info: RwSignal::new(None),
            selected: RwSignal::new(Vec::new()),
            creating: RwSignal::new(false),
            shown_token: RwSignal::new(None),
            editing: RwSignal::new(None),
            rolling: RwSignal::new(None),
            confirming: RwSignal::new(None),
            details: RwSignal::new(None),
            roll_at_once: RwSignal::new(None),
        };
        // The first page, now and whenever the filters change.
        Effect::new(move |_| {
            filters.track();
            state.reload();
        });
        state
    }

    /// Which first page the rows start with (a further page is appended
    /// only to the first page it follows); `None` once the page is gone.
    pub fn first_page(&self) -> Option<u64> {
        self.generation.try_get_value()
    }

    /// Fetches the first page for the filters (again, after a write); a
    /// new first page replaces the rows and clears the selection.
    pub fn reload(&self) {
        let (state, session) = (*self, self.session);
        // Called when a write's answer arrives: the page may be gone by
        // then (another tab of the app), and a disposed signal must not
        // be read (it would panic), only skipped.
        let (Some(f), Some(last)) = (self.filters.try_get_untracked(), self.first_page()) else {
            return;
        };
        let mine = last + 1;
        self.generation.set_value(mine);
        self.loading.set(true);
        leptos::task::spawn_local(async move {
            let result = api::list(&session.token(), &f, None).await;
            if state.first_page() != Some(mine) {
                return;
            }
            match result {
                Ok(page) => {
                    state.error.set(None);
                    state.total.set(page.total);
                    state.cursor.set(page.next_cursor);
                    state.selected.set(Vec::new());
                    state.keys.set(page.keys);
                }
                Err(f) => state.error.set(Some(session.message_for(&f))),
            }
            state.loading.set(false);
        });
    }
}
