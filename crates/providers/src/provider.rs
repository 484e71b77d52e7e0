//! The providers by name: one enum whose lowercase names are stable, because logs, the API
//! and the database (field sources, quotas, circuit breakers) store them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A metadata provider this crate has a client for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// The Movie Database, API v3.
    Tmdb,
    /// Fanart.tv, API v3.
    Fanart,
    /// The Open Movie Database.
    Omdb,
}

impl Provider {
    /// Every provider, in a fixed order.
    pub const ALL: [Provider; 3] = [Provider::Tmdb, Provider::Fanart, Provider::Omdb];

    /// The stable lowercase name (`tmdb`, `fanart`, `omdb`) for logs, the API and the
    /// database. Never change one without a migration.
    pub const fn as_str(self) -> &'static str {
        match self {
            Provider::Tmdb => "tmdb",
            Provider::Fanart => "fanart",
            Provider::Omdb => "omdb",
        }
    }

    /// The name people know the service by, for messages shown to the user.
    pub const fn display_name(self) -> &'static str {
        match self {
            Provider::Tmdb => "TMDB",
            Provider::Fanart => "Fanart.tv",
            Provider::Omdb => "OMDb",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`Provider::as_str`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown provider {0:?}; expected tmdb, fanart or omdb")]
pub struct UnknownProvider(pub String);

impl FromStr for Provider {
    type Err = UnknownProvider;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Provider::ALL
            .into_iter()
            .find(|provider| provider.as_str() == name)
            .ok_or_else(|| UnknownProvider(name.to_owned()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_str_serde_and_display() {
        for provider in Provider::ALL {
            assert_eq!(provider.as_str().parse::<Provider>().unwrap(), provider);
            assert_eq!(provider.to_string(), provider.as_str());
            let json = serde_json::to_string(&provider).unwrap();
            assert_eq!(json, format!("\"{}\"", provider.as_str()));
            assert_eq!(serde_json::from_str::<Provider>(&json).unwrap(), provider);
        }
        assert_eq!(["tmdb", "fanart", "omdb"], Provider::ALL.map(Provider::as_str));
    }

    #[test]
    fn unknown_names_are_refused() {
        assert_eq!("TMDB".parse::<Provider>(), Err(UnknownProvider("TMDB".to_owned())));
        assert!("tvdb".parse::<Provider>().is_err());
    }
}
