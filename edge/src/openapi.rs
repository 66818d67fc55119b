//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the API,
//! kept beside the crate and checked against [`crate::app::ROUTES`].

use crate::http::HttpResponse;

/// The document as served.
pub const DOCUMENT: &str = include_str!("../openapi.json");

/// The 200 answer with the document.
#[must_use]
pub fn response() -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![(
            "content-type".into(),
            "application/json; charset=utf-8".into(),
        )],
        body: DOCUMENT.as_bytes().to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::DOCUMENT;
    use crate::app::ROUTES;

    #[test]
    fn documents_exactly_the_routes_the_worker_has() {
        let doc: serde_json::Value = serde_json::from_str(DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "parameters")
            {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
        let mut routed: Vec<(String, String)> = ROUTES
            .iter()
            .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        documented.sort();
        routed.sort();
        assert_eq!(documented, routed);
    }
}
