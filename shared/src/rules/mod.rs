//! Pure decisions about who may make or change which key. The worker
//! applies them on every path that writes a key (create, patch, roll), so
//! "who may do this" is answered here and nowhere else.

pub mod reach;
