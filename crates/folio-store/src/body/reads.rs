//! Reads and write outcomes every body shares, expanded for both stores: one row by key,
//! all rows by key, a list of ids by key.

use crate::{PgStore, SqliteStore, StoreError, StoreResult};

/// A foreign key that points nowhere means the row it names was not found.
pub(crate) fn fk_not_found<T>(res: sqlx::Result<T>) -> StoreResult<T> {
    match res {
        Err(e) if crate::dialect::is_foreign_key_violation(&e) => Err(StoreError::NotFound),
        other => Ok(other?),
    }
}

/// `NotFound` when a write by key changed no row.
pub(crate) fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

macro_rules! reads {
    ($store:ty, $row:ty) => {
        impl $store {
            /// The row `sql` finds with `key` as `$1`, decoded; `NotFound` without one.
            pub(crate) async fn one<T>(
                &self,
                sql: &str,
                key: uuid::Uuid,
                decode: fn(&$row) -> sqlx::Result<T>,
            ) -> StoreResult<T> {
                let row = sqlx::query(sql)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                Ok(decode(&row)?)
            }

            /// Every row `sql` finds with `key` as `$1`, decoded, in its order.
            pub(crate) async fn all<T>(
                &self,
                sql: &str,
                key: uuid::Uuid,
                decode: fn(&$row) -> sqlx::Result<T>,
            ) -> StoreResult<Vec<T>> {
                let rows = sqlx::query(sql).bind(key).fetch_all(&self.pool).await?;
                Ok(rows.iter().map(decode).collect::<sqlx::Result<_>>()?)
            }

            /// The ids `sql` lists with `key` as `$1`, in its order.
            pub(crate) async fn ids(
                &self,
                sql: &str,
                key: uuid::Uuid,
            ) -> StoreResult<Vec<uuid::Uuid>> {
                Ok(sqlx::query_scalar(sql)
                    .bind(key)
                    .fetch_all(&self.pool)
                    .await?)
            }
        }
    };
}

reads!(SqliteStore, sqlx::sqlite::SqliteRow);
reads!(PgStore, sqlx::postgres::PgRow);
