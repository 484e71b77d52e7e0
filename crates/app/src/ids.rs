//! Id newtypes of the catalogue, so that a movie's id is never passed where a scan's belongs.
//!
//! Each is an `i64` underneath: stored as BIGINT/INTEGER, shown as a JSON number, parsed from a
//! path segment, exactly as the bare integers were.

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

        impl From<$name> for crate::db::Param {
            fn from(id: $name) -> crate::db::Param {
                crate::db::Param::Int(id.0)
            }
        }
    )*};
}

id_type! {
    /// A library (`libraries.id`).
    LibraryId;
    /// A scan of a library (`scans.id`).
    ScanId;
    /// A movie (`movies.id`).
    MovieId;
}
