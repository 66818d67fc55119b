//! Where a client puts its key (§5): `Authorization: Bearer <t>`,
//! `Authorization: rest_api_key=<t>`, `X-API-Key: <t>`, or the query
//! parameter `rest_api_key`. The first one present, in that order, wins.

use crate::http::HttpRequest;

/// Query parameter that may carry the key.
pub const QUERY_PARAM: &str = "rest_api_key";

/// The presented credential, if any (not yet checked).
#[must_use]
pub fn presented(req: &HttpRequest) -> Option<&str> {
    if let Some(auth) = req.header("authorization") {
        let auth = auth.trim();
        if let Some((scheme, rest)) = auth.split_once(' ') {
            if scheme.eq_ignore_ascii_case("bearer") {
                return Some(rest.trim());
            }
        }
        if let Some(rest) = auth.strip_prefix("rest_api_key=") {
            return Some(rest.trim());
        }
        // An Authorization header of another scheme is not a key: report it
        // as presented so that it is judged malformed, not missing.
        return Some(auth);
    }
    req.header("x-api-key")
        .or_else(|| req.query_param(QUERY_PARAM))
}

/// Bearer token of the admin API (only that form is accepted there).
#[must_use]
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let (scheme, rest) = req.header("authorization")?.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)], query: &[(&str, &str)]) -> HttpRequest {
        HttpRequest {
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            query: query
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            ..HttpRequest::default()
        }
    }

    #[test]
    fn every_location() {
        assert_eq!(
            presented(&req(&[("authorization", "Bearer kg_a")], &[])),
            Some("kg_a")
        );
        assert_eq!(
            presented(&req(&[("authorization", "bearer  kg_a ")], &[])),
            Some("kg_a")
        );
        assert_eq!(
            presented(&req(&[("authorization", "rest_api_key=kg_b")], &[])),
            Some("kg_b")
        );
        assert_eq!(presented(&req(&[("x-api-key", "kg_c")], &[])), Some("kg_c"));
        assert_eq!(
            presented(&req(&[], &[("rest_api_key", "kg_d")])),
            Some("kg_d")
        );
        assert_eq!(
            presented(&req(&[("authorization", "Basic Zm9v")], &[])),
            Some("Basic Zm9v")
        );
        assert_eq!(
            presented(&req(&[("x-api-key", "kg_c")], &[("rest_api_key", "kg_d")])),
            Some("kg_c")
        );
        assert_eq!(presented(&req(&[], &[])), None);
        assert_eq!(bearer(&req(&[("x-api-key", "kg_c")], &[])), None);
        assert_eq!(
            bearer(&req(&[("authorization", "Bearer kg_a")], &[])),
            Some("kg_a")
        );
    }
}
