//! What Radarr and Sonarr send (docs/peers/radarr-sonarr.md), parsed per event into the
//! essentials Metarr acts on.
//!
//! The body is first read as a JSON value, because `eventType` comes *last* (derived-class
//! fields first) and because one field changes type between events: `deletedFiles` is an array
//! in `Download` and a boolean in `MovieDelete`. Each event then has its own struct, so a
//! missing or mistyped field is reported by serde with the field's name. Unknown fields are
//! ignored everywhere: the *arrs add fields in minor releases.

use serde::{Deserialize, Serialize};

/// Which program sent the webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Radarr,
    Sonarr,
}

impl Source {
    /// `"radarr"` or `"sonarr"`, as stored in the webhook log.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Radarr => "radarr",
            Source::Sonarr => "sonarr",
        }
    }

    /// `"Radarr"` or `"Sonarr"`, for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Source::Radarr => "Radarr",
            Source::Sonarr => "Sonarr",
        }
    }
}

/// Why a body was refused; the message is serde's, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("the body is not a JSON object")]
    NotAnObject,
    #[error("missing field `eventType`")]
    MissingEventType,
    #[error("`eventType` must be a string")]
    EventTypeNotString,
    #[error("invalid {event_type} payload: {message}")]
    Invalid { event_type: String, message: String },
    /// A string (or key) of the payload holds U+0000, which no backend can store or match.
    #[error("the payload holds a NUL character (\\u0000) at {pointer}, which cannot be stored")]
    Nul { pointer: String },
}

/// A parsed webhook: its `eventType` as sent, and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub event_type: String,
    pub event: Option<ArrEvent>,
}

/// The essentials of a movie, as Radarr describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MovieEssentials {
    pub title: String,
    pub year: Option<i32>,
    /// The movie folder as Radarr sees it.
    pub folder_path: Option<String>,
    pub tmdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    pub overview: Option<String>,
    /// The poster's remote URL (TMDB), usable by Discord; Radarr's own URL is local to Radarr.
    pub poster_url: Option<String>,
}

/// The essentials of a series, as Sonarr describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesEssentials {
    pub title: String,
    pub year: Option<i32>,
    /// The series folder as Sonarr sees it (`series.path`).
    pub path: Option<String>,
    pub tvdb_id: Option<i64>,
    pub tmdb_id: Option<i64>,
    pub imdb_id: Option<String>,
    /// `standard`, `daily` or `anime`.
    pub series_type: Option<String>,
    pub overview: Option<String>,
    pub poster_url: Option<String>,
}

/// A renamed file: where it was and where it is, as Radarr sees them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenamedFile {
    pub previous_path: String,
    pub path: String,
}

/// What Metarr acts on. Serialised into the `webhook-received` job's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ArrEvent {
    Download {
        movie: MovieEssentials,
        file_path: Option<String>,
        is_upgrade: bool,
    },
    Rename {
        movie: MovieEssentials,
        files: Vec<RenamedFile>,
    },
    MovieFileDelete {
        movie: MovieEssentials,
        file_path: Option<String>,
        reason: Option<String>,
    },
    MovieDelete {
        movie: MovieEssentials,
        deleted_files: bool,
    },
    MovieAdded {
        movie: MovieEssentials,
    },
    Grab {
        movie: MovieEssentials,
        release_title: Option<String>,
    },
    ManualInteractionRequired {
        movie: Option<MovieEssentials>,
        download_title: Option<String>,
    },
    Health {
        level: Option<String>,
        message: String,
        check: Option<String>,
        wiki_url: Option<String>,
    },
    HealthRestored {
        level: Option<String>,
        message: String,
        check: Option<String>,
        wiki_url: Option<String>,
    },
    ApplicationUpdate {
        message: String,
        previous_version: Option<String>,
        new_version: Option<String>,
    },
    /// Sonarr imported episode files: one (`episodeFile`) or a season pack's (`episodeFiles`).
    EpisodesImported {
        series: SeriesEssentials,
        files: Vec<String>,
        episodes: usize,
        is_upgrade: bool,
    },
    SeriesRename {
        series: SeriesEssentials,
        files: Vec<RenamedFile>,
    },
    EpisodeFileDelete {
        series: SeriesEssentials,
        file_path: Option<String>,
        reason: Option<String>,
    },
    SeriesAdd {
        series: SeriesEssentials,
    },
    SeriesDelete {
        series: SeriesEssentials,
        deleted_files: bool,
    },
    /// Any other Sonarr event (`Grab`, `ManualInteractionRequired`): recorded.
    Sonarr {
        event_type: String,
        series_title: Option<String>,
        summary: String,
    },
}

// ---- Radarr wire types (camelCase, nulls omitted, unknown fields ignored) ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireImage {
    cover_type: Option<String>,
    remote_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMovie {
    title: String,
    year: Option<i32>,
    folder_path: Option<String>,
    tmdb_id: Option<i64>,
    imdb_id: Option<String>,
    overview: Option<String>,
    #[serde(default)]
    images: Vec<WireImage>,
}

impl WireMovie {
    fn essentials(self) -> MovieEssentials {
        let poster_url = self
            .images
            .iter()
            .find(|image| image.cover_type.as_deref() == Some("poster"))
            .and_then(|image| image.remote_url.clone());
        MovieEssentials {
            title: self.title,
            year: self.year.filter(|year| *year > 0),
            folder_path: self.folder_path.filter(|path| !path.is_empty()),
            // Radarr always writes ints: 0 means unknown.
            tmdb_id: self.tmdb_id.filter(|id| *id > 0),
            imdb_id: self.imdb_id.filter(|id| !id.is_empty()),
            overview: self.overview,
            poster_url,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMovieFile {
    path: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDownload {
    movie: WireMovie,
    movie_file: WireMovieFile,
    #[serde(default)]
    is_upgrade: bool,
    /// An array here (a boolean in MovieDelete); only checked for shape.
    #[serde(default)]
    #[allow(dead_code)]
    deleted_files: Vec<serde::de::IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRenamedFile {
    previous_path: String,
    path: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRename {
    movie: WireMovie,
    renamed_movie_files: Vec<WireRenamedFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMovieFileDelete {
    movie: WireMovie,
    movie_file: Option<WireMovieFile>,
    delete_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMovieDelete {
    movie: WireMovie,
    #[serde(default)]
    deleted_files: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMovieOnly {
    movie: WireMovie,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRelease {
    release_title: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireGrab {
    movie: WireMovie,
    release: Option<WireRelease>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDownloadInfo {
    title: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireManual {
    movie: Option<WireMovie>,
    download_info: Option<WireDownloadInfo>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireHealth {
    level: Option<String>,
    message: String,
    #[serde(rename = "type")]
    check: Option<String>,
    wiki_url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUpdate {
    message: String,
    previous_version: Option<String>,
    new_version: Option<String>,
}

// ---- Sonarr wire types ----

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSeries {
    title: String,
    year: Option<i32>,
    path: Option<String>,
    tvdb_id: Option<i64>,
    tmdb_id: Option<i64>,
    imdb_id: Option<String>,
    #[serde(rename = "type")]
    series_type: Option<String>,
    overview: Option<String>,
    #[serde(default)]
    images: Vec<WireImage>,
}

impl WireSeries {
    fn essentials(self) -> SeriesEssentials {
        let poster_url = self
            .images
            .iter()
            .find(|image| image.cover_type.as_deref() == Some("poster"))
            .and_then(|image| image.remote_url.clone());
        SeriesEssentials {
            title: self.title,
            year: self.year.filter(|year| *year > 0),
            path: self.path.filter(|path| !path.is_empty()),
            // Sonarr always writes ints: 0 means unknown.
            tvdb_id: self.tvdb_id.filter(|id| *id > 0),
            tmdb_id: self.tmdb_id.filter(|id| *id > 0),
            imdb_id: self.imdb_id.filter(|id| !id.is_empty()),
            series_type: self.series_type.filter(|t| !t.is_empty()),
            overview: self.overview,
            poster_url,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEpisodeFile {
    path: Option<String>,
}

/// Both shapes of Sonarr's `Download`: per file (`episodeFile`) and import complete
/// (`episodeFiles[]`, `fileCount`); told apart by which of the two is present.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSonarrDownload {
    series: WireSeries,
    #[serde(default)]
    episodes: Vec<serde::de::IgnoredAny>,
    episode_file: Option<WireEpisodeFile>,
    episode_files: Option<Vec<WireEpisodeFile>>,
    #[serde(default)]
    is_upgrade: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSonarrRename {
    series: WireSeries,
    #[serde(default)]
    renamed_episode_files: Vec<WireRenamedFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEpisodeFileDelete {
    series: WireSeries,
    episode_file: Option<WireEpisodeFile>,
    delete_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSeriesDelete {
    series: WireSeries,
    #[serde(default)]
    deleted_files: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSeriesOnly {
    series: WireSeries,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMaybeSeries {
    series: Option<WireSeries>,
}

fn typed<T: serde::de::DeserializeOwned>(event_type: &str, value: serde_json::Value) -> Result<T, PayloadError> {
    serde_json::from_value(value)
        .map_err(|err| PayloadError::Invalid { event_type: event_type.to_owned(), message: err.to_string() })
}

/// Reads the `eventType` and the whole value.
fn split(body: &[u8]) -> Result<(String, serde_json::Value), PayloadError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(PayloadError::Json("the body is empty".into()));
    }
    // serde_json's recursion limit (128) turns a deeply nested body into an error, not a crash.
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|err| PayloadError::Json(err.to_string()))?;
    // The cheap walk first: the pointer's walk builds a path at every node, on every webhook.
    if crate::db::json_holds_nul(&value)
        && let Some(pointer) = nul_pointer(&value, String::new())
    {
        return Err(PayloadError::Nul { pointer });
    }
    let object = value.as_object().ok_or(PayloadError::NotAnObject)?;
    let event_type = match object.get("eventType") {
        None | Some(serde_json::Value::Null) => return Err(PayloadError::MissingEventType),
        Some(serde_json::Value::String(event_type)) => event_type.clone(),
        Some(_) => return Err(PayloadError::EventTypeNotString),
    };
    Ok((event_type, value))
}

/// The JSON pointer (`/movie/title`) of the first string or key holding U+0000, if any.
fn nul_pointer(value: &serde_json::Value, at: String) -> Option<String> {
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(|| if at.is_empty() { "/".to_owned() } else { at }),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(index, item)| nul_pointer(item, format!("{at}/{index}")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            // The key is shown with its NUL replaced: the message itself is stored in the log.
            let escaped = key.replace('~', "~0").replace('/', "~1").replace('\0', "\u{fffd}");
            if key.contains('\0') {
                Some(format!("{at}/{escaped}"))
            } else {
                nul_pointer(item, format!("{at}/{escaped}"))
            }
        }),
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => None,
    }
}

/// Parses a Radarr body. `event` is `None` for `Test` and for event types Metarr does not know.
pub fn parse_radarr(body: &[u8]) -> Result<Parsed, PayloadError> {
    let (event_type, value) = split(body)?;
    let et = event_type.as_str();
    let event = match et {
        "Test" => None,
        "Download" => {
            let wire: WireDownload = typed(et, value)?;
            Some(ArrEvent::Download {
                movie: wire.movie.essentials(),
                file_path: wire.movie_file.path.filter(|p| !p.is_empty()),
                is_upgrade: wire.is_upgrade,
            })
        }
        "Rename" => {
            let wire: WireRename = typed(et, value)?;
            Some(ArrEvent::Rename {
                movie: wire.movie.essentials(),
                files: wire
                    .renamed_movie_files
                    .into_iter()
                    .map(|file| RenamedFile { previous_path: file.previous_path, path: file.path })
                    .collect(),
            })
        }
        "MovieFileDelete" => {
            let wire: WireMovieFileDelete = typed(et, value)?;
            Some(ArrEvent::MovieFileDelete {
                movie: wire.movie.essentials(),
                file_path: wire.movie_file.and_then(|file| file.path),
                reason: wire.delete_reason,
            })
        }
        "MovieDelete" => {
            let wire: WireMovieDelete = typed(et, value)?;
            Some(ArrEvent::MovieDelete { movie: wire.movie.essentials(), deleted_files: wire.deleted_files })
        }
        "MovieAdded" => {
            let wire: WireMovieOnly = typed(et, value)?;
            Some(ArrEvent::MovieAdded { movie: wire.movie.essentials() })
        }
        "Grab" => {
            let wire: WireGrab = typed(et, value)?;
            Some(ArrEvent::Grab {
                movie: wire.movie.essentials(),
                release_title: wire.release.and_then(|release| release.release_title),
            })
        }
        "ManualInteractionRequired" => {
            let wire: WireManual = typed(et, value)?;
            Some(ArrEvent::ManualInteractionRequired {
                movie: wire.movie.map(WireMovie::essentials),
                download_title: wire.download_info.and_then(|info| info.title),
            })
        }
        "Health" | "HealthRestored" => {
            let wire: WireHealth = typed(et, value)?;
            let (level, message, check, wiki_url) = (wire.level, wire.message, wire.check, wire.wiki_url);
            Some(if et == "Health" {
                ArrEvent::Health { level, message, check, wiki_url }
            } else {
                ArrEvent::HealthRestored { level, message, check, wiki_url }
            })
        }
        "ApplicationUpdate" => {
            let wire: WireUpdate = typed(et, value)?;
            Some(ArrEvent::ApplicationUpdate {
                message: wire.message,
                previous_version: wire.previous_version,
                new_version: wire.new_version,
            })
        }
        _ => None,
    };
    Ok(Parsed { event_type, event })
}

/// Sonarr events Metarr knows the name of; others are answered `ignored`.
const SONARR_EVENTS: &[&str] = &[
    "Grab",
    "Download",
    "Rename",
    "SeriesAdd",
    "SeriesDelete",
    "EpisodeFileDelete",
    "Health",
    "HealthRestored",
    "ApplicationUpdate",
    "ManualInteractionRequired",
];

/// Parses a Sonarr body. Health, HealthRestored and ApplicationUpdate become the same events as
/// Radarr's (they notify users); `Grab` and `ManualInteractionRequired` are recorded as
/// [`ArrEvent::Sonarr`].
pub fn parse_sonarr(body: &[u8]) -> Result<Parsed, PayloadError> {
    let (event_type, value) = split(body)?;
    let et = event_type.as_str();
    let event = match et {
        "Test" => None,
        "Health" | "HealthRestored" | "ApplicationUpdate" => {
            // The same shape as Radarr's.
            let bytes = serde_json::to_vec(&value).map_err(|err| PayloadError::Json(err.to_string()))?;
            parse_radarr(&bytes)?.event
        }
        "Download" => {
            let wire: WireSonarrDownload = typed(et, value)?;
            let files: Vec<String> = match (wire.episode_file, wire.episode_files) {
                (_, Some(files)) => files.into_iter().filter_map(|file| file.path).collect(),
                (Some(file), None) => file.path.into_iter().collect(),
                (None, None) => {
                    return Err(PayloadError::Invalid {
                        event_type: event_type.clone(),
                        message: "missing field `episodeFile` (or `episodeFiles`)".into(),
                    });
                }
            };
            Some(ArrEvent::EpisodesImported {
                series: wire.series.essentials(),
                files: files.into_iter().filter(|path| !path.is_empty()).collect(),
                episodes: wire.episodes.len(),
                is_upgrade: wire.is_upgrade,
            })
        }
        "Rename" => {
            let wire: WireSonarrRename = typed(et, value)?;
            Some(ArrEvent::SeriesRename {
                series: wire.series.essentials(),
                files: wire
                    .renamed_episode_files
                    .into_iter()
                    .map(|file| RenamedFile { previous_path: file.previous_path, path: file.path })
                    .collect(),
            })
        }
        "EpisodeFileDelete" => {
            let wire: WireEpisodeFileDelete = typed(et, value)?;
            Some(ArrEvent::EpisodeFileDelete {
                series: wire.series.essentials(),
                file_path: wire.episode_file.and_then(|file| file.path).filter(|path| !path.is_empty()),
                reason: wire.delete_reason,
            })
        }
        "SeriesAdd" => {
            let wire: WireSeriesOnly = typed(et, value)?;
            Some(ArrEvent::SeriesAdd { series: wire.series.essentials() })
        }
        "SeriesDelete" => {
            let wire: WireSeriesDelete = typed(et, value)?;
            Some(ArrEvent::SeriesDelete { series: wire.series.essentials(), deleted_files: wire.deleted_files })
        }
        known if SONARR_EVENTS.contains(&known) => {
            let wire: WireMaybeSeries = typed(et, value)?;
            Some(ArrEvent::Sonarr {
                event_type: event_type.clone(),
                series_title: wire.series.map(|series| series.title),
                summary: String::new(),
            })
        }
        _ => None,
    };
    Ok(Parsed { event_type, event })
}

/// True when Metarr knows this event type (so `event: None` means `Test`, not unknown).
pub fn is_known(source: Source, event_type: &str) -> bool {
    match source {
        Source::Radarr => matches!(
            event_type,
            "Test"
                | "Download"
                | "Rename"
                | "MovieFileDelete"
                | "MovieDelete"
                | "MovieAdded"
                | "Grab"
                | "ManualInteractionRequired"
                | "Health"
                | "HealthRestored"
                | "ApplicationUpdate"
        ),
        Source::Sonarr => event_type == "Test" || SONARR_EVENTS.contains(&event_type),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_reads_in_any_property_order_with_unknown_fields() {
        let body = br#"{"eventType":"Download","extra":{"x":[1,2]},"isUpgrade":true,
            "movieFile":{"path":"/m/A/a.mkv","unknown":1},"movie":{"folderPath":"/m/A","title":"A","year":2000}}"#;
        let parsed = parse_radarr(body).expect("parses");
        assert_eq!(parsed.event_type, "Download");
        let Some(ArrEvent::Download { movie, file_path, is_upgrade }) = parsed.event else { panic!("download") };
        assert_eq!(movie.folder_path.as_deref(), Some("/m/A"));
        assert_eq!(file_path.as_deref(), Some("/m/A/a.mkv"));
        assert!(is_upgrade);
    }

    #[test]
    fn deleted_files_changes_type_between_events() {
        let download =
            br#"{"eventType":"Download","movie":{"title":"A"},"movieFile":{},"deletedFiles":[{"path":"x"}]}"#;
        assert!(parse_radarr(download).is_ok());
        let delete = br#"{"eventType":"MovieDelete","movie":{"title":"A"},"deletedFiles":true}"#;
        assert!(matches!(
            parse_radarr(delete).expect("parses").event,
            Some(ArrEvent::MovieDelete { deleted_files: true, .. })
        ));
        let wrong = br#"{"eventType":"MovieDelete","movie":{"title":"A"},"deletedFiles":[]}"#;
        assert!(matches!(parse_radarr(wrong), Err(PayloadError::Invalid { .. })));
    }

    #[test]
    fn errors_name_the_problem() {
        let missing = parse_radarr(br#"{"eventType":"Download","movieFile":{}}"#).expect_err("no movie");
        assert!(missing.to_string().contains("missing field `movie`"), "{missing}");
        let wrong = parse_radarr(br#"{"eventType":"Download","movie":{"title":"A"},"movieFile":{},"isUpgrade":"yes"}"#)
            .expect_err("wrong type");
        assert!(wrong.to_string().contains("expected a boolean"), "{wrong}");
        assert_eq!(parse_radarr(b"{}"), Err(PayloadError::MissingEventType));
        assert_eq!(parse_radarr(b"[1]"), Err(PayloadError::NotAnObject));
        assert!(matches!(parse_radarr(b""), Err(PayloadError::Json(_))));
        let deep = "[".repeat(1000);
        let err = parse_radarr(deep.as_bytes()).expect_err("too deep");
        assert!(err.to_string().contains("recursion limit"), "{err}");
    }

    #[test]
    fn unknown_events_are_not_errors() {
        let parsed = parse_radarr(br#"{"eventType":"SomethingNew","whatever":1}"#).expect("parses");
        assert_eq!(parsed.event, None);
        assert!(!is_known(Source::Radarr, "SomethingNew"));
    }

    #[test]
    fn sonarr_download_has_two_shapes() {
        let per_file = br#"{"series":{"title":"S","path":"/tv/S","tvdbId":81189,"tmdbId":0,"type":"anime"},
            "episodes":[{"id":1}],"episodeFile":{"path":"/tv/S/e1.mkv"},"isUpgrade":true,"eventType":"Download"}"#;
        let Some(ArrEvent::EpisodesImported { series, files, episodes, is_upgrade }) =
            parse_sonarr(per_file).expect("parses").event
        else {
            panic!("episodes imported")
        };
        assert_eq!((files, episodes, is_upgrade), (vec!["/tv/S/e1.mkv".to_owned()], 1, true));
        assert_eq!((series.path.as_deref(), series.tvdb_id, series.tmdb_id), (Some("/tv/S"), Some(81189), None));
        assert_eq!(series.series_type.as_deref(), Some("anime"));
        let complete = br#"{"series":{"title":"S"},"episodes":[{"id":1},{"id":2}],
            "episodeFiles":[{"path":"a"},{"path":"b"},{"path":null}],"fileCount":2,"eventType":"Download"}"#;
        let Some(ArrEvent::EpisodesImported { files, episodes, .. }) = parse_sonarr(complete).expect("parses").event
        else {
            panic!("episodes imported")
        };
        assert_eq!((files, episodes), (vec!["a".to_owned(), "b".to_owned()], 2));
        let neither = br#"{"series":{"title":"S"},"episodes":[],"eventType":"Download"}"#;
        let err = parse_sonarr(neither).expect_err("no file");
        assert!(err.to_string().contains("episodeFile"), "{err}");
    }

    #[test]
    fn sonarr_series_events_are_read() {
        let rename = br#"{"series":{"title":"S","path":"/tv/S"},"renamedEpisodeFiles":[
            {"previousPath":"/tv/S/a.mkv","path":"/tv/S/b.mkv","previousRelativePath":"a.mkv"}],"eventType":"Rename"}"#;
        let Some(ArrEvent::SeriesRename { files, .. }) = parse_sonarr(rename).expect("parses").event else {
            panic!("rename")
        };
        assert_eq!(files, vec![RenamedFile { previous_path: "/tv/S/a.mkv".into(), path: "/tv/S/b.mkv".into() }]);
        let delete = br#"{"series":{"title":"S","path":"/tv/S"},"episodes":[],"episodeFile":{"path":"/tv/S/a.mkv"},
            "deleteReason":"upgrade","eventType":"EpisodeFileDelete"}"#;
        let Some(ArrEvent::EpisodeFileDelete { reason, file_path, .. }) = parse_sonarr(delete).expect("parses").event
        else {
            panic!("delete")
        };
        assert_eq!((reason.as_deref(), file_path.as_deref()), (Some("upgrade"), Some("/tv/S/a.mkv")));
        let gone = br#"{"series":{"title":"S","path":"/tv/S"},"deletedFiles":true,"eventType":"SeriesDelete"}"#;
        assert!(matches!(
            parse_sonarr(gone).expect("parses").event,
            Some(ArrEvent::SeriesDelete { deleted_files: true, .. })
        ));
        // A series event without a series is malformed, and says which field.
        let err = parse_sonarr(br#"{"eventType":"SeriesAdd"}"#).expect_err("no series");
        assert!(err.to_string().contains("series"), "{err}");
        let grab = br#"{"series":{"title":"S"},"eventType":"Grab"}"#;
        assert!(matches!(parse_sonarr(grab).expect("parses").event, Some(ArrEvent::Sonarr { .. })));
    }
}
