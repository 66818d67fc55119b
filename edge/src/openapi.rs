//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the API,
//! kept beside the crate (`edge/openapi.json`) and checked against
//! [`crate::app::ROUTES`]. The worker does not carry it: `scripts/build.sh`
//! copies it among the admin app's files, and the route answers from the
//! `ASSETS` binding like `/admin/` does (45 KB of data, 4.5 KB gzipped,
//! out of the worker's wasm; the assets layer serves it with an `ETag`).

#[cfg(test)]
mod tests {
    use crate::app::ROUTES;

    const DOCUMENT: &str = include_str!("../openapi.json");

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
