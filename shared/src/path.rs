//! The canonical path of a request (§5): one spelling per resource, so
//! that what a gateway rule checked is exactly what the origin serves.
//!
//! Origins route many spellings to the same handler (`/%63alls/`,
//! `//calls/`, `/x/../calls/`, `/calls;v=1/`). Matching rules on the raw
//! path let such spellings slip past a rule; instead every path is
//! canonicalized once, rules match the canonical form and the origin
//! receives exactly that form.
//!
//! - percent-escapes of unreserved characters (`A-Z a-z 0-9 - . _ ~`) are
//!   decoded, and so are those of the characters a path may hold as they
//!   are (`: @ ! $ & ' ( ) * + , =`): origins decode `%3A` to `:` before
//!   routing, so a rule on `/v1/keys:rotate` must also see
//!   `/v1/keys%3Arotate` (this goes past §5's letter, for its aim: what
//!   was checked is what the origin serves). Every other escape is
//!   upper-cased;
//! - `.` and `..` segments are resolved (`..` above the root stays at the
//!   root, as browsers do);
//! - runs of `/` become one;
//! - refused ([`BadPath`]): an encoded `/` or `\` (`%2F`, `%5C`), a raw
//!   `\`, a NUL or `%00`, a `;` (raw or `%3B`), a `%` not followed by two
//!   hex digits, an encoded `%` followed by two hex digits (`%252F`: an
//!   origin that decodes twice would see `/`),
//!   and any byte outside printable ASCII (the runtime percent-encodes
//!   those, so one arriving raw is a spelling we cannot vouch for).

/// Why a path cannot be canonicalized safely (400 `BAD_PATH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPath;

impl std::fmt::Display for BadPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "The request path holds an encoded slash or backslash, a NUL, a ';' or a broken escape.",
        )
    }
}

impl std::error::Error for BadPath {}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Characters decoded from their escapes: unreserved ones and the
/// sub-delimiters, `:` and `@`, which a path segment holds as they are.
fn decodes(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b':' | b'@' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b'='
        )
}

/// Decodes unreserved escapes and upper-cases the others, refusing what
/// cannot be made canonical. The result holds no `\`, `;` or NUL.
fn normalize_escapes(raw: &str) -> Result<String, BadPath> {
    let bytes = raw.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_value);
                let lo = bytes.get(i + 2).copied().and_then(hex_value);
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(BadPath);
                };
                let decoded = hi * 16 + lo;
                if matches!(decoded, b'/' | b'\\' | 0 | b';') {
                    return Err(BadPath);
                }
                if decodes(decoded) {
                    out.push(char::from(decoded));
                } else {
                    out.push('%');
                    out.push(char::from(b"0123456789ABCDEF"[usize::from(hi)]));
                    out.push(char::from(b"0123456789ABCDEF"[usize::from(lo)]));
                }
                i += 3;
            }
            b'\\' | b';' | 0 => return Err(BadPath),
            0x21..=0x7e => {
                out.push(char::from(b));
                i += 1;
            }
            _ => return Err(BadPath),
        }
    }
    // `%25` then two hex digits in the result: a second decoding would make
    // a new escape (`%252F` → `%2F` → `/`). Checked on the result, since
    // decoding can make the digits (`%25E%35` → `%25E5`; found by fuzzing).
    let o = out.as_bytes();
    let double_encoded = o
        .windows(5)
        .any(|w| w.starts_with(b"%25") && hex_value(w[3]).is_some() && hex_value(w[4]).is_some());
    if double_encoded {
        return Err(BadPath);
    }
    Ok(out)
}

/// The canonical form of `raw` (the path of a request, without query or
/// fragment).
///
/// ```
/// use keygate_shared::path::canonical;
/// assert_eq!(canonical("/%63alls//x/./y/../list").unwrap(), "/calls/x/list");
/// assert_eq!(canonical("/a%2fb").is_err(), true);
/// ```
///
/// # Errors
/// [`BadPath`] for the spellings listed in the module documentation.
pub fn canonical(raw: &str) -> Result<String, BadPath> {
    let escaped = normalize_escapes(raw)?;
    let trailing_slash = escaped.ends_with('/')
        || escaped.ends_with("/.")
        || escaped.ends_with("/..")
        || escaped == "."
        || escaped == "..";
    let mut segments: Vec<&str> = Vec::new();
    for segment in escaped.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::with_capacity(escaped.len() + 1);
    for s in &segments {
        out.push('/');
        out.push_str(s);
    }
    if out.is_empty() || trailing_slash {
        out.push('/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spellings_an_origin_routes_alike_become_one() {
        for (raw, want) in [
            ("/calls/list", "/calls/list"),
            ("/%63alls/list", "/calls/list"),
            ("/%63%61%6C%6c%73/list", "/calls/list"),
            ("//calls//list", "/calls/list"),
            ("/x/../calls/list", "/calls/list"),
            ("/./calls/./list", "/calls/list"),
            ("/calls/%2e%2E/calls/list", "/calls/list"),
            ("/../../calls/list", "/calls/list"),
            ("/calls/", "/calls/"),
            ("/calls/.", "/calls/"),
            ("/calls/x/..", "/calls/"),
            ("", "/"),
            ("/", "/"),
            ("///", "/"),
            ("/a%20b%c3%a9", "/a%20b%C3%A9"),
            ("/%7Euser", "/~user"),
            ("/a:b@c!$&'()*+,=", "/a:b@c!$&'()*+,="),
            ("/v1/keys%3Arotate", "/v1/keys:rotate"),
            ("/users/%40me%21", "/users/@me!"),
            ("/a%3f%23b", "/a%3F%23b"),
            ("/100%25", "/100%25"),
            ("/100%25x", "/100%25x"),
        ] {
            assert_eq!(canonical(raw).as_deref(), Ok(want), "{raw}");
        }
    }

    #[test]
    fn what_cannot_be_made_safe_is_refused() {
        for raw in [
            "/calls%2flist",
            "/calls%2Flist",
            "/calls%5clist",
            "/calls\\list",
            "/calls;v=1/list",
            "/calls%3blist",
            "/calls%00",
            "/calls\0",
            "/calls%",
            "/calls%4",
            "/calls%zz",
            "/calls%252Fadmin",
            "/calls%2541",
            "/%25E%35Ez",
            "/caf\u{e9}",
            "/a b",
            "/a\tb",
        ] {
            assert_eq!(canonical(raw), Err(BadPath), "{raw:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn idempotent(raw in "[/a-zA-Z0-9%.;\\\\~_-]{0,40}") {
            if let Ok(c) = canonical(&raw) {
                proptest::prop_assert_eq!(canonical(&c), Ok(c.clone()));
                proptest::prop_assert!(c.starts_with('/') && !c.contains("//"));
            }
        }
    }
}
