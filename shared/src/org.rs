//! Organizations: `""` is the root; `acme/emea` sits below `acme`.

/// Deepest allowed organization (segments).
pub const MAX_DEPTH: usize = 8;
/// Longest allowed segment.
pub const MAX_SEGMENT_LEN: usize = 32;

/// Whether `org` is `""` or 1–8 segments of `[a-z0-9-]{1,32}` joined by `/`.
#[must_use]
pub fn is_valid(org: &str) -> bool {
    org.is_empty()
        || (org.split('/').count() <= MAX_DEPTH
            && org.split('/').all(|seg| {
                (1..=MAX_SEGMENT_LEN).contains(&seg.len())
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            }))
}

/// Whether `org` is `ancestor` itself or lies below it.
///
/// ```
/// use keygate_shared::org::is_within;
/// assert!(is_within("acme/emea", "acme"));
/// assert!(is_within("acme", ""));
/// assert!(!is_within("acmex", "acme"));
/// ```
#[must_use]
pub fn is_within(org: &str, ancestor: &str) -> bool {
    ancestor.is_empty()
        || org == ancestor
        || (org.len() > ancestor.len()
            && org.starts_with(ancestor)
            && org.as_bytes()[ancestor.len()] == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        for ok in [
            "",
            "acme",
            "acme/emea",
            "a-1/b/c/d/e/f/g/h",
            &"a".repeat(32),
        ] {
            assert!(is_valid(ok), "{ok}");
        }
        for bad in [
            "/",
            "acme/",
            "/acme",
            "Acme",
            "a b",
            "a//b",
            "a/b/c/d/e/f/g/h/i",
            &"a".repeat(33),
            "ä",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn subtree() {
        assert!(is_within("acme", "acme"));
        assert!(is_within("acme/emea/de", "acme/emea"));
        assert!(is_within("", ""));
        assert!(!is_within("", "acme"));
        assert!(!is_within("other", "acme"));
        assert!(!is_within("acme-2", "acme"));
        assert!(!is_within("acme", "acme/emea"));
    }
}
