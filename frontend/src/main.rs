//! Keygate's admin single-page app: `main` only mounts.

mod api;
mod app;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
