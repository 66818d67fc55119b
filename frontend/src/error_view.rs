//! How a page shows a failure of its own (not a form field's): an alert
//! paragraph that screen readers announce. Dialogs show theirs beside the
//! field at fault.

use leptos::prelude::*;

/// `message` as an alert while there is one.
#[component]
pub fn ErrorNotice(
    message: RwSignal<Option<String>>,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="error" role="alert" id=id>{m}</p> })
    }
}
