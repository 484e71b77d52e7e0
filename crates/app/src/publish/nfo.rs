//! The movie NFO Metarr publishes: the catalogue's values as a `MovieNfo`, laid over the NFO the
//! folder holds now, so that what Metarr does not model (other tools' elements, play counts,
//! artwork URLs) survives, and `metarr_nfo::write_movie` writes it back unchanged.
//!
//! It is the inverse of the scan's reading (`jobs::scan::nfo_fields`): reading the written NFO
//! gives the same fields back (tested below), so a publish never looks like a change to the
//! next scan.

use crate::catalogue::metadata::{Fields, MovieField};
use metarr_nfo::{JellyfinLocks, MovieNfo};

/// The NFO for `fields` (a movie's values, every field given or `None` for empty), over
/// `existing` (the folder's NFO as parsed, if any).
pub fn movie_nfo(fields: &Fields, existing: Option<&MovieNfo>) -> MovieNfo {
    let mut nfo = existing.cloned().unwrap_or_default();
    // The writer always writes `<movie>`; what was found outside the XML is not an NFO element.
    nfo.root = None;
    nfo.urls.clear();
    nfo.title = fields.title.clone();
    nfo.original_title = fields.original_title.clone();
    nfo.sort_title = fields.sort_title.clone();
    nfo.ratings = nfo_ratings(fields.ratings.as_deref().unwrap_or_default());
    nfo.user_rating = fields.user_rating;
    nfo.top250 = fields.top250;
    nfo.outline = fields.outline.clone();
    nfo.plot = fields.plot.clone();
    nfo.tagline = fields.tagline.clone();
    nfo.runtime = fields.runtime;
    nfo.mpaa = fields.certification.clone();
    nfo.unique_ids = unique_ids(fields);
    // The ids live in `<uniqueid>` now: a stale `<id>`, `<tmdbid>` or `<imdbid>` would contradict
    // an id the user corrected.
    nfo.legacy_id = None;
    nfo.tmdb_id_element = None;
    nfo.imdb_id_element = None;
    nfo.genres = fields.genres.clone().unwrap_or_default();
    nfo.countries = fields.countries.clone().unwrap_or_default();
    nfo.tags = fields.tags.clone().unwrap_or_default();
    nfo.studios = fields.studios.clone().unwrap_or_default();
    nfo.directors = fields.directors.clone().unwrap_or_default();
    nfo.credits = fields.writers.clone().unwrap_or_default();
    nfo.set = fields.set.as_ref().map(|set| {
        let mut attributes = Vec::new();
        if let Some(id) = set.tmdb_collection_id {
            attributes.push(metarr_nfo::Attribute { name: "tmdbcolid".to_owned(), value: id.to_string() });
        }
        metarr_nfo::MovieSet {
            name: Some(set.name.clone()),
            overview: set.overview.clone(),
            attributes,
            ..metarr_nfo::MovieSet::default()
        }
    });
    nfo.premiered = fields.premiered.clone();
    nfo.year = fields.year;
    nfo.trailer = fields.trailer.clone();
    nfo.actors = nfo_actors(fields.actors.as_deref().unwrap_or_default());
    nfo.date_added = fields.date_added.clone();
    nfo
}

/// The catalogue's ratings as NFO `<ratings>`.
pub fn nfo_ratings(ratings: &[crate::catalogue::metadata::Rating]) -> Vec<metarr_nfo::Rating> {
    ratings
        .iter()
        .map(|rating| metarr_nfo::Rating {
            // The scan reads a rating without a name as "default"; write it back without one.
            name: Some(rating.source.clone()).filter(|source| source != "default"),
            max: Some(rating.max),
            default: rating.default,
            value: Some(rating.value),
            votes: rating.votes,
            ..metarr_nfo::Rating::default()
        })
        .collect()
}

/// The catalogue's cast as NFO `<actor>`s.
pub fn nfo_actors(actors: &[crate::catalogue::metadata::Actor]) -> Vec<metarr_nfo::Actor> {
    actors
        .iter()
        .map(|actor| metarr_nfo::Actor {
            name: Some(actor.name.clone()),
            role: actor.role.clone(),
            order: actor.order,
            // Only a provider's URL: a path of this server means nothing to a player.
            thumb: actor.profile.clone().filter(|url| url.starts_with("https://") || url.starts_with("http://")),
            ..metarr_nfo::Actor::default()
        })
        .collect()
}

/// Kodi's `<fileinfo><streamdetails>` for a video's stream details, in Kodi's names (codecs in
/// lower case as ffprobe names them, languages as the container has them, `hdrtype` as Kodi
/// writes it). What the existing NFO had under `<fileinfo>` beyond that is kept.
pub fn file_info(
    details: &metarr_probe::StreamDetails,
    existing: Option<&metarr_nfo::FileInfo>,
) -> metarr_nfo::FileInfo {
    let mut info = existing.cloned().unwrap_or_default();
    let seconds = |secs: Option<f64>| secs.filter(|s| s.is_finite() && *s > 0.0).map(|s| s.round() as i64);
    info.stream_details.video = details
        .video
        .iter()
        .map(|video| metarr_nfo::VideoStream {
            codec: Some(video.codec.to_ascii_lowercase()),
            aspect: (video.height > 0)
                .then(|| (f64::from(video.width) / f64::from(video.height) * 1000.0).round() / 1000.0),
            width: Some(i64::from(video.width)),
            height: Some(i64::from(video.height)),
            duration_in_seconds: seconds(video.duration_secs.or(details.duration_secs)),
            stereo_mode: video.stereo_mode.clone(),
            hdr_type: video.hdr.kodi_hdr_type().map(str::to_owned),
            ..metarr_nfo::VideoStream::default()
        })
        .collect();
    info.stream_details.audio = details
        .audio
        .iter()
        .map(|audio| metarr_nfo::AudioStream {
            codec: Some(audio.codec.to_ascii_lowercase()),
            language: audio.language.clone(),
            channels: audio.channels.map(i64::from),
            ..metarr_nfo::AudioStream::default()
        })
        .collect();
    info.stream_details.subtitle = details
        .subtitles
        .iter()
        .map(|subtitle| metarr_nfo::SubtitleStream {
            language: subtitle.language.clone(),
            ..metarr_nfo::SubtitleStream::default()
        })
        .collect();
    info
}

/// The unique ids, with the movie's TMDB and IMDb ids among them (TMDB's the default when none
/// is marked).
fn unique_ids(fields: &Fields) -> Vec<metarr_nfo::UniqueId> {
    let mut ids: Vec<metarr_nfo::UniqueId> = fields
        .uniqueids
        .iter()
        .flatten()
        .map(|id| metarr_nfo::UniqueId { id_type: Some(id.kind.clone()), default: id.default, value: id.value.clone() })
        .collect();
    let mut add = |kind: &str, value: Option<String>| {
        let Some(value) = value else { return };
        match ids.iter_mut().find(|id| id.id_type.as_deref() == Some(kind)) {
            Some(id) => id.value = value,
            None => ids.push(metarr_nfo::UniqueId { id_type: Some(kind.to_owned()), default: false, value }),
        }
    };
    add("tmdb", fields.tmdb_id.map(|id| id.to_string()));
    add("imdb", fields.imdb_id.clone());
    if !ids.iter().any(|id| id.default)
        && let Some(first) = ids.iter_mut().find(|id| id.id_type.as_deref() == Some("tmdb"))
    {
        first.default = true;
    }
    ids
}

/// Jellyfin's names for the fields Metarr locks (`<lockedfields>`): Jellyfin locks fewer,
/// coarser fields, so a lock on any of the cast lists locks its `Cast`.
pub fn jellyfin_locks(locks: &[String]) -> JellyfinLocks {
    let mut names: Vec<&'static str> = Vec::new();
    for lock in locks {
        let name = match MovieField::parse(lock) {
            Some(MovieField::Title) => "Name",
            Some(MovieField::Plot) => "Overview",
            Some(MovieField::Runtime) => "Runtime",
            Some(MovieField::Certification) => "OfficialRating",
            Some(MovieField::Genres) => "Genres",
            Some(MovieField::Studios) => "Studios",
            Some(MovieField::Tags) => "Tags",
            Some(MovieField::Countries) => "ProductionLocations",
            Some(MovieField::Actors | MovieField::Directors | MovieField::Writers) => "Cast",
            _ => continue,
        };
        if !names.contains(&name) {
            names.push(name);
        }
    }
    JellyfinLocks { lock_data: false, locked_fields: names.into_iter().map(str::to_owned).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::metadata::{Actor, MovieSet, Rating, UniqueId};

    fn full() -> Fields {
        Fields {
            title: Some("Fight Club & Friends <uncut>".into()),
            original_title: Some("Fight Club".into()),
            sort_title: Some("Fight Club".into()),
            year: Some(1999),
            tmdb_id: Some(550),
            imdb_id: Some("tt0137523".into()),
            plot: Some("An insomniac office worker…\nSecond line.".into()),
            outline: Some("Outline".into()),
            tagline: Some("Mischief. Mayhem. Soap.".into()),
            runtime: Some(139),
            premiered: Some("1999-10-15".into()),
            genres: Some(vec!["Drama".into(), "Thriller".into()]),
            certification: Some("R".into()),
            certifications: None,
            ratings: Some(vec![
                Rating { source: "themoviedb".into(), value: 8.4, max: 10.0, votes: Some(27000), default: true },
                Rating { source: "metacritic".into(), value: 66.0, max: 100.0, votes: None, default: false },
            ]),
            user_rating: Some(9),
            top250: Some(10),
            uniqueids: Some(vec![
                UniqueId { kind: "tmdb".into(), value: "550".into(), default: true },
                UniqueId { kind: "imdb".into(), value: "tt0137523".into(), default: false },
                UniqueId { kind: "wikidata".into(), value: "Q190050".into(), default: false },
            ]),
            studios: Some(vec!["Fox 2000 Pictures".into()]),
            countries: Some(vec!["United States of America".into()]),
            tags: Some(vec!["dual identity".into()]),
            set: Some(MovieSet {
                name: "Fincher".into(),
                overview: Some("Films.".into()),
                tmdb_collection_id: Some(9),
            }),
            directors: Some(vec!["David Fincher".into()]),
            writers: Some(vec!["Jim Uhls".into()]),
            actors: Some(vec![Actor {
                name: "Brad Pitt".into(),
                role: Some("Tyler Durden".into()),
                order: Some(1),
                tmdb_id: None,
                profile: Some("https://image.tmdb.org/t/p/w185/a.jpg".into()),
            }]),
            trailer: Some("plugin://plugin.video.youtube/?action=play_video&videoid=qtRKdVHc-cE".into()),
            date_added: Some("2024-01-02 03:04:05".into()),
        }
    }

    #[test]
    fn reading_the_published_nfo_gives_the_fields_back() {
        let fields = full();
        let xml = metarr_nfo::write_movie(&movie_nfo(&fields, None), &metarr_nfo::WriteOptions::default());
        let parsed = metarr_nfo::parse(xml.as_bytes());
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let read = crate::jobs::scan::nfo_fields(&parsed.nfo);
        assert_eq!(read, fields, "{xml}");
    }

    #[test]
    fn other_tools_elements_stay_and_stale_ids_go() {
        let existing = metarr_nfo::parse(
            b"<movie><title>Old</title><id>tt0000001</id><tmdbid>1</tmdbid><playcount>3</playcount>\
              <custom from=\"tmm\">kept</custom><fanart><thumb>https://x/f.jpg</thumb></fanart></movie>",
        );
        let nfo = movie_nfo(&full(), Some(&existing.nfo));
        let xml = metarr_nfo::write_movie(&nfo, &metarr_nfo::WriteOptions::default());
        assert!(xml.contains("<custom from=\"tmm\">kept</custom>"), "{xml}");
        assert!(xml.contains("<playcount>3</playcount>") && xml.contains("https://x/f.jpg"), "{xml}");
        assert!(!xml.contains("tt0000001") && !xml.contains("<tmdbid>"), "{xml}");
        assert!(xml.contains("<title>Fight Club &amp; Friends &lt;uncut&gt;</title>"), "{xml}");
    }

    #[test]
    fn ids_reach_uniqueid_with_one_default() {
        let fields = Fields { tmdb_id: Some(603), imdb_id: Some("tt0133093".into()), ..Fields::default() };
        let ids = movie_nfo(&fields, None).unique_ids;
        assert_eq!(ids.len(), 2);
        assert_eq!(ids.iter().filter(|id| id.default).count(), 1);
        assert!(ids.iter().any(|id| id.id_type.as_deref() == Some("tmdb") && id.value == "603" && id.default));
    }

    #[test]
    fn a_server_path_never_becomes_an_actor_thumb() {
        let mut fields = full();
        if let Some(actor) = fields.actors.as_mut().and_then(|actors| actors.first_mut()) {
            actor.profile = Some("/config/metadata/brad.jpg".into());
        }
        assert_eq!(movie_nfo(&fields, None).actors[0].thumb, None);
    }

    #[test]
    fn stream_details_become_kodi_fileinfo() {
        let json = r#"{"container":"matroska","duration_secs":7200.4,"video":[{"index":0,"codec":"HEVC","width":3840,
            "height":2160,"hdr":"dolby_vision_hdr10","default":true}],"audio":[{"index":1,"codec":"truehd","channels":8,
            "language":"eng","default":true,"forced":false}],"subtitles":[{"index":2,"codec":"subrip","language":"fre",
            "forced":false,"default":false,"hearing_impaired":false}],"warnings":[]}"#;
        let details: metarr_probe::StreamDetails = serde_json::from_str(json).expect("stream details");
        let info = file_info(&details, None);
        let video = &info.stream_details.video[0];
        assert_eq!((video.codec.as_deref(), video.width, video.height), (Some("hevc"), Some(3840), Some(2160)));
        assert_eq!(video.hdr_type.as_deref(), Some("dolbyvision"));
        assert_eq!(video.duration_in_seconds, Some(7200));
        assert_eq!(video.aspect, Some(1.778));
        assert_eq!(info.stream_details.audio[0].channels, Some(8));
        assert_eq!(info.stream_details.subtitle[0].language.as_deref(), Some("fre"));
        let mut nfo = movie_nfo(&full(), None);
        nfo.file_info = Some(info);
        let xml = metarr_nfo::write_movie(&nfo, &metarr_nfo::WriteOptions::default());
        assert!(xml.contains("<hdrtype>dolbyvision</hdrtype>") && xml.contains("<codec>truehd</codec>"), "{xml}");
    }

    #[test]
    fn locks_map_to_jellyfin_names_once() {
        let locks: Vec<String> =
            ["title", "actors", "writers", "plot", "artwork.poster", "year"].map(String::from).into();
        assert_eq!(jellyfin_locks(&locks).locked_fields, ["Name", "Cast", "Overview"]);
    }
}
