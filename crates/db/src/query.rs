//! One SQL text for both backends: parameters, placeholder rewriting and typed rows.
//!
//! Statements are written once with `$1`-style placeholders in the SQL that SQLite and
//! PostgreSQL share. Rows decode into [`Record`]s: structs deriving `sqlx::FromRow`, or tuples,
//! whose fields decode on both backends, so a column that is missing or of another type is an
//! error naming it (`DbError::Sql` with sqlx's `ColumnNotFound` or `ColumnDecode`) the first
//! time a test reads it, on either backend. What sqlx has no type for is the parameter list
//! itself: its argument buffers are per backend, so [`Param`] carries values across.

use crate::{DbError, Result};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::QueryAs;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{FromRow, Postgres, Sqlite};

/// A row type both backends decode: derive `sqlx::FromRow` with fields that SQLite and
/// PostgreSQL both decode (`i64`, `f64`, `bool`, `String`, `Option`s of them, [`crate::JsonText`]).
pub trait Record: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

impl<T> Record for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}

/// A statement parameter. Nulls carry a type because PostgreSQL checks parameter types.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    NullInt,
    NullText,
    NullReal,
    NullBool,
}

macro_rules! param_from {
    ($($ty:ty => |$v:ident| $body:expr;)*) => {
        $(impl From<$ty> for Param {
            fn from($v: $ty) -> Param {
                $body
            }
        })*
    };
}

param_from! {
    i64 => |v| Param::Int(v);
    i32 => |v| Param::Int(i64::from(v));
    u64 => |v| Param::Int(i64::try_from(v).unwrap_or(i64::MAX));
    f64 => |v| Param::Real(v);
    bool => |v| Param::Bool(v);
    &str => |v| Param::Text(v.to_owned());
    String => |v| Param::Text(v);
    &String => |v| Param::Text(v.clone());
    Option<i64> => |v| v.map_or(Param::NullInt, Param::Int);
    Option<i32> => |v| v.map_or(Param::NullInt, |v| Param::Int(i64::from(v)));
    Option<f64> => |v| v.map_or(Param::NullReal, Param::Real);
    Option<String> => |v| v.map_or(Param::NullText, Param::Text);
    Option<&str> => |v| v.map_or(Param::NullText, |v| Param::Text(v.to_owned()));
    Option<bool> => |v| v.map_or(Param::NullBool, Param::Bool);
}

/// Refuses a text parameter holding U+0000 before either backend sees it: the one place where
/// text from anywhere (HTTP, NFO files, file names, providers) reaches the database.
pub(crate) fn check_params(params: &[Param], operation: &'static str) -> Result<()> {
    let holds_nul = |param: &Param| matches!(param, Param::Text(text) if text.contains('\0'));
    if params.iter().any(holds_nul) { Err(DbError::NulInText { operation }) } else { Ok(()) }
}

/// Whether a JSON value holds U+0000 in any string or key.
pub fn json_holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(json_holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(key, value)| key.contains('\0') || json_holds_nul(value)),
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => false,
    }
}

/// Binds parameters in order; one body for both backends' query types.
macro_rules! bind_all {
    ($query:expr, $params:expr) => {{
        let mut query = $query;
        for param in $params {
            query = match param.clone() {
                Param::Int(v) => query.bind(v),
                Param::Real(v) => query.bind(v),
                Param::Text(v) => query.bind(v),
                Param::Bool(v) => query.bind(v),
                Param::NullInt => query.bind(None::<i64>),
                Param::NullText => query.bind(None::<String>),
                Param::NullReal => query.bind(None::<f64>),
                Param::NullBool => query.bind(None::<bool>),
            };
        }
        query
    }};
}

pub(crate) fn bind_sqlite<'q, T>(
    query: QueryAs<'q, Sqlite, T, SqliteArguments<'q>>,
    params: &[Param],
) -> QueryAs<'q, Sqlite, T, SqliteArguments<'q>> {
    bind_all!(query, params)
}

pub(crate) fn bind_postgres<'q, T>(
    query: QueryAs<'q, Postgres, T, PgArguments>,
    params: &[Param],
) -> QueryAs<'q, Postgres, T, PgArguments> {
    bind_all!(query, params)
}

pub(crate) fn bind_sqlite_plain<'q>(
    query: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    params: &[Param],
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    bind_all!(query, params)
}

pub(crate) fn bind_postgres_plain<'q>(
    query: sqlx::query::Query<'q, Postgres, PgArguments>,
    params: &[Param],
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    bind_all!(query, params)
}

/// SQLite numbers its parameters `?1`, `?2`: rewrite `$1`-style placeholders outside literals.
pub(crate) fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut in_literal = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_literal = !in_literal;
                out.push(c);
            }
            '$' if !in_literal && chars.peek().is_some_and(char::is_ascii_digit) => out.push('?'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_question_marks_outside_literals() {
        assert_eq!(sqlite_sql("SELECT $1, '$2', $10 FROM t WHERE a = $2"), "SELECT ?1, '$2', ?10 FROM t WHERE a = ?2");
    }

    #[test]
    fn nul_is_refused_in_text_and_found_deep_in_json() {
        assert!(check_params(&[Param::from("fine"), Param::Int(0)], "test").is_ok());
        assert!(matches!(check_params(&[Param::from("a\0b")], "test"), Err(DbError::NulInText { .. })));
        assert!(json_holds_nul(&serde_json::json!({ "a": [1, { "b\u{0}": 2 }] })));
        assert!(!json_holds_nul(&serde_json::json!({ "a": [1, { "b": "c" }] })));
    }
}
