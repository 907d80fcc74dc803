//! The layout library and the themes (SPEC §4 `GET /api/layouts`, `GET /api/themes`): public,
//! read-only, the same for every caller.

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use axum::Json;
use serde::Deserialize;

use super::codes;
use super::error::{ApiError, ApiResult};
use crate::layouts::{self, Layout, Library, Theme};

#[derive(Deserialize)]
pub struct LayoutsQuery {
    group: Option<String>,
}

/// Every layout, or those of one aspect-ratio group with `?group=square|portrait|landscape`.
pub async fn list(
    query: Result<Query<LayoutsQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<&'static Layout>>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let library = Library::get();
    let layouts = match q.group.as_deref() {
        None => library.layouts().iter().collect(),
        Some(name) => {
            let group = layouts::parse_group(name).ok_or_else(|| {
                ApiError::bad_request(
                    codes::UNKNOWN_GROUP,
                    format!(
                        "unknown aspect-ratio group {name:?}; use square, portrait or landscape"
                    ),
                )
            })?;
            library.layouts_for(group).collect()
        }
    };
    Ok(Json(layouts))
}

/// Every theme.
pub async fn themes() -> Json<&'static [Theme]> {
    Json(Library::get().themes())
}
