//! Pure decisions about who may make or change which key, and what a
//! request becomes. The worker's key service applies them on every path
//! that writes a key (create, patch, roll, delete), so "who may do this"
//! is answered here and nowhere else: `create` for a new key, `patch` for
//! an edit, `roll`, `delete`, `limits`, `notices` (when expiry notices are due), and `reach` (no admin creates more
//! power than it holds), all over the `caller` who asks.

pub mod caller;
pub mod create;
pub mod delete;
pub mod limits;
pub mod notices;
pub mod patch;
pub mod reach;
pub mod roll;
