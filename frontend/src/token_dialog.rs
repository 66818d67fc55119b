//! Shows a new token once, with copy and an explicit confirmation to close.

use keygate_shared::api::CreatedKey;
use leptos::prelude::*;

/// The one-time token dialog.
#[component]
pub fn TokenDialog(title: String, created: CreatedKey, on_close: Callback<()>) -> impl IntoView {
    let saved = RwSignal::new(false);
    // None: not tried yet; Some(true): the clipboard took it; Some(false):
    // the browser refused, and the button says so.
    let copied = RwSignal::new(None::<bool>);
    let token = created.token.clone();
    let copy = move |_| {
        let token = token.clone();
        leptos::task::spawn_local(async move {
            copied.set(Some(crate::browser::copy_text(&token).await.is_ok()));
        });
    };
    // Focus starts on the copy button; Escape does not close: closing
    // needs the explicit confirmation below.
    let copy_button = NodeRef::<leptos::html::Button>::new();
    crate::dialog::focus_when_mounted(copy_button);
    view! {
        <div class="backdrop" on:keydown=|ev| crate::dialog::keep_tab_inside(&ev)>
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="token-title" id="token-dialog">
                <h2 id="token-title">{title}</h2>
                <p class="warning"><strong>"Copy this token now. It cannot be shown again."</strong>
                    " Keygate keeps only its hash."</p>
                <p><span class="sr-only">"Token for " {created.key.name.clone()} ": "</span>
                    <code id="new-token" class="token">{created.token.clone()}</code></p>
                <button id="copy-token" node_ref=copy_button on:click=copy>{move || match copied.get() {
                    Some(true) => "Copied",
                    Some(false) => "Copy failed: select the token and copy it by hand",
                    None => "Copy to clipboard",
                }}</button>
                <label class="check"><input type="checkbox" id="token-saved" on:change=move |ev| saved.set(event_target_checked(&ev)) />
                    "I have stored the token somewhere safe"</label>
                <div class="buttons">
                    <button id="token-close" class="primary" disabled=move || !saved.get() on:click=move |_| on_close.run(())>"Close"</button>
                </div>
            </div>
        </div>
    }
}
