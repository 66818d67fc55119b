//! The top-level component.

use leptos::prelude::*;

/// The admin app.
#[component]
pub fn App() -> impl IntoView {
    let health = LocalResource::new(crate::api::health);
    view! {
        <main>
            <h1>"Keygate"</h1>
            <Suspense fallback=|| view! { <p class="status">"Checking the API…"</p> }>
                {move || health.get().map(|result| match result {
                    Ok(h) => view! { <p class="status" id="health">"API healthy, version " {h.version}</p> }.into_any(),
                    Err(e) => view! { <p class="status error" role="alert">{e}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}
