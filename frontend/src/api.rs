//! The admin API over HTTP, through the types in `keygate-shared`.

use gloo_net::http::Request;
use keygate_shared::api::Health;
use keygate_shared::error::ErrorBody;

/// Reads a §3 error body, or says what status came back.
async fn error_of(resp: gloo_net::http::Response) -> String {
    match resp.json::<ErrorBody>().await {
        Ok(body) => body.error.message,
        Err(_) => format!("The server answered {}.", resp.status()),
    }
}

/// `GET /api/v1/health`.
pub async fn health() -> Result<Health, String> {
    let resp = Request::get("/api/v1/health")
        .send()
        .await
        .map_err(|_| "The server could not be reached.".to_owned())?;
    if resp.ok() {
        resp.json()
            .await
            .map_err(|_| "The server's answer was not understood.".to_owned())
    } else {
        Err(error_of(resp).await)
    }
}
