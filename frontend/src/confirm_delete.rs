//! "Delete these keys?": names every key about to go.

use leptos::prelude::*;

use crate::keys_state::ToDelete;

/// The confirmation for `items`.
#[component]
pub fn ConfirmDelete(
    items: ToDelete,
    on_cancel: Callback<()>,
    on_confirm: Callback<ToDelete>,
) -> impl IntoView {
    let names = items
        .iter()
        .map(|(_, n)| n.clone())
        .collect::<Vec<_>>()
        .join(", ");
    let count = items.len();
    let cancel = NodeRef::<leptos::html::Button>::new();
    crate::dialog::focus_when_mounted(cancel);
    view! {
        <div class="backdrop" on:keydown=crate::dialog::close_on_escape(move || on_cancel.run(()))>
            <div class="dialog" role="alertdialog" aria-modal="true" aria-labelledby="confirm-title" aria-describedby="confirm-text">
                <h2 id="confirm-title">{format!("Delete {count} key{}?", if count == 1 { "" } else { "s" })}</h2>
                <p id="confirm-text">"This cannot be undone. Deleting: " <strong>{names}</strong></p>
                <div class="buttons">
                    <button node_ref=cancel on:click=move |_| on_cancel.run(())>"Cancel"</button>
                    <button id="confirm-delete" class="danger" on:click=move |_| on_confirm.run(items.clone())>"Delete"</button>
                </div>
            </div>
        </div>
    }
}
