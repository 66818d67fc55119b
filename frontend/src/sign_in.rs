//! Sign in with an admin key, checked with `/api/v1/me`.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::session::Session;

/// The sign-in form.
#[component]
pub fn SignIn() -> impl IntoView {
    let session = Session::get();
    let token = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let t = token.get_untracked().trim().to_owned();
        if t.is_empty() {
            error.set(Some("Paste an admin key.".into()));
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match crate::api::me(&t).await {
                Ok(me) => {
                    crate::api::save_token(&t);
                    session.notice.set(None);
                    session.token.set(Some(t));
                    session.me.set(Some(me));
                }
                Err(f) => error.set(Some(f.error.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <main class="narrow">
            <h1>"Keygate"</h1>
            <form class="card" on:submit=submit aria-labelledby="signin-title">
                <h2 id="signin-title">"Sign in"</h2>
                {move || session.notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                <label for="admin-token">"Admin key"</label>
                <input id="admin-token" type="password" autocomplete="off" spellcheck="false"
                    prop:value=move || token.get()
                    on:input=move |ev| token.set(event_target_value(&ev)) />
                <p class="hint">"A key holding keygate:admin or keygate:reader. It is kept for this tab only."</p>
                <crate::error_view::ErrorNotice message=error />
                <button type="submit" class="primary" disabled=move || busy.get()>"Sign in"</button>
            </form>
        </main>
    }
}
