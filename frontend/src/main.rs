//! Keygate's admin single-page app: `main` only mounts.

mod api;
mod app;
mod audit_page;
mod browser;
mod confirm_delete;
mod confirm_roll;
mod create_dialog;
mod decode;
mod describe;
mod details;
mod dialog;
mod edit_dialog;
mod encode;
mod error_view;
mod format;
mod json;
mod key_row;
mod keys_actions;
mod keys_page;
mod keys_state;
mod keys_table;
mod keys_toolbar;
mod limits_fields;
mod session;
mod sign_in;
mod token_dialog;
mod usage_chart;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
