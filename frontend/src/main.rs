//! Keygate's admin single-page app: `main` only mounts.

mod api;
mod app;
mod audit_page;
mod browser;
mod create_dialog;
mod details;
mod dialog;
mod edit_dialog;
mod format;
mod keys_page;
mod session;
mod sign_in;
mod token_dialog;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
