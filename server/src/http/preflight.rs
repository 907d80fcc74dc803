//! `GET /api/projects/{id}/preflight?product=` (SPEC §4, §11): the print checks of
//! [`crate::print::preflight`] on the durable book, for any member.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use yrs::updates::decoder::Decode;
use yrs::{Doc, Transact, Update};

use super::codes;
use super::error::{ApiError, ApiResult};
use super::extract::ProjectAccess;
use crate::ids::ProjectId;
use crate::print::preflight::{self, Input, PhotoPixels, Report, PRINT_FONTS};
use crate::AppState;

#[derive(Deserialize)]
pub struct PreflightQuery {
    /// The product to check for; the project's own by default.
    product: Option<String>,
}

pub async fn check(
    State(app): State<AppState>,
    access: ProjectAccess,
    query: Result<Query<PreflightQuery>, QueryRejection>,
) -> ApiResult<Json<Report>> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(codes::INVALID_QUERY, e.body_text()))?;
    let project = &access.project;
    let product_id = q.product.as_deref().unwrap_or(&project.product);
    let Some(product) = crdt_schema::product(product_id) else {
        let known: Vec<&str> = crdt_schema::PRODUCTS.iter().map(|p| p.id).collect();
        return Err(ApiError::invalid(
            codes::UNKNOWN_PRODUCT,
            format!(
                "unknown product {product_id:?}; choose one of {}",
                known.join(", ")
            ),
        ));
    };
    // The book is edited at its own product's group; a project whose stored product is
    // unknown is taken to be in the target's group.
    let group = crdt_schema::product(&project.product).map_or(product.group, |p| p.group);
    let book = durable_book(&app, project.id).await?;
    let photos: HashMap<String, PhotoPixels> = app
        .photos
        .visibility()
        .usable_in(project.id, &book)
        .await?
        .into_iter()
        .filter_map(|(id, r)| PhotoPixels::from_meta(&r.meta).map(|p| (id, p)))
        .collect();
    Ok(Json(preflight::preflight(&Input {
        book: &book,
        product,
        group,
        photos: &photos,
        fonts: PRINT_FONTS,
    })))
}

/// The book as the store holds it now.
async fn durable_book(app: &AppState, project: ProjectId) -> ApiResult<crdt_schema::model::Book> {
    let (state, _) = crate::versions::durable_state(&*app.store, project).await?;
    let doc = Doc::new();
    {
        let update = Update::decode_v1(&state)
            .map_err(|e| ApiError::internal("decoding a durable document", e))?;
        doc.transact_mut()
            .apply_update(update)
            .map_err(|e| ApiError::internal("applying a durable document", e))?;
    }
    let book = crdt_schema::model::read_book(&doc.transact());
    book.map_err(|e| {
        ApiError::conflict(
            codes::UNREADABLE_BOOK,
            format!("the book cannot be read for preflight: {e}"),
        )
    })
}
