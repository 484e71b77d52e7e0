//! `id_type!`: integer id newtypes for every crate's tables, so that one table's id is never
//! passed where another's belongs.

/// Declares id newtypes over `i64`: stored as BIGINT/INTEGER, shown as a JSON number (and an
/// integer schema in the OpenAPI document) and
/// parsed from text exactly as a bare integer, and usable as a [`Param`](crate::Param).
/// The crate that uses it needs `serde` and `sqlx` among its dependencies (the derives name
/// them).
#[macro_export]
macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash,
            serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number underneath.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<$name, Self::Err> {
                text.parse().map($name)
            }
        }

        // In the API's OpenAPI document an id is what it is on the wire: an integer.
        impl $crate::__utoipa::PartialSchema for $name {
            fn schema() -> $crate::__utoipa::openapi::RefOr<$crate::__utoipa::openapi::schema::Schema> {
                <i64 as $crate::__utoipa::PartialSchema>::schema()
            }
        }

        impl $crate::__utoipa::ToSchema for $name {}

        impl From<$name> for $crate::Param {
            fn from(id: $name) -> $crate::Param {
                $crate::Param::Int(id.0)
            }
        }
    )*};
}
