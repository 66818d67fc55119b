//! The tower layer in an axum origin: forwarded requests pass with their
//! identity, forgeries get 401 and never reach the handler.
#![cfg(feature = "tower")]
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::extract::Extension;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use axum::Router;
use keygate_origin::{sign, Forwarded, KeygateLayer, Secrets, VerifiedIdentity};
use tower::ServiceExt;

const SECRET: &str = "an-origin-secret-0123456789abcdefgh";
const NOW: i64 = 1_800_000_000;

fn app() -> Router {
    Router::new()
        .route(
            "/calls/list",
            get(|Extension(id): Extension<VerifiedIdentity>| async move {
                format!("{} {} {}", id.key_id, id.organization, id.roles.join("|"))
            }),
        )
        .layer(KeygateLayer::with_clock(
            Secrets::parse(SECRET).unwrap(),
            || NOW,
        ))
}

fn request(signed_at: i64, key_id: &str, sign_key_id: &str) -> Request<Body> {
    let secrets = Secrets::parse(SECRET).unwrap();
    let f = Forwarded {
        method: "GET",
        path: "/calls/list",
        query: "page=2",
        key_id: sign_key_id,
        organization: "acme",
        roles: "calls:read,x",
        meta: "",
    };
    Request::builder()
        .uri("/calls/list?page=2")
        .header("x-keygate-key-id", key_id)
        .header("x-keygate-organization", "acme")
        .header("x-keygate-roles", "calls:read,x")
        .header("x-keygate-signature", sign(&secrets, signed_at, &f))
        .body(Body::empty())
        .unwrap()
}

async fn send(req: Request<Body>) -> (StatusCode, String) {
    let resp = app().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn forwarded_requests_pass_with_their_identity() {
    let (status, body) = send(request(NOW - 10, "key_a", "key_a")).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "key_a acme calls:read|x")
    );
}

#[tokio::test]
async fn forgeries_and_replays_are_refused() {
    // Identity headers typed by hand, signature of another key.
    let (status, body) = send(request(NOW, "key_root", "key_a")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("does not match"), "{body}");
    // A replay after 300 s.
    let (status, body) = send(request(NOW - 301, "key_a", "key_a")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("300 s"), "{body}");
    // No signature at all.
    let req = Request::builder()
        .uri("/calls/list")
        .header("x-keygate-key-id", "key_root")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(req).await.0, StatusCode::UNAUTHORIZED);
    // A genuine request with a second roles header added.
    let mut req = request(NOW, "key_a", "key_a");
    req.headers_mut()
        .append("x-keygate-roles", "keygate:admin".parse().unwrap());
    let (status, body) = send(req).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("repeated"), "{body}");
}
