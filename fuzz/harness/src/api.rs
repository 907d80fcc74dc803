//! `api_json`: the JSON request bodies of the HTTP API (SPEC §4). The input's first byte
//! picks the endpoint (`Endpoint::ALL[b % 18]`), its second the `Content-Type` sent
//! (`CONTENT_TYPES[b % 6]`), and the rest is the body. `http::bodies::check` runs the
//! handler's own extractor (`AppJson`) and then the checks the handler makes before it
//! touches the store; a refusal must be a 4xx with the API's JSON error body.

use axum::response::IntoResponse;
use folio_server::http::bodies::{check, Endpoint};
use futures_util::FutureExt;

pub const CONTENT_TYPES: [Option<&str>; 6] = [
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    None,
    Some("text/plain"),
    Some("application/merge-patch+json"),
    Some("Application/JSON; charset=\"utf-8\""),
];

/// A fuzz input for `endpoint` with `body`, sent as `application/json`.
pub fn input(endpoint: Endpoint, body: &str) -> Vec<u8> {
    let index = Endpoint::ALL
        .iter()
        .position(|e| *e == endpoint)
        .expect("listed") as u8;
    [&[index, 0][..], body.as_bytes()].concat()
}

pub fn api_json(data: &[u8]) {
    let [which, ct, body @ ..] = data else { return };
    let endpoint = Endpoint::ALL[*which as usize % Endpoint::ALL.len()];
    let content_type = CONTENT_TYPES[*ct as usize % CONTENT_TYPES.len()];
    let Err(error) = check(endpoint, content_type, body) else {
        return;
    };
    let (status, code) = (error.status, error.code);
    assert!(
        status.is_client_error(),
        "{} answered {status} ({code}): {}",
        endpoint.route(),
        error.message
    );
    let response = error.into_response();
    assert_eq!(response.status(), status);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .now_or_never()
        .expect("an error body is in memory")
        .expect("an error body is small");
    let answer: serde_json::Value = serde_json::from_slice(&bytes).expect("an error body is JSON");
    assert_eq!(answer["error"]["code"], code);
    assert!(answer["error"]["message"].is_string());
}
