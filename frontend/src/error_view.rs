//! The one way the app shows a failure the user should read: an alert
//! paragraph that screen readers announce.

use leptos::prelude::*;

/// `message` as an alert while there is one.
#[component]
pub fn ErrorNotice(
    #[prop(into)] message: Signal<Option<String>>,
    #[prop(optional)] id: Option<&'static str>,
) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="error" role="alert" id=id>{m}</p> })
    }
}
