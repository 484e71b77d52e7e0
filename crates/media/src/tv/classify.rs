//! Phase 2 for a TV library: lists a series folder (or one season folder of it) and gives every
//! file its [`FileKind`] and [`TvScope`].

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::{SeriesFile, SeriesScan, TvScope};
use crate::classify::{
    ClassifyError, FileKind, Found, NfoRole, VideoRole, confined_folder, folder_image_ordinals, innermost_special,
    walk_movie_folder,
};
use crate::episode::{EpisodeNumber, SeasonArt, SeasonRef, parse_episode, season_artwork, season_of_folder};
use crate::identity::parse_folder_name;
use crate::ignore::IgnoreRules;
use crate::naming::{self, ArtworkKind, SpecialFolder, UnknownKind, VideoMarker};
use crate::subtitle::parse_subtitle_name;
use crate::walk::{LazyCanonical, Location};

/// Lists and classifies every file of the series folder `folder` inside `library_root`.
///
/// `absolute`: the series numbers its episodes absolutely (anime), so a bare number
/// (`Show - 012 - Title.mkv`) is an episode; see [`parse_episode`].
///
/// Layouts: Sonarr's `Series (Year)/Season 01/Series - S01E02 - Title.mkv`, any season folder
/// name [`season_of_folder`] knows (`Season 1`, `S01`, `Specials`, `Season 00`), episodes
/// directly in the series folder, and season packs in a folder of their own
/// (`Show.S02.1080p.BluRay-GRP/show.s02e01.mkv`).
///
/// Rules:
/// - An episode video is a video (the movie classifier's extensions) outside any special folder
///   (`Featurettes/`, `Sample/`, `backdrops/`…) whose stem [`parse_episode`] reads and that is
///   not named as a sample. It is `FileKind::Video { role: Main, .. }` with
///   [`TvScope::Episode`]; a multi-episode file (`S01E02-E03`) is one file with both numbers.
///   Its season is the name's (`S01E02` → 1), else its season folder's, else, for a daily show
///   outside season folders, the air date's year (as Sonarr and TheTVDB number daily shows'
///   seasons), else 1 (absolute numbers outside season folders). A video whose name holds no
///   episode number is [`UnknownKind::Video`] with [`TvScope::Other`]: its episode is not
///   guessed.
/// - Files named after an episode video in the same folder belong to it: `<stem>.nfo` (an
///   [`NfoRole::MainVideo`] NFO), `<stem>-thumb.jpg`, `<stem>.jpg` and `metadata/<stem>.jpg`
///   ([`ArtworkKind::Thumb`]), and `<stem>.en.srt` (also in `Subs/`). An NFO, or a `-thumb`
///   image, named like an episode without its video on disk still gets the episode, with
///   `video: None` (the NFO's role is then [`NfoRole::Other`]).
/// - In the series folder: `tvshow.nfo` ([`TvScope::Series`], [`NfoRole::Other`]); the series
///   artwork (`poster`, `folder`, `fanart`, `fanart1`, `banner`, `clearlogo`/`logo`,
///   `clearart`, `landscape`/`thumb`, `characterart`, `keyart`, `discart`…) and
///   `extrafanart/`; `theme.mp3`; `.actors/`; season images (`season01-poster.jpg`,
///   `season-specials-banner.jpg`, `season-all-poster.jpg`) with [`TvScope::Season`].
/// - In a season folder: `season.nfo`, and `poster`, `folder`, `fanart`, `banner`, `landscape`
///   (`thumb`) and `seasonNN-…` images, all for that season ([`TvScope::Season`]).
/// - Extras (videos in the movie classifier's extras folders or with its extras suffixes),
///   trailers and theme videos are series-wide ([`TvScope::Series`]) when their folder sits
///   directly in the series folder, since Jellyfin reads them as the series' extras; deeper
///   (a season folder's `Featurettes/`) they are [`TvScope::Other`]: no player attaches them to
///   a season.
/// - Samples follow the ignore rules as for movies ([`IgnoreRules::keep_samples`]); hidden files,
///   NAS metadata and the library's globs are skipped; anything else is an unknown file with
///   [`TvScope::Other`]. Disc structures are not recognised in TV libraries.
///
/// Symlinks and names are treated exactly as by [`classify_folder`](crate::classify_folder): a
/// link is followed only when it leads inside `folder`; others, and names that are not UTF-8,
/// are warnings.
///
/// # Errors
///
/// The folder is outside `library_root` (also through a symlink), its path is not UTF-8, or it
/// cannot be listed.
pub fn classify_series(
    library_root: &Path,
    folder: &Path,
    rules: &IgnoreRules,
    absolute: bool,
) -> Result<SeriesScan, ClassifyError> {
    scan(library_root, folder, folder, rules, absolute)
}

/// Lists and classifies the files of one season folder of a series, for scanning a long series
/// season by season or a Sonarr season pack as it lands.
///
/// The result has the shape of [`classify_series`]'s, and the same answer for every file it
/// lists (relative paths are still relative to `series_folder`), but holds only the files below
/// `season_folder`. Symlinks are followed only when they lead inside `season_folder`.
/// `season_folder` may be any folder inside the series folder (a season pack's own folder too);
/// the series folder itself gives the whole series.
///
/// # Errors
///
/// As [`classify_series`], and [`ClassifyError::OutsideSeries`] when `season_folder` is not
/// inside `series_folder` (by its path, or because it is a link leading elsewhere).
pub fn classify_season(
    library_root: &Path,
    series_folder: &Path,
    season_folder: &Path,
    rules: &IgnoreRules,
    absolute: bool,
) -> Result<SeriesScan, ClassifyError> {
    scan(library_root, series_folder, season_folder, rules, absolute)
}

/// Walks `walked` (the series folder or a folder inside it) and classifies its files as files of
/// the series in `series_folder`.
fn scan(
    library_root: &Path,
    series_folder: &Path,
    walked: &Path,
    rules: &IgnoreRules,
    absolute: bool,
) -> Result<SeriesScan, ClassifyError> {
    for folder in [series_folder, walked] {
        if folder.to_str().is_none() {
            return Err(ClassifyError::NotUtf8 { folder: folder.to_path_buf() });
        }
    }
    let outside_series =
        || ClassifyError::OutsideSeries { folder: walked.to_path_buf(), series: series_folder.to_path_buf() };
    let within_series = walked.strip_prefix(series_folder).map_err(|_| outside_series())?;
    // `strip_prefix` compares components only: `series/../elsewhere` would pass it.
    if !within_series.components().all(|component| matches!(component, Component::Normal(_))) {
        return Err(outside_series());
    }
    let library_root_canonical = LazyCanonical::new(library_root);
    let confined = confined_folder(library_root, &library_root_canonical, walked)?;
    if walked != series_folder
        && let Location::Canonical(real) = &confined.location
    {
        // A link on the way: the season must really lie in the series, as classify_series
        // would only have followed it there.
        let unreadable = |source| ClassifyError::Unreadable { path: series_folder.to_path_buf(), source };
        let real_series = std::fs::canonicalize(series_folder).map_err(unreadable)?;
        if !real.starts_with(real_series) {
            return Err(outside_series());
        }
    }
    let mut warnings = Vec::new();
    let (mut found, _) = walk_movie_folder(walked, confined, &library_root_canonical, rules, &mut warnings)?;
    if !within_series.as_os_str().is_empty() {
        let prefix: Vec<String> =
            within_series.components().map(|component| component.as_os_str().to_string_lossy().into_owned()).collect();
        for file in &mut found {
            file.relative = within_series.join(&file.relative);
            file.parents.splice(0..0, prefix.iter().cloned());
        }
    }
    let mut files = classify(series_folder, &found, absolute);
    files.sort_by(|left, right| left.relative.cmp(&right.relative));
    warnings.sort_by(|left, right| left.path.cmp(&right.path));
    let folder_name = series_folder.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    Ok(SeriesScan { folder: series_folder.to_path_buf(), files, identity: parse_folder_name(&folder_name), warnings })
}

/// An episode video, known before the files named after it are classified.
struct EpisodeVideo {
    stem: String,
    season: u32,
    number: EpisodeNumber,
    path: PathBuf,
}

/// The episode videos of a series, by the folder (its parents) they sit in.
#[derive(Default)]
struct Episodes<'a> {
    by_folder: HashMap<&'a [String], Vec<EpisodeVideo>>,
}

impl Episodes<'_> {
    /// The episode video in `folder` whose stem is `stem` (ignoring case).
    fn named(&self, folder: &[String], stem: &str) -> Option<&EpisodeVideo> {
        self.by_folder.get(folder)?.iter().find(|video| video.stem.eq_ignore_ascii_case(stem))
    }

    /// The episode video in `folder` whose stem starts `name` before a separator
    /// (`<stem>.en.forced`), the longest if several do.
    fn prefix_of(&self, folder: &[String], name: &str) -> Option<&EpisodeVideo> {
        let lower = name.to_lowercase();
        self.by_folder
            .get(folder)?
            .iter()
            .filter(|video| {
                let stem = video.stem.to_lowercase();
                lower == stem || lower.strip_prefix(&stem).is_some_and(|rest| rest.starts_with(['.', '_', '-', ' ']))
            })
            .max_by_key(|video| video.stem.len())
    }
}

/// The season a folder path says, from the innermost season folder in it.
fn folder_season(parents: &[String]) -> Option<u32> {
    parents.iter().rev().find_map(|parent| season_of_folder(parent))
}

/// The season of an episode: the name's, else the folder's, else the air date's year for a
/// daily show (Sonarr's and TheTVDB's seasons of daily shows), else 1.
fn episode_season(number: &EpisodeNumber, parents: &[String]) -> u32 {
    match (number, folder_season(parents)) {
        (EpisodeNumber::Season { season, .. }, _) => *season,
        (_, Some(season)) => season,
        (EpisodeNumber::Date { year, .. }, None) => u32::from(*year),
        (EpisodeNumber::Absolute { .. }, None) => 1,
    }
}

fn episode_scope(number: EpisodeNumber, parents: &[String], video: Option<PathBuf>) -> TvScope {
    TvScope::Episode { season: episode_season(&number, parents), number, video }
}

fn scope_of(video: &EpisodeVideo) -> TvScope {
    TvScope::Episode { season: video.season, number: video.number.clone(), video: Some(video.path.clone()) }
}

/// Whether a video, by its name and place, is an episode: the number it holds.
fn episode_video_number(file: &Found, absolute: bool) -> Option<EpisodeNumber> {
    let (stem, extension) = naming::split_name(&file.name);
    if !extension.is_some_and(|extension| naming::is_video_extension(&extension))
        || innermost_special(&file.parents).is_some()
        || naming::video_marker(stem) == Some(VideoMarker::Sample)
    {
        return None;
    }
    parse_episode(stem, absolute)
}

fn classify(series_folder: &Path, found: &[Found], absolute: bool) -> Vec<SeriesFile> {
    let mut episodes = Episodes::default();
    let mut numbers: Vec<Option<EpisodeNumber>> = Vec::with_capacity(found.len());
    for file in found {
        let number = episode_video_number(file, absolute);
        if let Some(number) = &number {
            episodes.by_folder.entry(file.parents.as_slice()).or_default().push(EpisodeVideo {
                stem: naming::split_name(&file.name).0.to_owned(),
                season: episode_season(number, &file.parents),
                number: number.clone(),
                path: series_folder.join(&file.relative),
            });
        }
        numbers.push(number);
    }
    let ordinals = folder_image_ordinals(found);
    found
        .iter()
        .zip(numbers)
        .map(|(file, number)| {
            let path = series_folder.join(&file.relative);
            let (kind, scope) = match number {
                Some(number) => (
                    FileKind::Video { role: VideoRole::Main, disc: None, part: None },
                    episode_scope(number, &file.parents, Some(path.clone())),
                ),
                None => classify_file(file, &episodes, &ordinals, absolute),
            };
            SeriesFile { path, relative: file.relative.clone(), stamp: file.stamp, kind, scope }
        })
        .collect()
}

/// Classifies a file that is not an episode video.
fn classify_file(
    file: &Found,
    episodes: &Episodes<'_>,
    ordinals: &HashMap<PathBuf, u32>,
    absolute: bool,
) -> (FileKind, TvScope) {
    let (stem, extension) = naming::split_name(&file.name);
    let Some(extension) = extension else { return (FileKind::Unknown(UnknownKind::Other), TvScope::Other) };
    let parents = file.parents.as_slice();
    let at_root = parents.is_empty();
    let special = innermost_special(parents);
    // Special folders directly in the series folder hold the series' own extras and art.
    let series_wide = |scope_if_root: TvScope| {
        let top_is_special = parents.first().is_some_and(|top| naming::special_folder(top).is_some());
        if top_is_special || at_root { scope_if_root } else { TvScope::Other }
    };
    let unknown = || (FileKind::Unknown(naming::guess_unknown(Some(&extension))), TvScope::Other);

    if naming::is_subtitle_extension(&extension) {
        return classify_subtitle(stem, parents, episodes, absolute);
    }
    if extension == "nfo" {
        return classify_nfo(stem, parents, special, episodes, absolute);
    }
    if naming::is_video_extension(&extension) {
        let marker = naming::video_marker(stem);
        return match (special, marker) {
            (Some(SpecialFolder::Samples), _) | (_, Some(VideoMarker::Sample)) => (FileKind::Sample, TvScope::Other),
            (Some(SpecialFolder::Trailers), _) | (None, Some(VideoMarker::Trailer)) => {
                (FileKind::Trailer, series_wide(TvScope::Series))
            }
            (Some(SpecialFolder::Extras(kind)), _) | (None, Some(VideoMarker::Extra(kind))) => {
                (FileKind::Extra(kind), series_wide(TvScope::Series))
            }
            (Some(SpecialFolder::ThemeVideos), _) => (FileKind::ThemeVideo, series_wide(TvScope::Series)),
            _ => (FileKind::Unknown(UnknownKind::Video), TvScope::Other),
        };
    }
    if naming::is_audio_extension(&extension) {
        let is_theme = (at_root && naming::is_theme_music(stem, &extension))
            || (special == Some(SpecialFolder::ThemeMusic) && parents.len() == 1);
        return if is_theme { (FileKind::ThemeMusic, TvScope::Series) } else { unknown() };
    }
    if naming::is_image_extension(&extension) {
        return classify_image(file, stem, special, episodes, ordinals, absolute).unwrap_or_else(unknown);
    }
    unknown()
}

fn classify_subtitle(stem: &str, parents: &[String], episodes: &Episodes<'_>, absolute: bool) -> (FileKind, TvScope) {
    // `Subs/<stem>.en.srt`, or a scene pack's `Subs/<stem>/2_English.srt`: the episode's video
    // sits beside the `Subs/` folder.
    let subs_at = parents.iter().rposition(|parent| naming::special_folder(parent) == Some(SpecialFolder::Subtitles));
    let owner = subs_at.map_or(parents, |at| &parents[..at]);
    let video = episodes.prefix_of(parents, stem).or_else(|| episodes.prefix_of(owner, stem)).or_else(|| {
        let inside_subs = subs_at.is_some_and(|at| at + 1 < parents.len());
        parents.last().filter(|_| inside_subs).and_then(|folder| episodes.named(owner, folder))
    });
    if let Some(video) = video {
        let info = parse_subtitle_name(stem, [video.stem.as_str()]);
        return (FileKind::Subtitle(info), scope_of(video));
    }
    let info = parse_subtitle_name(stem, []);
    let scope = match parse_episode(stem, absolute) {
        Some(number) => episode_scope(number, parents, None),
        None => TvScope::Other,
    };
    (FileKind::Subtitle(info), scope)
}

fn classify_nfo(
    stem: &str,
    parents: &[String],
    special: Option<SpecialFolder>,
    episodes: &Episodes<'_>,
    absolute: bool,
) -> (FileKind, TvScope) {
    let other = (FileKind::Nfo { role: NfoRole::Other }, TvScope::Other);
    if special.is_some() {
        return other;
    }
    if parents.is_empty() && stem.eq_ignore_ascii_case("tvshow") {
        return (FileKind::Nfo { role: NfoRole::Other }, TvScope::Series);
    }
    if stem.eq_ignore_ascii_case("season")
        && let Some(season) = parents.last().and_then(|folder| season_of_folder(folder))
    {
        return (FileKind::Nfo { role: NfoRole::Other }, TvScope::Season(SeasonRef::Number(season)));
    }
    if let Some(video) = episodes.named(parents, stem) {
        return (FileKind::Nfo { role: NfoRole::MainVideo }, scope_of(video));
    }
    match parse_episode(stem, absolute) {
        Some(number) => (FileKind::Nfo { role: NfoRole::Other }, episode_scope(number, parents, None)),
        None => other,
    }
}

/// An image's kind and scope; `None` for an unknown image.
fn classify_image(
    file: &Found,
    stem: &str,
    special: Option<SpecialFolder>,
    episodes: &Episodes<'_>,
    ordinals: &HashMap<PathBuf, u32>,
    absolute: bool,
) -> Option<(FileKind, TvScope)> {
    let parents = file.parents.as_slice();
    let art = |kind, index| FileKind::Artwork { kind, index, prefixed: false };
    let series_level = parents.len() == 1;
    match special {
        Some(SpecialFolder::ExtraFanart) if series_level => {
            let index = ordinals.get(&file.relative).copied();
            return Some((art(ArtworkKind::ExtraFanart, index), TvScope::Series));
        }
        Some(SpecialFolder::ExtraThumbs) if series_level => {
            let index = ordinals.get(&file.relative).copied();
            return Some((art(ArtworkKind::ExtraThumb, index), TvScope::Series));
        }
        Some(SpecialFolder::Actors) if series_level => {
            return Some((FileKind::ActorImage { actor: stem.replace('_', " ") }, TvScope::Series));
        }
        Some(_) => return None,
        None => {}
    }
    if parents.is_empty() {
        if let Some((season, season_art)) = season_artwork(stem) {
            return Some((art(season_art_kind(season_art), None), TvScope::Season(season)));
        }
        if let Some((kind, index)) = naming::artwork_stem(stem) {
            return Some((art(kind, index), TvScope::Series));
        }
    } else if let Some(folder_season) = parents.last().and_then(|folder| season_of_folder(folder)) {
        if let Some((season, season_art)) = season_artwork(stem) {
            return Some((art(season_art_kind(season_art), None), TvScope::Season(season)));
        }
        if let Some((kind, index)) = naming::artwork_stem(stem)
            && matches!(kind, ArtworkKind::Poster | ArtworkKind::Fanart | ArtworkKind::Banner | ArtworkKind::Landscape)
        {
            return Some((art(kind, index), TvScope::Season(SeasonRef::Number(folder_season))));
        }
    }
    // Jellyfin keeps episode images in `metadata/` beside the videos.
    let owner = match parents.split_last() {
        Some((last, above)) if last.eq_ignore_ascii_case("metadata") => above,
        _ => parents,
    };
    let thumb = |scope| Some((art(ArtworkKind::Thumb, None), scope));
    let without_thumb = strip_suffix_ignoring_case(stem, "-thumb");
    if let Some(video) = without_thumb.and_then(|base| episodes.named(owner, base)) {
        return thumb(scope_of(video));
    }
    if let Some(video) = episodes.named(owner, stem) {
        return thumb(scope_of(video));
    }
    if let Some(number) = without_thumb.and_then(|base| parse_episode(base, absolute)) {
        return thumb(episode_scope(number, owner, None));
    }
    None
}

fn season_art_kind(art: SeasonArt) -> ArtworkKind {
    match art {
        SeasonArt::Poster => ArtworkKind::Poster,
        SeasonArt::Fanart => ArtworkKind::Fanart,
        SeasonArt::Banner => ArtworkKind::Banner,
        SeasonArt::Landscape => ArtworkKind::Landscape,
    }
}

fn strip_suffix_ignoring_case<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let split = text.len().checked_sub(suffix.len())?;
    (text.is_char_boundary(split) && text[split..].eq_ignore_ascii_case(suffix)).then(|| &text[..split])
}
