//! HTTP routes: the JSON API of SPEC §4, the WebSocket upgrade, ops endpoints and the web client.

mod accounts;
mod automix;
#[doc(hidden)]
pub mod bodies;
pub mod codes;
pub mod error;
mod events;
pub mod extract;
mod invites;
mod jobs;
mod layouts;
mod ops;
mod photos;
mod preflight;
mod projects;
mod renders;
pub mod subscribers;
mod versions;
mod wall;
mod ws;

use std::path::PathBuf;

use axum::extract::DefaultBodyLimit;
use axum::response::{Html, IntoResponse};
use axum::routing::{delete, get, patch, post, put};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

use error::ApiError;

use crate::AppState;

pub fn router(app: AppState) -> Router {
    let api = Router::new()
        .route("/auth/signup", post(accounts::signup))
        .route("/auth/login", post(accounts::login))
        .route("/auth/logout", post(accounts::logout))
        .route("/me", get(accounts::me))
        .route("/products", get(ops::products))
        .route("/layouts", get(layouts::list))
        .route("/themes", get(layouts::themes))
        .route("/projects", post(projects::create).get(projects::list))
        .route(
            "/projects/{id}",
            get(projects::get)
                .patch(projects::patch)
                .delete(projects::delete),
        )
        .route("/projects/{id}/members", get(projects::members))
        .route(
            "/projects/{id}/members/{user_id}",
            put(projects::set_member).delete(projects::remove_member),
        )
        .route(
            "/projects/{id}/versions",
            get(versions::list).post(versions::create),
        )
        .route("/projects/{id}/versions/{version_id}", get(versions::fetch))
        .route(
            "/projects/{id}/versions/{version_id}/restore",
            post(versions::restore),
        )
        .route("/projects/{id}/wall", get(wall::list).post(wall::post))
        .route(
            "/projects/{id}/wall/{comment_id}",
            patch(wall::edit).delete(wall::delete),
        )
        .route("/projects/{id}/events", get(events::stream))
        .route(
            "/projects/{id}/invites",
            post(invites::create).get(invites::list),
        )
        .route(
            "/projects/{id}/invites/{invite_id}",
            delete(invites::revoke),
        )
        .route("/invites/{token}", get(invites::inspect))
        .route("/invites/{token}/accept", post(invites::accept))
        .route("/notifications", get(invites::notifications))
        .route("/friends", get(invites::friends))
        .route("/notifications/read", post(invites::mark_read))
        .route("/projects/{id}/automix", post(automix::start))
        .route("/projects/{id}/preflight", get(preflight::check))
        .route("/projects/{id}/renders", post(renders::start))
        .route("/renders/{id}/pdf", get(renders::pdf))
        .route("/renders/{id}/preview", get(renders::preview))
        .route("/jobs/{id}", get(jobs::get))
        .route(
            "/photos",
            // Uploads stream past the JSON body limit, up to the per-request photo limit.
            post(photos::upload)
                .layer(DefaultBodyLimit::max(
                    usize::try_from(app.cfg.photo_max_request_bytes).unwrap_or(usize::MAX),
                ))
                .get(photos::list),
        )
        .route("/photos/remote", post(photos::register_remote))
        .route("/photos/{id}", get(photos::get))
        .route("/photos/{id}/file", get(photos::file))
        .route("/photos/{id}/tags", post(photos::add_tags))
        .route("/photos/{id}/tags/{tag}", delete(photos::remove_tag))
        .route(
            "/albums",
            post(photos::create_album).get(photos::list_albums),
        )
        .route(
            "/albums/{id}",
            get(photos::get_album).patch(photos::patch_album),
        )
        .route("/albums/{id}/photos", post(photos::add_album_photos))
        .route(
            "/albums/{id}/photos/{photo_id}",
            delete(photos::remove_album_photo),
        )
        .route("/shares", post(photos::share))
        .route("/print-selections", post(photos::print_selection))
        .route("/groups", get(photos::list_groups))
        .route("/groups/{id}", get(photos::get_group))
        .route("/groups/{id}/events", get(photos::group_events))
        .fallback(|| async {
            ApiError::not_found("no such API endpoint; see the API summary in README.md")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                codes::METHOD_NOT_ALLOWED,
                "this endpoint does not take that method",
            )
        });

    let router = Router::new()
        .nest("/api", api)
        .route("/ws/projects/{id}", get(ws::upgrade))
        .route("/assets/themes/{theme}/{file}", get(theme_asset))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));

    let router = match static_dir(&app) {
        Some(dir) => router
            .fallback_service(ServeDir::new(&dir).fallback(ServeFile::new(dir.join("index.html")))),
        None => router.fallback(get(placeholder)),
    };

    router
        .layer(DefaultBodyLimit::max(app.cfg.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(app)
}

/// `GET /assets/themes/{theme}/{file}`: theme artwork (SVG), public like the themes list.
async fn theme_asset(
    axum::extract::Path((theme, file)): axum::extract::Path<(String, String)>,
) -> axum::response::Response {
    match crate::assets::theme_asset(&format!("themes/{theme}/{file}")) {
        Some(bytes) => (
            [
                (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
                (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            bytes,
        )
            .into_response(),
        None => {
            ApiError::missing(codes::ASSET_NOT_FOUND, "no theme asset by that name").into_response()
        }
    }
}

fn static_dir(app: &AppState) -> Option<PathBuf> {
    let dir = app
        .cfg
        .static_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("client-web/dist"));
    dir.join("index.html").is_file().then_some(dir)
}

async fn placeholder() -> impl IntoResponse {
    Html(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Folio</title></head>\
         <body><h1>Folio is running</h1><p>The web editor is not built yet. \
         The API is under <code>/api</code> and live sync under <code>/ws/projects/{id}</code>.</p></body></html>",
    )
}
