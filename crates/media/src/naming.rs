//! Recognises files and folders by name alone: extensions, the Kodi/Jellyfin artwork names and
//! the sample, trailer and extras markers that keep a video from being a film's main video.
//!
//! Everything here is pure string work so that discovery and classification judge a name the
//! same way: a folder is a movie folder exactly when classification would find a main video.

/// The kind of extra a Jellyfin/Plex extras folder or `-suffix` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExtraKind {
    /// The generic `extras/` folder or `-extra` suffix.
    Extra,
    /// `featurettes/`, `-featurette`.
    Featurette,
    /// `behind the scenes/`, `-behindthescenes`.
    BehindTheScenes,
    /// `deleted scenes/`, `-deleted`, `-deletedscene`.
    DeletedScene,
    /// `interviews/`, `-interview`.
    Interview,
    /// `scenes/`, `-scene`.
    Scene,
    /// `shorts/`, `-short`.
    Short,
    /// `clips/`, `-clip`.
    Clip,
    /// `other/`, `-other`.
    Other,
}

/// An artwork slot, named after Kodi's art types (Jellyfin's names map onto the same slots).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArtworkKind {
    /// `poster`, `folder`, `cover`, or an image named exactly like the video.
    Poster,
    /// `fanart`, `backdrop`, `background`; numbered forms (`fanart1`) carry an index.
    Fanart,
    /// `banner`.
    Banner,
    /// `clearlogo`, `logo`.
    ClearLogo,
    /// `clearart`.
    ClearArt,
    /// `discart`, `disc`.
    DiscArt,
    /// `landscape`, `thumb`.
    Landscape,
    /// `keyart`.
    KeyArt,
    /// `characterart`: Kodi's character art, mostly for TV series.
    CharacterArt,
    /// An episode's own image (`<episode>-thumb.jpg`), Kodi's `thumb` art type for episodes.
    /// Only TV classification gives it: a movie folder's `thumb.jpg` is [`ArtworkKind::Landscape`].
    Thumb,
    /// Any image in `extrafanart/` (skins and add-ons use these; Kodi's scanner does not).
    ExtraFanart,
    /// Any image in the legacy `extrathumbs/` folder.
    ExtraThumb,
}

impl ExtraKind {
    /// A stable lowercase name for storage (`behind_the_scenes`); never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Extra => "extra",
            Self::Featurette => "featurette",
            Self::BehindTheScenes => "behind_the_scenes",
            Self::DeletedScene => "deleted_scene",
            Self::Interview => "interview",
            Self::Scene => "scene",
            Self::Short => "short",
            Self::Clip => "clip",
            Self::Other => "other",
        }
    }
}

impl ArtworkKind {
    /// Kodi's art type name (`poster`, `clearlogo`, `discart`…), stable for storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Poster => "poster",
            Self::Fanart => "fanart",
            Self::Banner => "banner",
            Self::ClearLogo => "clearlogo",
            Self::ClearArt => "clearart",
            Self::DiscArt => "discart",
            Self::Landscape => "landscape",
            Self::KeyArt => "keyart",
            Self::CharacterArt => "characterart",
            Self::Thumb => "thumb",
            Self::ExtraFanart => "extrafanart",
            Self::ExtraThumb => "extrathumb",
        }
    }
}

/// What a name says about a video that is not a candidate for the main video.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VideoMarker {
    Sample,
    Trailer,
    Extra(ExtraKind),
}

/// What a folder inside a movie folder holds, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SpecialFolder {
    Extras(ExtraKind),
    Trailers,
    Samples,
    /// Jellyfin's `backdrops/` holds theme videos.
    ThemeVideos,
    /// Jellyfin's `theme-music/`.
    ThemeMusic,
    ExtraFanart,
    ExtraThumbs,
    /// Kodi's `.actors/` actor images (the one hidden folder that is not skipped).
    Actors,
    /// `Subs/`, `Subtitles/`: subtitles are recognised anywhere, this only says nothing else is.
    Subtitles,
}

pub(crate) const VIDEO_EXTENSIONS: &[&str] = &[
    "mkv", "mp4", "m4v", "avi", "mov", "wmv", "mpg", "mpeg", "m2ts", "mts", "ts", "vob", "webm", "flv", "ogv", "ogm",
    "3gp", "divx", "xvid", "asf", "rm", "rmvb", "iso", "strm", "m2v", "wtv", "dvr-ms",
];
pub(crate) const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "png", "webp", "gif", "bmp", "tbn", "avif"];
pub(crate) const SUBTITLE_EXTENSIONS: &[&str] = &["srt", "ass", "ssa", "vtt", "sub", "idx", "sup"];
pub(crate) const AUDIO_EXTENSIONS: &[&str] =
    &["mp3", "flac", "m4a", "aac", "ogg", "oga", "opus", "wav", "wma", "ac3", "dts", "mka", "ape", "alac"];
const ARCHIVE_EXTENSIONS: &[&str] = &["rar", "zip", "7z", "tar", "gz", "tgz", "bz2", "xz", "zst", "par2", "cab"];
const TEXT_EXTENSIONS: &[&str] =
    &["txt", "md", "log", "sfv", "md5", "sha1", "sha256", "nzb", "xml", "json", "csv", "htm", "html", "rtf", "pdf"];
const LINK_EXTENSIONS: &[&str] = &["url", "lnk", "desktop", "webloc"];

/// A name split at its last dot: the stem and the lowercase extension.
///
/// A leading dot does not start an extension (`.hidden` has none), matching `Path::extension`.
pub(crate) fn split_name(name: &str) -> (&str, Option<String>) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && dot + 1 < name.len() => (&name[..dot], Some(name[dot + 1..].to_ascii_lowercase())),
        _ => (name, None),
    }
}

pub(crate) fn is_video_extension(extension: &str) -> bool {
    VIDEO_EXTENSIONS.contains(&extension)
}

pub(crate) fn is_image_extension(extension: &str) -> bool {
    IMAGE_EXTENSIONS.contains(&extension)
}

pub(crate) fn is_subtitle_extension(extension: &str) -> bool {
    SUBTITLE_EXTENSIONS.contains(&extension)
}

pub(crate) fn is_audio_extension(extension: &str) -> bool {
    AUDIO_EXTENSIONS.contains(&extension)
}

/// Whether the name is a video file, by extension.
pub(crate) fn is_video_name(name: &str) -> bool {
    split_name(name).1.is_some_and(|extension| is_video_extension(&extension))
}

/// A coarse guess of what an unrecognised file is, from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnknownKind {
    /// `.rar`, `.r00`, `.zip`, `.7z`, `.par2`…: usually download leftovers.
    Archive,
    /// `.txt`, `.log`, `.sfv`, `.nzb`, `.pdf`…
    Text,
    /// An image that is not a recognised artwork name.
    Image,
    /// A video that is neither a version, sample, trailer nor extra (in an unrecognised subfolder).
    Video,
    /// Audio other than theme music.
    Audio,
    /// Internet shortcuts and links: `.url`, `.lnk`, `.desktop`, `.webloc`.
    Link,
    /// Anything else, including executables and files without an extension.
    Other,
}

impl UnknownKind {
    /// A stable lowercase name for storage (`archive`, `text`…); never renamed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Archive => "archive",
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Link => "link",
            Self::Other => "other",
        }
    }
}

pub(crate) fn guess_unknown(extension: Option<&str>) -> UnknownKind {
    let Some(extension) = extension else { return UnknownKind::Other };
    let is_split_rar = extension.len() == 3
        && (extension.starts_with('r') || extension.starts_with('s'))
        && extension[1..].bytes().all(|byte| byte.is_ascii_digit());
    if ARCHIVE_EXTENSIONS.contains(&extension) || is_split_rar {
        UnknownKind::Archive
    } else if TEXT_EXTENSIONS.contains(&extension) || extension == "nfo" {
        UnknownKind::Text
    } else if is_image_extension(extension) {
        UnknownKind::Image
    } else if is_video_extension(extension) {
        UnknownKind::Video
    } else if is_audio_extension(extension) {
        UnknownKind::Audio
    } else if LINK_EXTENSIONS.contains(&extension) {
        UnknownKind::Link
    } else {
        UnknownKind::Other
    }
}

/// Separators that may stand before a marker suffix such as `-sample`.
fn is_separator(character: char) -> bool {
    matches!(character, '-' | '.' | '_' | ' ')
}

/// Whether `stem` (lowercase) is `word`, optionally followed by digits, or ends with one of
/// `separators` + `word` (+ digits).
fn has_marker(stem: &str, word: &str, separators: &[char]) -> bool {
    let without_digits = stem.trim_end_matches(|character: char| character.is_ascii_digit());
    if without_digits == word {
        return true;
    }
    let Some(before) = without_digits.strip_suffix(word) else { return false };
    before.chars().next_back().is_some_and(|character| separators.contains(&character))
}

/// Why a video's own name keeps it from being the main video, if it does.
///
/// Samples are recognised by a `sample` word at the start or end of the name (`sample.mkv`,
/// `grp-movie-sample.mkv`, `sample-grp.mkv`), not anywhere in it: Kodi's "anywhere" rule
/// excluded a real film named "HDR Sample (2020)" (docs/peers/kodi.md, "Default exclusions").
pub(crate) fn video_marker(stem: &str) -> Option<VideoMarker> {
    let stem = stem.to_lowercase();
    let all_separators = ['-', '.', '_', ' '];
    let sample_at_start = stem.strip_prefix("sample").is_some_and(|rest| rest.starts_with(is_separator));
    if has_marker(&stem, "sample", &all_separators) || sample_at_start {
        return Some(VideoMarker::Sample);
    }
    if has_marker(&stem, "trailer", &['-', '.', '_']) {
        return Some(VideoMarker::Trailer);
    }
    // Jellyfin's and Plex's suffixes; longest first so `-deletedscene` is not read as `-scene`.
    const EXTRA_SUFFIXES: &[(&str, ExtraKind)] = &[
        ("-behindthescenes", ExtraKind::BehindTheScenes),
        ("-deletedscene", ExtraKind::DeletedScene),
        ("-featurette", ExtraKind::Featurette),
        ("-interview", ExtraKind::Interview),
        ("-deleted", ExtraKind::DeletedScene),
        ("-scene", ExtraKind::Scene),
        ("-short", ExtraKind::Short),
        ("-other", ExtraKind::Other),
        ("-extra", ExtraKind::Extra),
        ("-clip", ExtraKind::Clip),
    ];
    EXTRA_SUFFIXES.iter().find(|(suffix, _)| stem.ends_with(suffix)).map(|(_, kind)| VideoMarker::Extra(*kind))
}

/// Recognises the special folders of a movie folder, ignoring case.
pub(crate) fn special_folder(name: &str) -> Option<SpecialFolder> {
    let lower = name.to_lowercase();
    let folder = match lower.as_str() {
        "extras" | "extra" => SpecialFolder::Extras(ExtraKind::Extra),
        "featurettes" => SpecialFolder::Extras(ExtraKind::Featurette),
        "behind the scenes" => SpecialFolder::Extras(ExtraKind::BehindTheScenes),
        "deleted scenes" => SpecialFolder::Extras(ExtraKind::DeletedScene),
        "interviews" => SpecialFolder::Extras(ExtraKind::Interview),
        "scenes" => SpecialFolder::Extras(ExtraKind::Scene),
        "shorts" => SpecialFolder::Extras(ExtraKind::Short),
        "clips" => SpecialFolder::Extras(ExtraKind::Clip),
        "other" => SpecialFolder::Extras(ExtraKind::Other),
        "trailers" | "trailer" => SpecialFolder::Trailers,
        "sample" | "samples" => SpecialFolder::Samples,
        "backdrops" => SpecialFolder::ThemeVideos,
        "theme-music" => SpecialFolder::ThemeMusic,
        "extrafanart" => SpecialFolder::ExtraFanart,
        "extrathumbs" => SpecialFolder::ExtraThumbs,
        ".actors" => SpecialFolder::Actors,
        "subs" | "subtitles" => SpecialFolder::Subtitles,
        _ => return None,
    };
    Some(folder)
}

/// Recognises a bare artwork stem (`poster`, `fanart2`), ignoring case.
///
/// Returns the slot and, for numbered fanart, the number in the name.
pub(crate) fn artwork_stem(stem: &str) -> Option<(ArtworkKind, Option<u32>)> {
    let lower = stem.to_lowercase();
    let kind = match lower.as_str() {
        "poster" | "folder" | "cover" => ArtworkKind::Poster,
        "fanart" | "backdrop" | "background" => ArtworkKind::Fanart,
        "banner" => ArtworkKind::Banner,
        "clearlogo" | "logo" => ArtworkKind::ClearLogo,
        "clearart" => ArtworkKind::ClearArt,
        "discart" | "disc" => ArtworkKind::DiscArt,
        "landscape" | "thumb" => ArtworkKind::Landscape,
        "keyart" => ArtworkKind::KeyArt,
        "characterart" => ArtworkKind::CharacterArt,
        _ => {
            // Numbered fanart: Kodi's `fanart1.jpg`, Jellyfin's `backdrop1.jpg`.
            let digits_start = lower.find(|character: char| character.is_ascii_digit())?;
            let (word, digits) = lower.split_at(digits_start);
            let number = digits.parse::<u32>().ok()?;
            return matches!(word, "fanart" | "backdrop" | "background" | "fanart-" | "backdrop-")
                .then_some((ArtworkKind::Fanart, Some(number)));
        }
    };
    Some((kind, None))
}

/// Recognises `<prefix>-<slot>` artwork where `prefix` is one of `prefixes` (compared ignoring
/// case). An image named exactly like a prefix is that video's poster (Jellyfin, and Kodi's
/// `<video>.tbn`).
pub(crate) fn prefixed_artwork_stem<'a>(
    stem: &str,
    prefixes: impl IntoIterator<Item = &'a str>,
) -> Option<(ArtworkKind, Option<u32>)> {
    let lower = stem.to_lowercase();
    for prefix in prefixes {
        let prefix = prefix.to_lowercase();
        if lower == prefix {
            return Some((ArtworkKind::Poster, None));
        }
        if let Some(slot) = lower.strip_prefix(&prefix).and_then(|rest| rest.strip_prefix('-'))
            && let Some(found) = artwork_stem(slot)
        {
            return Some(found);
        }
    }
    None
}

/// Kodi's and Jellyfin's part markers of a stacked film: `cd`, `dvd`, `part`, `pt`, `disc`,
/// `disk`, followed by a number.
const PART_WORDS: &[&str] = &["part", "disc", "disk", "dvd", "cd", "pt"];

/// Splits a stacked film's part marker off a stem: `Movie CD1` → (`Movie`, 1), `movie.part2` →
/// (`movie`, 2), `Movie - Disc 1` → (`Movie`, 1). The marker must stand after a separator.
pub(crate) fn stack_part(stem: &str) -> Option<(&str, u32)> {
    let without_digits = stem.trim_end_matches(|character: char| character.is_ascii_digit());
    let number: u32 = stem[without_digits.len()..].parse().ok()?;
    let before_number = without_digits.trim_end_matches(is_separator);
    let word = PART_WORDS.iter().find(|word| {
        before_number.len() >= word.len()
            && before_number.is_char_boundary(before_number.len() - word.len())
            && before_number[before_number.len() - word.len()..].eq_ignore_ascii_case(word)
    })?;
    let before_word = &before_number[..before_number.len() - word.len()];
    if !before_word.ends_with(is_separator) {
        return None;
    }
    let prefix = before_word.trim_end_matches(is_separator);
    (!prefix.is_empty()).then_some((prefix, number))
}

/// Theme music: `theme.mp3` and friends.
pub(crate) fn is_theme_music(stem: &str, extension: &str) -> bool {
    stem.eq_ignore_ascii_case("theme") && is_audio_extension(extension)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_name_keeps_hidden_names_whole() {
        assert_eq!(split_name(".hidden"), (".hidden", None));
        assert_eq!(split_name("a.b.MKV"), ("a.b", Some("mkv".to_owned())));
        assert_eq!(split_name("noext"), ("noext", None));
        assert_eq!(split_name("trailing."), ("trailing.", None));
    }

    #[test]
    fn markers_recognise_samples_trailers_and_extras() {
        assert_eq!(video_marker("sample"), Some(VideoMarker::Sample));
        assert_eq!(video_marker("Movie.2010.1080p-GRP-sample"), Some(VideoMarker::Sample));
        assert_eq!(video_marker("sample-grp-movie"), Some(VideoMarker::Sample));
        assert_eq!(video_marker("The Matrix (1999) sample"), Some(VideoMarker::Sample));
        assert_eq!(video_marker("HDR Sample (2020)"), None);
        assert_eq!(video_marker("Samples of Life (2001)"), None);
        assert_eq!(video_marker("The Matrix (1999)-trailer"), Some(VideoMarker::Trailer));
        assert_eq!(video_marker("movie.trailer"), Some(VideoMarker::Trailer));
        assert_eq!(video_marker("trailer"), Some(VideoMarker::Trailer));
        assert_eq!(video_marker("trailer2"), Some(VideoMarker::Trailer));
        assert_eq!(video_marker("The Trailer Park (2001)"), None);
        assert_eq!(video_marker("Making of-featurette"), Some(VideoMarker::Extra(ExtraKind::Featurette)));
        assert_eq!(video_marker("Cut-deletedscene"), Some(VideoMarker::Extra(ExtraKind::DeletedScene)));
        assert_eq!(video_marker("Cut-deleted"), Some(VideoMarker::Extra(ExtraKind::DeletedScene)));
        assert_eq!(video_marker("Opening-scene"), Some(VideoMarker::Extra(ExtraKind::Scene)));
        assert_eq!(video_marker("Crew-behindthescenes"), Some(VideoMarker::Extra(ExtraKind::BehindTheScenes)));
        assert_eq!(video_marker("The Matrix (1999)"), None);
    }

    #[test]
    fn artwork_names_map_to_slots() {
        assert_eq!(artwork_stem("Folder"), Some((ArtworkKind::Poster, None)));
        assert_eq!(artwork_stem("backdrop"), Some((ArtworkKind::Fanart, None)));
        assert_eq!(artwork_stem("fanart3"), Some((ArtworkKind::Fanart, Some(3))));
        assert_eq!(artwork_stem("backdrop1"), Some((ArtworkKind::Fanart, Some(1))));
        assert_eq!(artwork_stem("logo"), Some((ArtworkKind::ClearLogo, None)));
        assert_eq!(artwork_stem("disc"), Some((ArtworkKind::DiscArt, None)));
        assert_eq!(artwork_stem("thumb"), Some((ArtworkKind::Landscape, None)));
        assert_eq!(artwork_stem("CharacterArt"), Some((ArtworkKind::CharacterArt, None)));
        assert_eq!(artwork_stem("poster2"), None);
        assert_eq!(artwork_stem("screenshot"), None);
        assert_eq!(
            prefixed_artwork_stem("The Matrix (1999)-poster", ["The Matrix (1999)"]),
            Some((ArtworkKind::Poster, None))
        );
        assert_eq!(
            prefixed_artwork_stem("the matrix (1999)", ["The Matrix (1999)"]),
            Some((ArtworkKind::Poster, None))
        );
        assert_eq!(prefixed_artwork_stem("Other-poster", ["The Matrix (1999)"]), None);
    }

    #[test]
    fn stack_parts_need_a_separated_marker_and_a_number() {
        assert_eq!(stack_part("Movie CD1"), Some(("Movie", 1)));
        assert_eq!(stack_part("movie.part2"), Some(("movie", 2)));
        assert_eq!(stack_part("Movie - Disc 1"), Some(("Movie", 1)));
        assert_eq!(stack_part("Movie_pt3"), Some(("Movie", 3)));
        assert_eq!(stack_part("Movie-dvd02"), Some(("Movie", 2)));
        assert_eq!(stack_part("Apart2"), None);
        assert_eq!(stack_part("Movie CD"), None);
        assert_eq!(stack_part("cd1"), None);
        assert_eq!(stack_part("千と千尋 cd1"), Some(("千と千尋", 1)));
    }

    #[test]
    fn unknown_files_get_a_coarse_guess() {
        assert_eq!(guess_unknown(Some("rar")), UnknownKind::Archive);
        assert_eq!(guess_unknown(Some("r01")), UnknownKind::Archive);
        assert_eq!(guess_unknown(Some("txt")), UnknownKind::Text);
        assert_eq!(guess_unknown(Some("url")), UnknownKind::Link);
        assert_eq!(guess_unknown(Some("jpg")), UnknownKind::Image);
        assert_eq!(guess_unknown(Some("exe")), UnknownKind::Other);
        assert_eq!(guess_unknown(None), UnknownKind::Other);
    }
}
