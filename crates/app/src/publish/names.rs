//! The names Metarr publishes under (docs/publishing.md): the NFO after the video, artwork in
//! `folder` or `kodi` style, `extrafanart/` and `.actors/` as options. Pure: paths relative to
//! the movie folder, never leaving it.

use super::settings::{ArtworkStyle, PublishOptions};
use metarr_artwork::Slot;
use serde::Serialize;

/// What a published file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublishedKind {
    Nfo,
    Artwork,
    Actor,
}

impl PublishedKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PublishedKind::Nfo => "nfo",
            PublishedKind::Artwork => "artwork",
            PublishedKind::Actor => "actor",
        }
    }

    pub fn parse(name: &str) -> Option<PublishedKind> {
        [PublishedKind::Nfo, PublishedKind::Artwork, PublishedKind::Actor].into_iter().find(|k| k.as_str() == name)
    }
}

impl TryFrom<String> for PublishedKind {
    type Error = String;

    fn try_from(name: String) -> Result<PublishedKind, String> {
        PublishedKind::parse(&name).ok_or_else(|| format!("unknown published file kind {name:?}"))
    }
}

/// The base name files are prefixed with: the video's name without its extension, or none for
/// a folder without a video or with a disc structure (`BDMV/`, `VIDEO_TS/`), whose players
/// read `movie.nfo` and bare artwork names.
pub fn video_base(folder: &str, video: Option<&str>) -> Option<String> {
    let video = std::path::Path::new(video?);
    let relative = video.strip_prefix(folder).ok()?;
    let mut parts = relative.components();
    let first = parts.next()?;
    if parts.next().is_some() {
        // Inside a subfolder: a disc structure or a version folder, not a name to prefix.
        return None;
    }
    let name = std::path::Path::new(first.as_os_str());
    let ext = name.extension()?.to_str()?.to_ascii_lowercase();
    if matches!(ext.as_str(), "ifo" | "bdmv") {
        return None;
    }
    Some(name.file_stem()?.to_str()?.to_owned()).filter(|stem| !stem.is_empty())
}

/// The NFO's names: `<base>.nfo`, with `movie.nfo` as well when asked (or alone when there is
/// no base).
pub fn nfo_names(base: Option<&str>, options: &PublishOptions) -> Vec<String> {
    match base {
        Some(base) if options.movie_nfo => vec![format!("{base}.nfo"), "movie.nfo".to_owned()],
        Some(base) => vec![format!("{base}.nfo")],
        None => vec!["movie.nfo".to_owned()],
    }
}

/// The name of the `index`-th image (0 = first) of `slot`, with its cached extension.
pub fn artwork_name(base: Option<&str>, options: &PublishOptions, slot: Slot, index: usize, ext: &str) -> String {
    let ext = if ext == "jpeg" { "jpg" } else { ext };
    if slot == Slot::Fanart && index > 0 && options.extrafanart {
        return format!("extrafanart/fanart{index}.{ext}");
    }
    let stem = if index == 0 { slot.as_str().to_owned() } else { format!("{}{index}", slot.as_str()) };
    match (options.artwork_style, base) {
        (ArtworkStyle::Kodi, Some(base)) => format!("{base}-{stem}.{ext}"),
        _ => format!("{stem}.{ext}"),
    }
}

/// A season image's name in the series folder, as Kodi and Jellyfin read it:
/// `season01-poster.jpg`, `season-specials-poster.jpg` for season 0.
pub fn season_artwork_name(number: i64, slot: Slot, ext: &str) -> String {
    let ext = if ext == "jpeg" { "jpg" } else { ext };
    if number == 0 {
        format!("season-specials-{}.{ext}", slot.as_str())
    } else {
        format!("season{number:02}-{}.{ext}", slot.as_str())
    }
}

/// An episode's thumb beside its video: `<video stem>-thumb.jpg` (`video` relative to the
/// series folder).
pub fn episode_thumb_name(video: &str, ext: &str) -> Option<String> {
    let ext = if ext == "jpeg" { "jpg" } else { ext };
    let path = std::path::Path::new(video);
    let stem = path.file_stem()?.to_str()?;
    let name = format!("{stem}-thumb.{ext}");
    Some(match path.parent().and_then(|parent| parent.to_str()).filter(|parent| !parent.is_empty()) {
        Some(parent) => format!("{parent}/{name}"),
        None => name,
    })
}

/// An actor's headshot name, as Kodi looks for it: `.actors/First_Last.jpg`. Characters that
/// cannot be in a file name (or would leave the folder) become `_`.
pub fn actor_name(name: &str, ext: &str) -> Option<String> {
    let cleaned: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | ' ') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').chars().take(120).collect::<String>();
    if cleaned.chars().all(|c| c == '_') {
        return None;
    }
    Some(format!(".actors/{cleaned}.{ext}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn season_and_episode_artwork_names_are_kodis() {
        assert_eq!(season_artwork_name(1, Slot::Poster, "jpeg"), "season01-poster.jpg");
        assert_eq!(season_artwork_name(12, Slot::Banner, "jpg"), "season12-banner.jpg");
        assert_eq!(season_artwork_name(0, Slot::Poster, "png"), "season-specials-poster.png");
        assert_eq!(
            episode_thumb_name("Season 01/Show - S01E02 - Title.mkv", "jpg").as_deref(),
            Some("Season 01/Show - S01E02 - Title-thumb.jpg")
        );
        assert_eq!(episode_thumb_name("Show 1x02.avi", "png").as_deref(), Some("Show 1x02-thumb.png"));
        assert_eq!(episode_thumb_name("", "jpg"), None);
    }

    fn options(style: ArtworkStyle) -> PublishOptions {
        PublishOptions { artwork_style: style, ..PublishOptions::default() }
    }

    #[test]
    fn the_base_is_the_videos_stem_in_the_folder() {
        assert_eq!(
            video_base("/m/Alien (1979)", Some("/m/Alien (1979)/Alien.1979.1080p.mkv")).as_deref(),
            Some("Alien.1979.1080p")
        );
        assert_eq!(video_base("/m/A", None), None);
        assert_eq!(video_base("/m/A", Some("/m/A/BDMV/index.bdmv")), None);
        assert_eq!(video_base("/m/A", Some("/m/A/VIDEO_TS/VIDEO_TS.IFO")), None);
        assert_eq!(video_base("/m/A", Some("/m/B/film.mkv")), None);
    }

    #[test]
    fn names_in_each_style() {
        let folder = options(ArtworkStyle::Folder);
        let kodi = options(ArtworkStyle::Kodi);
        assert_eq!(artwork_name(Some("Film"), &folder, Slot::Poster, 0, "jpg"), "poster.jpg");
        assert_eq!(artwork_name(Some("Film"), &folder, Slot::Fanart, 2, "jpeg"), "fanart2.jpg");
        assert_eq!(artwork_name(Some("Film"), &folder, Slot::Clearlogo, 0, "png"), "clearlogo.png");
        assert_eq!(artwork_name(Some("Film"), &kodi, Slot::Poster, 0, "jpg"), "Film-poster.jpg");
        assert_eq!(artwork_name(Some("Film"), &kodi, Slot::Fanart, 1, "jpg"), "Film-fanart1.jpg");
        // Without a video, Kodi style has nothing to prefix with.
        assert_eq!(artwork_name(None, &kodi, Slot::Poster, 0, "jpg"), "poster.jpg");
        let extra = PublishOptions { extrafanart: true, ..folder };
        assert_eq!(artwork_name(Some("Film"), &extra, Slot::Fanart, 0, "jpg"), "fanart.jpg");
        assert_eq!(artwork_name(Some("Film"), &extra, Slot::Fanart, 1, "jpg"), "extrafanart/fanart1.jpg");
        assert_eq!(nfo_names(Some("Film"), &folder), ["Film.nfo"]);
        assert_eq!(nfo_names(None, &folder), ["movie.nfo"]);
        assert_eq!(nfo_names(Some("Film"), &PublishOptions { movie_nfo: true, ..folder }), ["Film.nfo", "movie.nfo"]);
    }

    #[test]
    fn hostile_actor_names_stay_in_the_actors_folder() {
        assert_eq!(actor_name("Brad Pitt", "jpg").as_deref(), Some(".actors/Brad_Pitt.jpg"));
        assert_eq!(actor_name("../../etc/passwd", "jpg").as_deref(), Some(".actors/_.._etc_passwd.jpg"));
        assert_eq!(actor_name("...", "jpg"), None);
        assert_eq!(actor_name("/", "jpg"), None);
        assert!(actor_name(&"x".repeat(1000), "jpg").is_some_and(|n| n.len() < 140));
    }
}
