//! Parameters and owned rows that mean the same on SQLite and PostgreSQL.

use super::{DbError, Result};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Column, Postgres, Row as _, Sqlite, TypeInfo, ValueRef};
use std::collections::HashMap;
use std::sync::Arc;

/// A parameter or a column value. Nulls carry a type because PostgreSQL checks parameter types.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    NullInt,
    NullText,
    NullReal,
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Value {
        Value::Int(i64::from(v))
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Real(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Value {
        Value::Bool(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}
impl From<&String> for Value {
    fn from(v: &String) -> Value {
        Value::Text(v.clone())
    }
}
impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map_or(Value::NullInt, Value::Int)
    }
}
impl From<Option<i32>> for Value {
    fn from(v: Option<i32>) -> Value {
        v.map_or(Value::NullInt, |v| Value::Int(i64::from(v)))
    }
}
impl From<Option<f64>> for Value {
    fn from(v: Option<f64>) -> Value {
        v.map_or(Value::NullReal, Value::Real)
    }
}
impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Value {
        v.map_or(Value::NullText, Value::Text)
    }
}
impl From<Option<&str>> for Value {
    fn from(v: Option<&str>) -> Value {
        v.map_or(Value::NullText, |v| Value::Text(v.to_owned()))
    }
}

/// Refuses a text parameter holding U+0000 before either backend sees it: the one place where
/// text from anywhere (HTTP, NFO files, file names, providers) reaches the database.
pub(super) fn storable(params: &[Value], operation: &'static str) -> Result<()> {
    let holds_nul = |param: &Value| matches!(param, Value::Text(text) if text.contains('\0'));
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
                Value::Int(v) => query.bind(v),
                Value::Real(v) => query.bind(v),
                Value::Text(v) => query.bind(v),
                Value::Bool(v) => query.bind(v),
                Value::NullInt => query.bind(None::<i64>),
                Value::NullText => query.bind(None::<String>),
                Value::NullReal => query.bind(None::<f64>),
            };
        }
        query
    }};
}

pub(super) fn bind_sqlite<'q>(
    query: sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>,
    params: &[Value],
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    bind_all!(query, params)
}

pub(super) fn bind_postgres<'q>(
    query: sqlx::query::Query<'q, Postgres, PgArguments>,
    params: &[Value],
) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    bind_all!(query, params)
}

/// An owned result row, read by column name.
#[derive(Debug, Clone)]
pub struct Row {
    columns: Arc<HashMap<String, usize>>,
    values: Vec<Value>,
}

fn decode_error(column: &str, reason: impl std::fmt::Display) -> DbError {
    DbError::Decode { column: column.to_owned(), reason: reason.to_string() }
}

impl Row {
    /// Rows of one result share one column map.
    pub(super) fn all_from_sqlite(rows: &[SqliteRow]) -> Result<Vec<Row>> {
        let Some(first) = rows.first() else { return Ok(Vec::new()) };
        let columns: Arc<HashMap<String, usize>> =
            Arc::new(first.columns().iter().enumerate().map(|(i, c)| (c.name().to_owned(), i)).collect());
        rows.iter().map(|row| Row::from_sqlite(row, &columns)).collect()
    }

    /// Rows of one result share one column map.
    pub(super) fn all_from_postgres(rows: &[PgRow]) -> Result<Vec<Row>> {
        let Some(first) = rows.first() else { return Ok(Vec::new()) };
        let columns: Arc<HashMap<String, usize>> =
            Arc::new(first.columns().iter().enumerate().map(|(i, c)| (c.name().to_owned(), i)).collect());
        rows.iter().map(|row| Row::from_postgres(row, &columns)).collect()
    }

    fn from_sqlite(row: &SqliteRow, columns: &Arc<HashMap<String, usize>>) -> Result<Row> {
        let mut values = Vec::with_capacity(row.len());
        for (index, column) in row.columns().iter().enumerate() {
            let raw = row.try_get_raw(index).map_err(|e| decode_error(column.name(), e))?;
            let value = if raw.is_null() {
                Value::NullText
            } else {
                match raw.type_info().name() {
                    "INTEGER" | "BOOLEAN" => {
                        Value::Int(row.try_get(index).map_err(|e| decode_error(column.name(), e))?)
                    }
                    "REAL" => Value::Real(row.try_get(index).map_err(|e| decode_error(column.name(), e))?),
                    _ => Value::Text(row.try_get(index).map_err(|e| decode_error(column.name(), e))?),
                }
            };
            values.push(value);
        }
        Ok(Row { columns: Arc::clone(columns), values })
    }

    fn from_postgres(row: &PgRow, columns: &Arc<HashMap<String, usize>>) -> Result<Row> {
        let mut values = Vec::with_capacity(row.len());
        for (index, column) in row.columns().iter().enumerate() {
            let raw = row.try_get_raw(index).map_err(|e| decode_error(column.name(), e))?;
            let name = column.name();
            let value = if raw.is_null() {
                Value::NullText
            } else {
                match column.type_info().name() {
                    "INT8" => Value::Int(row.try_get(index).map_err(|e| decode_error(name, e))?),
                    "INT4" => Value::Int(i64::from(row.try_get::<i32, _>(index).map_err(|e| decode_error(name, e))?)),
                    "INT2" => Value::Int(i64::from(row.try_get::<i16, _>(index).map_err(|e| decode_error(name, e))?)),
                    "FLOAT8" => Value::Real(row.try_get(index).map_err(|e| decode_error(name, e))?),
                    "FLOAT4" => {
                        Value::Real(f64::from(row.try_get::<f32, _>(index).map_err(|e| decode_error(name, e))?))
                    }
                    "BOOL" => Value::Bool(row.try_get(index).map_err(|e| decode_error(name, e))?),
                    "JSON" | "JSONB" => Value::Text(
                        row.try_get::<serde_json::Value, _>(index).map_err(|e| decode_error(name, e))?.to_string(),
                    ),
                    _ => Value::Text(row.try_get(index).map_err(|e| decode_error(name, e))?),
                }
            };
            values.push(value);
        }
        Ok(Row { columns: Arc::clone(columns), values })
    }

    fn value(&self, column: &str) -> Result<&Value> {
        self.columns
            .get(column)
            .and_then(|index| self.values.get(*index))
            .ok_or_else(|| decode_error(column, "no such column in the result"))
    }

    fn is_null(value: &Value) -> bool {
        matches!(value, Value::NullInt | Value::NullText | Value::NullReal)
    }

    /// An integer column (booleans read as 0/1).
    pub fn int(&self, column: &str) -> Result<i64> {
        self.opt_int(column)?.ok_or_else(|| decode_error(column, "is null"))
    }

    /// A nullable integer column.
    pub fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        match self.value(column)? {
            Value::Int(v) => Ok(Some(*v)),
            Value::Bool(v) => Ok(Some(i64::from(*v))),
            v if Row::is_null(v) => Ok(None),
            other => Err(decode_error(column, format!("expected an integer, found {other:?}"))),
        }
    }

    /// A nullable real column (integers widen).
    pub fn opt_real(&self, column: &str) -> Result<Option<f64>> {
        match self.value(column)? {
            Value::Real(v) => Ok(Some(*v)),
            Value::Int(v) => Ok(Some(*v as f64)),
            v if Row::is_null(v) => Ok(None),
            other => Err(decode_error(column, format!("expected a number, found {other:?}"))),
        }
    }

    /// A boolean column (SQLite stores 0/1).
    pub fn bool(&self, column: &str) -> Result<bool> {
        match self.value(column)? {
            Value::Bool(v) => Ok(*v),
            Value::Int(v) => Ok(*v != 0),
            other => Err(decode_error(column, format!("expected a boolean, found {other:?}"))),
        }
    }

    /// A text column.
    pub fn text(&self, column: &str) -> Result<String> {
        self.opt_text(column)?.ok_or_else(|| decode_error(column, "is null"))
    }

    /// A nullable text column.
    pub fn opt_text(&self, column: &str) -> Result<Option<String>> {
        match self.value(column)? {
            Value::Text(v) => Ok(Some(v.clone())),
            v if Row::is_null(v) => Ok(None),
            other => Err(decode_error(column, format!("expected text, found {other:?}"))),
        }
    }

    /// A JSON text column decoded into `T`; null reads as `T::default()`.
    pub fn json<T: serde::de::DeserializeOwned + Default>(&self, column: &str) -> Result<T> {
        match self.opt_text(column)? {
            None => Ok(T::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| decode_error(column, e)),
        }
    }
}
