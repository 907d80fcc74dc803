//! A small typed client for the JSON API.

use reqwest::header::HeaderMap;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(Clone)]
pub struct Api {
    pub base: String,
    client: reqwest::Client,
    /// Follows no redirect, so a test sees the 3xx itself (and never fetches its target).
    raw: reqwest::Client,
}

/// A signed-up user: id, name and bearer token.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub token: String,
}

impl Api {
    /// Polls `GET /api/jobs/{id}` as `token` until the job is done or failed, and gives the
    /// job; panics after `timeout`.
    pub async fn finished_job(&self, token: &str, id: &str, timeout: std::time::Duration) -> Value {
        let start = std::time::Instant::now();
        loop {
            let (status, body) = self
                .call(Method::GET, &format!("/api/jobs/{id}"), Some(token), None)
                .await;
            assert_eq!(status, StatusCode::OK, "job {id}: {body}");
            let state = body["job"]["state"].as_str().unwrap_or_default();
            assert!(
                ["queued", "running", "done", "failed"].contains(&state),
                "{body}"
            );
            if state == "done" || state == "failed" {
                return body["job"].clone();
            }
            assert!(
                start.elapsed() < timeout,
                "job {id} did not finish within {timeout:?}: {body}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    pub fn new(base: &str) -> Api {
        let raw = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client");
        Api {
            base: base.to_owned(),
            client: reqwest::Client::new(),
            raw,
        }
    }

    /// Any request; returns the status and the JSON body (Null when empty or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A GET answered with bytes: the status, the content type and the body.
    pub async fn get_bytes(
        &self,
        path: &str,
        token: Option<&str>,
    ) -> (StatusCode, String, Vec<u8>) {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            status,
            content_type,
            res.bytes().await.expect("body").to_vec(),
        )
    }

    /// A GET with extra request headers, following no redirect: the status, the response
    /// headers and the body.
    pub async fn get_raw(
        &self,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let mut req = self.raw.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        (status, headers, res.bytes().await.expect("body").to_vec())
    }

    /// A POST of raw bytes with the given content type; the status and the JSON body.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `POST /api/photos` with one `file` part per `(file name, bytes)`, after an `album_id`
    /// part when given: the status and the JSON body.
    pub async fn upload(
        &self,
        token: &str,
        files: &[(&str, &[u8])],
        album_id: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut form = Form::new();
        if let Some(album) = album_id {
            form = form.text("album_id", album.to_owned());
        }
        for (name, bytes) in files {
            form = form.part(
                "file",
                Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            );
        }
        self.upload_form(token, form).await
    }

    /// `POST /api/photos` with a multipart form built by the caller (parts in any order).
    pub async fn upload_form(&self, token: &str, form: Form) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}/api/photos", self.base))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn signup(&self, name: &str) -> Account {
        let email = crate::unique_email(&name.to_lowercase());
        let (status, body) = self
            .call(
                Method::POST,
                "/api/auth/signup",
                None,
                Some(json!({"email": email, "name": name, "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "signup: {body}");
        Account {
            id: body["user"]["id"].as_str().expect("user id").to_owned(),
            name: name.to_owned(),
            token: body["token"].as_str().expect("token").to_owned(),
        }
    }

    pub async fn create_project(&self, owner: &Account, title: &str) -> String {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/projects",
                Some(&owner.token),
                Some(json!({"title": title})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "create project: {body}");
        body["project"]["id"]
            .as_str()
            .expect("project id")
            .to_owned()
    }

    /// `PUT /api/projects/{project}/members/{user}` as `manager`: the status and the answer.
    ///
    /// The server adds only friends of the manager, people who already share a book with
    /// them (SPEC §12). When `user` is not one yet (the PUT answers 403 `not_a_friend`), they
    /// join the real way first, by accepting a one-use invite link the manager makes for
    /// `role` (`join_by_invite`), and the PUT is sent again, now a role change that changes
    /// nothing. A test of the refusal itself sends the PUT with `call`.
    pub async fn set_role(
        &self,
        manager: &Account,
        project: &str,
        user: &Account,
        role: &str,
    ) -> (StatusCode, Value) {
        let path = format!("/api/projects/{project}/members/{}", user.id);
        let (status, body) = self
            .call(
                Method::PUT,
                &path,
                Some(&manager.token),
                Some(json!({"role": role})),
            )
            .await;
        if status != StatusCode::FORBIDDEN || body["error"]["code"] != "not_a_friend" {
            return (status, body);
        }
        self.join_by_invite(manager, project, user, role).await;
        self.call(
            Method::PUT,
            &path,
            Some(&manager.token),
            Some(json!({"role": role})),
        )
        .await
    }

    /// `manager` makes a one-use invite link to `project` for `role` and `user` accepts it;
    /// panics unless `user` joins at that role. Returns the accept's answer.
    pub async fn join_by_invite(
        &self,
        manager: &Account,
        project: &str,
        user: &Account,
        role: &str,
    ) -> Value {
        let (status, created) = self
            .call(
                Method::POST,
                &format!("/api/projects/{project}/invites"),
                Some(&manager.token),
                Some(json!({"role": role, "max_uses": 1})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "{} invites {} as {role}: {created}",
            manager.name,
            user.name
        );
        let token = created["token"].as_str().expect("invite token");
        let (status, joined) = self
            .call(
                Method::POST,
                &format!("/api/invites/{token}/accept"),
                Some(&user.token),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{} accepts {}'s invite: {joined}",
            user.name,
            manager.name
        );
        assert_eq!(
            joined["role"],
            json!(role),
            "{} joined at another role: {joined}",
            user.name
        );
        joined
    }
}
