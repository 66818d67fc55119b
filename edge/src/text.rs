//! Unicode lower case, for the list's search text, its name order and the
//! search query.

/// `s` in lower case (Unicode's default mapping). In the worker this is
/// the runtime's own `String.prototype.toLowerCase`: Rust's `to_lowercase`
/// brings its 11 KB case table into the wasm (BENCHMARKS.md, Sizes).
/// Natively, for the tests over the in-memory store, it is Rust's: the
/// same mapping.
#[must_use]
pub fn lowercase(s: &str) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        crate::glue::lowercase(s)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        s.to_lowercase()
    }
}
