//! Sign-up, login, logout and the current user.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::codes;
use super::error::{ApiError, ApiResult};
use super::extract::{AppJson, AuthUser};
use crate::auth;
use crate::store::{StoreError, User};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignupBody {
    email: String,
    name: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// The client's address as the TCP peer gave it, which the per-address limits count.
/// Behind a reverse proxy that is the proxy's address.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientAddr, Self::Rejection> {
        // `run` always serves with connect info; a router driven without it (no peer at
        // all) counts as one unspecified address.
        let addr = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        Ok(ClientAddr(addr))
    }
}

pub(super) const MIN_PASSWORD: usize = 8;
pub(super) const MAX_PASSWORD: usize = 1024;

pub(super) fn check_email(email: &str) -> ApiResult<String> {
    let email = email.trim();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(email.to_owned())
    } else {
        Err(ApiError::invalid(
            codes::INVALID_EMAIL,
            "give an email address like name@example.com",
        ))
    }
}

pub fn check_name(name: &str, what: &str, max: usize) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > max || name.chars().any(|c| c.is_control()) {
        return Err(ApiError::invalid(
            codes::INVALID_NAME,
            format!("the {what} must be 1 to {max} characters, without control characters"),
        ));
    }
    Ok(name.to_owned())
}

async fn issue_token(app: &AppState, user: &User) -> ApiResult<String> {
    let token = auth::new_token();
    let now = Utc::now();
    let expires = now + Duration::seconds(app.cfg.token_ttl_s as i64);
    app.store
        .create_session(user.id, &auth::token_hash(&token), now, expires)
        .await?;
    Ok(token)
}

pub async fn signup(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(body): AppJson<SignupBody>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let email = check_email(&body.email)?;
    let name = check_name(&body.name, "name", 100)?;
    let n = body.password.chars().count();
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&n) {
        return Err(ApiError::invalid(
            codes::WEAK_PASSWORD,
            format!("the password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"),
        ));
    }
    // Counted once the request is well-formed, before the costly hash.
    app.limits.signup(addr)?;
    let hash = app.passwords.hash(body.password).await?;
    let user = match app
        .store
        .create_user(&email, &name, &hash, Utc::now())
        .await
    {
        Ok(u) => u,
        Err(StoreError::Conflict(_)) => {
            return Err(ApiError::conflict(
                codes::EMAIL_TAKEN,
                "an account with this email exists; log in instead",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let token = issue_token(&app, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "user": user, "token": token })),
    ))
}

pub async fn login(
    State(app): State<AppState>,
    ClientAddr(addr): ClientAddr,
    AppJson(body): AppJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let email = body.email.trim().to_owned();
    // Before the lookup and the hash, and keyed the same whether or not the account
    // exists, so a 429 costs the server nothing and tells nothing.
    app.limits.login(addr, &email)?;
    let creds = match app.store.user_credentials(&email).await {
        Ok(c) => Some(c),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    // An unknown email is checked against a dummy hash: the same cost, under the same bound.
    let ok = app
        .passwords
        .verify(
            body.password,
            creds.as_ref().map(|c| c.password_hash.clone()),
        )
        .await?;
    match creds {
        Some(c) if ok => {
            let token = issue_token(&app, &c.user).await?;
            Ok(Json(json!({ "user": c.user, "token": token })))
        }
        _ => Err(ApiError::unauthorized(
            codes::INVALID_CREDENTIALS,
            "wrong email or password",
        )),
    }
}

pub async fn logout(
    State(app): State<AppState>,
    AuthUser(session): AuthUser,
) -> ApiResult<StatusCode> {
    app.store.delete_session(session.id).await?;
    app.sync.session_revoked(session.id);
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(AuthUser(session): AuthUser) -> Json<Value> {
    Json(json!({ "user": session.user }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked() {
        assert!(check_email(" a@b.co ").is_ok());
        for bad in ["", "a", "a@b", "@b.co", "a b@c.de", "a@.com", "a@com."] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Ann ", "name", 10).unwrap(), "Ann");
        assert!(check_name("   ", "name", 10).is_err());
        assert!(check_name(&"x".repeat(11), "name", 10).is_err());
        assert!(check_name("a\u{0}b", "name", 10).is_err());
    }
}
