//! Who is signed in, shared through context.

use keygate_shared::api::Me;
use leptos::prelude::*;

/// The signed-in admin key and a message for the sign-in page.
#[derive(Clone, Copy)]
pub struct Session {
    /// The admin token (in memory and `sessionStorage`).
    pub token: RwSignal<Option<String>>,
    /// What `/api/v1/me` said about it. Set only at sign-in (and cleared at
    /// sign-out), which replace the whole shell: the views read the role
    /// once ([`Session::can_write`]). Refetching it in place would need
    /// those reads tracked again.
    pub me: RwSignal<Option<Me>>,
    /// Why the user was sent back to sign in.
    pub notice: RwSignal<Option<String>>,
}

impl Session {
    /// The session from context.
    pub fn get() -> Self {
        expect_context::<Self>()
    }

    /// The token, or empty when signed out.
    pub fn token(&self) -> String {
        self.token.get_untracked().unwrap_or_default()
    }

    /// Whether the signed-in key may write. Not tracked: `me` changes
    /// only at sign-in and sign-out, which replace the whole shell, so
    /// the views ask once instead of each keeping a reactive `Show`.
    pub fn can_write(&self) -> bool {
        self.me
            .with_untracked(|m| m.as_ref().is_some_and(|m| m.can_write))
    }

    /// Signs out, optionally saying why.
    pub fn sign_out(&self, why: Option<String>) {
        crate::api::clear_token();
        self.token.set(None);
        self.me.set(None);
        self.notice.set(why);
    }

    /// Handles an API failure: an admin key no longer accepted signs out;
    /// anything else comes back as a message to show.
    pub fn message_for(&self, f: &crate::api::Failure) -> String {
        if f.is_auth() {
            self.sign_out(Some(format!("Signed out: {}", f.error.message)));
        }
        f.error.message.clone()
    }
}
