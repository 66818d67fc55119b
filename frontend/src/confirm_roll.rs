//! "Roll this key?": a roll makes a new token at once and ends the old
//! one after a grace period, so it is asked first, with the period chosen.

use keygate_shared::KeyView;
use leptos::prelude::*;

use crate::keys_actions::KeysActions;
use crate::keys_state::KeysState;

/// The grace periods offered, in seconds, with their labels (the API
/// takes up to 7 days).
const GRACE: [(&str, &str); 4] = [
    ("3600", "1 hour"),
    ("86400", "24 hours"),
    ("604800", "7 days"),
    ("0", "none: the old token stops working now"),
];

/// The confirmation for rolling `key`.
#[component]
pub fn ConfirmRoll(key: KeyView, state: KeysState, actions: KeysActions) -> impl IntoView {
    let grace = RwSignal::new(GRACE[0].0.to_owned());
    let grace_field = crate::dialog::text_field(grace);
    let cancel = NodeRef::<leptos::html::Button>::new();
    crate::dialog::focus_when_mounted(cancel);
    let close = move || state.rolling.set(None);
    let title = format!("Roll “{}”?", key.name);
    let roll = move |_| {
        let seconds = grace.get_untracked().parse().unwrap_or(3600);
        state.rolling.set(None);
        actions.roll(key.clone(), seconds);
    };
    view! {
        <div class="backdrop" on:keydown=crate::dialog::close_on_escape(close)>
            <div class="dialog" id="roll-dialog" role="alertdialog" aria-modal="true" aria-labelledby="roll-title" aria-describedby="roll-text">
                <h2 id="roll-title">{title}</h2>
                <p id="roll-text">"A new token is made and shown once. The old token keeps working for the grace period, then expires."</p>
                <label for="roll-grace">"Grace period"</label>
                <select id="roll-grace" prop:value=grace_field.0 on:change=grace_field.1>
                    {GRACE.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                </select>
                <div class="buttons">
                    <button node_ref=cancel on:click=move |_| close()>"Cancel"</button>
                    <button id="confirm-roll" class="primary" on:click=roll>"Roll"</button>
                </div>
            </div>
        </div>
    }
}
