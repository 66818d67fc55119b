//! The top-level component: sign-in or the signed-in shell.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::session::Session;

/// The admin app.
#[component]
pub fn App() -> impl IntoView {
    let session = Session {
        token: RwSignal::new(None),
        me: RwSignal::new(None),
        notice: RwSignal::new(None),
    };
    provide_context(session);
    let checking = RwSignal::new(true);
    spawn_local(async move {
        if let Some(saved) = crate::api::saved_token() {
            match crate::api::me(&saved).await {
                Ok(me) => {
                    session.token.set(Some(saved));
                    session.me.set(Some(me));
                }
                Err(f) => session.sign_out(Some(format!("Signed out: {}", f.error.message))),
            }
        } else {
            // Behind Cloudflare Access the browser already carries a
            // sign-in: no key to paste. Without one this is a 401, and the
            // key form shows; a person Access knows but ACCESS_ADMINS does
            // not is told so.
            match crate::api::me("").await {
                Ok(me) if me.identity.is_some() => session.me.set(Some(me)),
                Ok(_) => {}
                Err(f) if f.status == 403 => session.notice.set(Some(f.error.message)),
                Err(_) => {}
            }
        }
        checking.set(false);
    });
    view! {
        {move || {
            if checking.get() {
                view! { <main class="narrow"><p class="status" role="status">"Checking your sign-in…"</p></main> }.into_any()
            } else if session.me.get().is_some() {
                view! { <Shell/> }.into_any()
            } else {
                view! { <crate::sign_in::SignIn/> }.into_any()
            }
        }}
    }
}

/// Forgets the session; an Access sign-in ends at the team's logout
/// (which ends the Access session too, else the cookie would sign the
/// person straight back in).
fn sign_out(session: Session) {
    let logout = session
        .me
        .get_untracked()
        .and_then(|m| m.identity)
        .map(|i| i.logout_url);
    session.sign_out(None);
    if let (Some(url), Some(window)) = (logout, web_sys::window()) {
        let _ = window.location().assign(&url);
    }
}

/// Header, navigation and the current page.
#[component]
fn Shell() -> impl IntoView {
    let session = Session::get();
    // Which page shows: the audit log (true) or the keys. A bool rather
    // than an enum of two pages, whose signal's code would be its own.
    let audit = RwSignal::new(false);
    let me = move || session.me.get();
    view! {
        <header class="top">
            <strong class="brand">"Keygate"</strong>
            <nav aria-label="Pages">
                <button class="tab" aria-current=move || (!audit.get()).then_some("page")
                    on:click=move |_| audit.set(false)>"Keys"</button>
                <button class="tab" aria-current=move || audit.get().then_some("page")
                    on:click=move |_| audit.set(true)>"Audit log"</button>
            </nav>
            <span class="who" id="who">
                {move || me().map(|m| m.name())}
                " · "
                {move || me().map(|m| if m.can_write { "Administrator" } else { "Reader" })}
                {move || me().map(|m| { let o = m.organization(); if o.is_empty() { " · all organizations".to_owned() } else { format!(" · {o}") } })}
                {move || me().and_then(|m| m.identity).map(|_| view! { <span class="via">" · via Cloudflare Access"</span> })}
            </span>
            <button id="sign-out" on:click=move |_| sign_out(session)>"Sign out"</button>
        </header>
        <main>
            {move || if audit.get() {
                view! { <crate::audit_page::AuditPage key_id=None/> }.into_any()
            } else {
                view! { <crate::keys_page::KeysPage/> }.into_any()
            }}
        </main>
    }
}
