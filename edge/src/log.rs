//! The worker's log: `console.error` in workerd (Workers Logs), stderr
//! natively. Callers pass causes and ids, never a token or hash.

/// Logs one line at error level.
pub fn error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::glue::log_error(message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}
