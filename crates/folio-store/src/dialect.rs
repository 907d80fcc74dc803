//! Where the two databases' SQL differs. The shared bodies in `body/` are written once and
//! expanded for each store; every difference they need is one item of `Dialect`, so the
//! list below is the whole of it.

use chrono::{DateTime, Utc};

/// The dialect hooks of one database. Placeholders are `$1`, `$2`, … on both (SQLite reads
/// `$N` as the N-th argument), and timestamps are bound as `DateTime<Utc>` on both (sqlx
/// writes RFC 3339 text on SQLite).
pub(crate) trait Dialect {
    /// Appended to a `SELECT` that locks the rows it reads: ` FOR UPDATE` on PostgreSQL.
    /// Empty on SQLite, whose write transactions (`BEGIN IMMEDIATE`) hold the whole file.
    const FOR_UPDATE: &'static str;
    /// Appended to a `SELECT` that must not wait for rows other workers have locked:
    /// ` FOR UPDATE SKIP LOCKED` on PostgreSQL.
    const SKIP_LOCKED: &'static str;
    /// Appended to a `SELECT` that keeps the rows it reads from changing until commit:
    /// ` FOR SHARE` on PostgreSQL.
    const FOR_SHARE: &'static str;
    /// Appended to a JSON column read as text: `::text` on PostgreSQL (JSONB).
    const JSON_TEXT: &'static str;
    /// Appended to a text parameter written to a JSON column: `::jsonb` on PostgreSQL.
    const TEXT_JSON: &'static str;
    /// The larger of two values: `GREATEST` on PostgreSQL, scalar `MAX` on SQLite.
    const GREATEST: &'static str;
    /// Matches `users.email` against `$1` regardless of case: the column is `NOCASE` on
    /// SQLite; PostgreSQL's unique index is on `lower(email)`.
    const EMAIL_IS: &'static str;
    /// The value of a new photo's `seq` (the library's order): the next of the `BIGSERIAL`
    /// on PostgreSQL, one past the largest on SQLite.
    const NEXT_PHOTO_SEQ: &'static str;
    /// A photo's tags, sorted and joined with newlines (a tag never holds one), for `p`.
    const TAGS: &'static str;

    /// A job time that SQL compares (`run_after`, `lease_until`).
    /// A time that SQL compares (a job's `run_after` and `lease_until`, an invite's
    /// `expires_at`): Unix milliseconds on SQLite, `TIMESTAMPTZ` on PostgreSQL.
    type Instant;
    fn instant(t: DateTime<Utc>) -> Self::Instant;
    fn time_of(i: Self::Instant) -> Option<DateTime<Utc>>;

    /// `IN` over a list of strings bound as one parameter (`text_list`).
    type List;
    fn in_list(param: &str) -> String;
    fn text_list(items: &[&str]) -> Self::List;

    /// `IN` over a list of ids bound as one parameter (`id_list`).
    type IdList;
    fn in_ids(param: &str) -> String;
    fn id_list(ids: &[uuid::Uuid]) -> Self::IdList;
}

pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

pub(crate) fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

/// A row value the store cannot read back.
pub(crate) fn decode_err(what: String) -> sqlx::Error {
    sqlx::Error::Decode(what.into())
}

/// A JSON document stored as text (read through `JSON_TEXT` on PostgreSQL).
pub(crate) fn json(text: &str) -> sqlx::Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
