//! What is being announced: the event kinds users filter on and the notification itself.

use serde::{Deserialize, Serialize};

/// The kinds of event a user can subscribe a notification service to.
///
/// The string forms ([`EventKind::as_str`]) are stored in the database as each service's
/// event filter and appear in the HTTP API, so they must never be renamed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A movie was downloaded and imported for the first time.
    MovieImported,
    /// A movie's file was replaced by a better release.
    MovieUpgraded,
    /// A movie's files were renamed.
    MovieRenamed,
    /// A movie was removed.
    MovieDeleted,
    /// A library scan finished.
    ScanCompleted,
    /// A library scan failed.
    ScanFailed,
    /// A job failed permanently (out of retries, or not retryable).
    JobFailed,
    /// Radarr or Sonarr reported a health issue.
    HealthIssue,
    /// Radarr or Sonarr reported a health issue as resolved.
    HealthRestored,
    /// Radarr or Sonarr reported an application update.
    ApplicationUpdate,
    /// A verification run put back files that had gone or imported files changed elsewhere.
    VerificationCompleted,
    /// A test message sent from the settings page.
    Test,
}

impl EventKind {
    /// Every event kind, in the order the settings page lists them.
    pub const ALL: [EventKind; 12] = [
        EventKind::MovieImported,
        EventKind::MovieUpgraded,
        EventKind::MovieRenamed,
        EventKind::MovieDeleted,
        EventKind::ScanCompleted,
        EventKind::ScanFailed,
        EventKind::JobFailed,
        EventKind::HealthIssue,
        EventKind::HealthRestored,
        EventKind::ApplicationUpdate,
        EventKind::VerificationCompleted,
        EventKind::Test,
    ];

    /// The stable snake_case name stored in event filters.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MovieImported => "movie_imported",
            EventKind::MovieUpgraded => "movie_upgraded",
            EventKind::MovieRenamed => "movie_renamed",
            EventKind::MovieDeleted => "movie_deleted",
            EventKind::ScanCompleted => "scan_completed",
            EventKind::ScanFailed => "scan_failed",
            EventKind::JobFailed => "job_failed",
            EventKind::HealthIssue => "health_issue",
            EventKind::HealthRestored => "health_restored",
            EventKind::ApplicationUpdate => "application_update",
            EventKind::VerificationCompleted => "verification_completed",
            EventKind::Test => "test",
        }
    }

    /// Parses a name produced by [`EventKind::as_str`]; anything else is `None`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The Discord embed colour (a decimal RGB value), distinct per event so a channel can
    /// be scanned by colour: greens for good news, reds for failures, orange for warnings.
    pub fn color(self) -> u32 {
        match self {
            EventKind::MovieImported => 0x2E_CC_71,
            EventKind::MovieUpgraded => 0x34_98_DB,
            EventKind::MovieRenamed => 0x9B_59_B6,
            EventKind::MovieDeleted => 0x95_A5_A6,
            EventKind::ScanCompleted => 0x1A_BC_9C,
            EventKind::ScanFailed => 0xE7_4C_3C,
            EventKind::JobFailed => 0xC0_39_2B,
            EventKind::HealthIssue => 0xE6_7E_22,
            EventKind::HealthRestored => 0x27_AE_60,
            EventKind::ApplicationUpdate => 0xF1_C4_0F,
            EventKind::VerificationCompleted => 0x16_A0_85,
            EventKind::Test => 0x58_65_F2,
        }
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The movie a notification is about, when there is one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MovieInfo {
    /// The movie's title.
    pub title: String,
    /// The release year, when known.
    pub year: Option<i32>,
    /// The plot summary, when known.
    pub overview: Option<String>,
    /// An absolute http(s) URL of the poster, when known; services fetch it themselves.
    pub poster_url: Option<String>,
}

/// One message to deliver. Senders trim each text to their service's limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// What happened; picks the Discord colour and drives the user's event filter.
    pub event: EventKind,
    /// A one-line headline (the email subject, the Discord embed title).
    pub title: String,
    /// The body in plain text.
    pub message: String,
    /// The movie concerned, if any.
    pub movie: Option<MovieInfo>,
    /// A link for more detail (for example the movie's page in Metarr), if any.
    pub url: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = EventKind::ALL.iter().map(|kind| kind.as_str()).collect();
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventKind::ALL.len());
        assert_eq!(EventKind::parse("MovieImported"), None);
        assert_eq!(EventKind::parse(""), None);
    }

    #[test]
    fn event_colours_are_distinct() {
        let mut colours: Vec<u32> = EventKind::ALL.iter().map(|kind| kind.color()).collect();
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), EventKind::ALL.len());
        assert!(colours.iter().all(|colour| *colour <= 0xFF_FF_FF));
    }
}
