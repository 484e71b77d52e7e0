//! TV libraries (issue 17): series discovery, and every file of a messy series library with its
//! exact kind and scope.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use metarr_media::{
    ArtworkKind, ClassifyError, EpisodeNumber, ExtraKind, FileKind, IgnoreRules, NfoRole, ScanWarningKind, SeasonRef,
    SeriesScan, SubtitleInfo, TvScope, UnknownKind, VideoRole, classify_season, classify_series, discover_series,
};

use crate::builder::{Library, MAIN, SMALL, sized_file};

const BREAKING_BAD: &str = "Breaking Bad (2008) {tvdb-81189}";

/// A TV library with one series per layout; each file's comment in the expectations says which
/// rule it exercises.
fn tv_library() -> Library {
    let library = Library::new();
    let bb = |relative: &str| format!("{BREAKING_BAD}/{relative}");
    let episode = "Season 01/Breaking Bad - S01E01 - Pilot";
    library
        .files(
            &[
                &bb(&format!("{episode}.mkv")),
                &bb("Season 01/Breaking Bad - S01E02-E03 - Cat's in the Bag.mkv"),
                &bb("Season 01/Breaking Bad - s01e04e05.mkv"),
                &bb("Season 01/Breaking Bad - 1x06 - Crazy Handful.mkv"),
                &bb("Season 00/Breaking Bad - S00E01 - Good Cop Bad Cop.mkv"),
                &bb("Breaking.Bad.S02.1080p.BluRay.x264-GRP/breaking.bad.s02e01.1080p.bluray.x264-grp.mkv"),
            ],
            MAIN,
        )
        .files(
            &[
                &bb("tvshow.nfo"),
                &bb("poster.jpg"),
                &bb("folder.jpg"),
                &bb("fanart.jpg"),
                &bb("fanart1.jpg"),
                &bb("banner.jpg"),
                &bb("clearlogo.png"),
                &bb("logo.png"),
                &bb("clearart.png"),
                &bb("landscape.jpg"),
                &bb("thumb.jpg"),
                &bb("characterart.png"),
                &bb("keyart.jpg"),
                &bb("discart.png"),
                &bb("season01-poster.jpg"),
                &bb("season-specials-poster.jpg"),
                &bb("season-all-poster.jpg"),
                &bb("season01-fanart.jpg"),
                &bb("season01-banner.jpg"),
                &bb("season01-landscape.jpg"),
                &bb("season02-thumb.jpg"),
                &bb("theme.mp3"),
                &bb(".actors/Bryan_Cranston.jpg"),
                &bb("extrafanart/b.jpg"),
                &bb("extrafanart/a.jpg"),
                &bb("Featurettes/Making Of.mkv"),
                &bb("notes.txt"),
                &bb(&format!("{episode}.nfo")),
                &bb(&format!("{episode}-thumb.jpg")),
                &bb(&format!("{episode}.en.srt")),
                &bb("Season 01/Breaking Bad - 1x06 - Crazy Handful.jpg"),
                &bb("Season 01/metadata/Breaking Bad - s01e04e05.jpg"),
                &bb("Season 01/Breaking Bad - S01E07 - A No-Rough-Stuff-Type Deal.nfo"),
                &bb("Season 01/season.nfo"),
                &bb("Season 01/poster.jpg"),
                &bb("Season 01/folder.jpg"),
                &bb("Season 01/fanart.jpg"),
                &bb("Season 01/banner.jpg"),
                &bb("Season 01/landscape.jpg"),
                &bb("Season 01/season01-poster.jpg"),
                &bb("Season 01/Featurettes/Season One Recap.mkv"),
                &bb("Season 01/Breaking Bad - Bonus.mkv"),
                &bb("Season 00/season.nfo"),
                &bb("Breaking.Bad.S02.1080p.BluRay.x264-GRP/breaking.bad.s02.1080p.bluray.x264-grp.nfo"),
                &bb("Breaking.Bad.S02.1080p.BluRay.x264-GRP/Subs/breaking.bad.s02e01.1080p.bluray.x264-grp/2_English.srt"),
                // Skipped: samples (by default), NAS metadata, hidden files.
                &bb(&format!("{episode}-sample.mkv")),
                &bb("Season 01/Sample/Breaking Bad - S01E01 - Pilot.mkv"),
                &bb("Breaking.Bad.S02.1080p.BluRay.x264-GRP/Sample/breaking.bad.s02e01.sample.mkv"),
                &bb("@eaDir/poster.jpg@SynoEAStream"),
                &bb("Season 01/.DS_Store"),
            ],
            SMALL,
        )
        // A series without season folders.
        .file("The Office (US) (2005)/The Office (US) - S01E01 - Pilot.mkv", MAIN)
        .file("The Office (US) (2005)/The Office (US) - S02E01 - The Dundies.mkv", MAIN)
        .files(
            &[
                "The Office (US) (2005)/The Office (US) - S01E01 - Pilot.nfo",
                "The Office (US) (2005)/The Office (US) - S01E01 - Pilot-thumb.png",
                "The Office (US) (2005)/The Office (US) - S01E01 - Pilot.en.forced.srt",
                "The Office (US) (2005)/The Office (US)-trailer.mkv",
            ],
            SMALL,
        )
        // Specials and a short season folder name; an air date inside a season folder.
        .file("Doctor Who (2005)/Specials/Doctor Who - S00E01 - Attack of the Graske.mkv", MAIN)
        .file("Doctor Who (2005)/Specials/Doctor Who - 2005-12-25 - The Christmas Invasion.mkv", MAIN)
        .file("Doctor Who (2005)/S01/Doctor Who - S01E01 - Rose.mkv", MAIN)
        .file("Doctor Who (2005)/Specials/season.nfo", SMALL)
        // A daily show.
        .file("The Daily Show (1996)/The Daily Show - 2024-03-01 - Guest.mkv", MAIN)
        .file("The Daily Show (1996)/Season 2023/The Daily Show - 2023-12-01 - Guest.mkv", MAIN)
        // Anime numbered absolutely.
        .file("One Piece (1999) [tvdbid-81797]/Season 01/One Piece - 012 - The Circus.mkv", MAIN)
        .file("One Piece (1999) [tvdbid-81797]/One Piece - 1071 - Gear 5.mkv", MAIN);
    library
}

fn scan(library: &Library, folder: &str, absolute: bool) -> SeriesScan {
    classify_series(&library.root, &library.path(folder), &IgnoreRules::default(), absolute).expect("classify series")
}

/// The scan as (relative path, kind, scope) triples, the form the expectations are written in.
fn answers(scan: &SeriesScan) -> Vec<(PathBuf, FileKind, TvScope)> {
    scan.files.iter().map(|file| (file.relative.clone(), file.kind.clone(), file.scope.clone())).collect()
}

fn sorted(mut triples: Vec<(PathBuf, FileKind, TvScope)>) -> Vec<(PathBuf, FileKind, TvScope)> {
    triples.sort_by(|left, right| left.0.cmp(&right.0));
    triples
}

fn warnings(warnings: &[metarr_media::ScanWarning]) -> Vec<(PathBuf, ScanWarningKind)> {
    warnings.iter().map(|warning| (warning.path.clone(), warning.kind.clone())).collect()
}

fn video() -> FileKind {
    FileKind::Video { role: VideoRole::Main, disc: None, part: None }
}

fn art(kind: ArtworkKind, index: Option<u32>) -> FileKind {
    FileKind::Artwork { kind, index, prefixed: false }
}

fn nfo(role: NfoRole) -> FileKind {
    FileKind::Nfo { role }
}

fn subtitle(code: &str, tag: &str, forced: bool) -> FileKind {
    FileKind::Subtitle(SubtitleInfo {
        language: Some(code.to_owned()),
        language_tag: Some(tag.to_owned()),
        forced,
        hearing_impaired: false,
        default: false,
    })
}

fn season(number: u32) -> TvScope {
    TvScope::Season(SeasonRef::Number(number))
}

fn numbered(season: u32, episodes: &[u32]) -> EpisodeNumber {
    EpisodeNumber::Season { season, episodes: episodes.to_vec() }
}

/// Expectations for one series folder: `episode(relative of the video)` gives the scope of
/// that video's files.
struct Expect {
    folder: PathBuf,
    triples: Vec<(PathBuf, FileKind, TvScope)>,
}

impl Expect {
    fn new(library: &Library, folder: &str) -> Self {
        Self { folder: library.path(folder), triples: Vec::new() }
    }

    fn file(&mut self, relative: &str, kind: FileKind, scope: TvScope) -> &mut Self {
        self.triples.push((PathBuf::from(relative), kind, scope));
        self
    }

    fn episode(&self, season: u32, number: EpisodeNumber, video: Option<&str>) -> TvScope {
        TvScope::Episode { season, number, video: video.map(|relative| self.folder.join(relative)) }
    }

    fn sorted(&self) -> Vec<(PathBuf, FileKind, TvScope)> {
        sorted(self.triples.clone())
    }
}

fn breaking_bad_expectations(library: &Library) -> Expect {
    let mut expect = Expect::new(library, BREAKING_BAD);
    let pilot = "Season 01/Breaking Bad - S01E01 - Pilot.mkv";
    let pilot_scope = expect.episode(1, numbered(1, &[1]), Some(pilot));
    let double = "Season 01/Breaking Bad - S01E02-E03 - Cat's in the Bag.mkv";
    let double_scope = expect.episode(1, numbered(1, &[2, 3]), Some(double));
    let listed = "Season 01/Breaking Bad - s01e04e05.mkv";
    let listed_scope = expect.episode(1, numbered(1, &[4, 5]), Some(listed));
    let cross = "Season 01/Breaking Bad - 1x06 - Crazy Handful.mkv";
    let cross_scope = expect.episode(1, numbered(1, &[6]), Some(cross));
    let special = "Season 00/Breaking Bad - S00E01 - Good Cop Bad Cop.mkv";
    let special_scope = expect.episode(0, numbered(0, &[1]), Some(special));
    let pack = "Breaking.Bad.S02.1080p.BluRay.x264-GRP/breaking.bad.s02e01.1080p.bluray.x264-grp.mkv";
    let pack_scope = expect.episode(2, numbered(2, &[1]), Some(pack));
    let missing_scope = expect.episode(1, numbered(1, &[7]), None);
    expect
        // Series level.
        .file("tvshow.nfo", nfo(NfoRole::Other), TvScope::Series)
        .file("poster.jpg", art(ArtworkKind::Poster, None), TvScope::Series)
        .file("folder.jpg", art(ArtworkKind::Poster, None), TvScope::Series)
        .file("fanart.jpg", art(ArtworkKind::Fanart, None), TvScope::Series)
        .file("fanart1.jpg", art(ArtworkKind::Fanart, Some(1)), TvScope::Series)
        .file("banner.jpg", art(ArtworkKind::Banner, None), TvScope::Series)
        .file("clearlogo.png", art(ArtworkKind::ClearLogo, None), TvScope::Series)
        .file("logo.png", art(ArtworkKind::ClearLogo, None), TvScope::Series)
        .file("clearart.png", art(ArtworkKind::ClearArt, None), TvScope::Series)
        .file("landscape.jpg", art(ArtworkKind::Landscape, None), TvScope::Series)
        .file("thumb.jpg", art(ArtworkKind::Landscape, None), TvScope::Series)
        .file("characterart.png", art(ArtworkKind::CharacterArt, None), TvScope::Series)
        .file("keyart.jpg", art(ArtworkKind::KeyArt, None), TvScope::Series)
        .file("discart.png", art(ArtworkKind::DiscArt, None), TvScope::Series)
        .file("theme.mp3", FileKind::ThemeMusic, TvScope::Series)
        .file(
            ".actors/Bryan_Cranston.jpg",
            FileKind::ActorImage { actor: "Bryan Cranston".to_owned() },
            TvScope::Series,
        )
        .file("extrafanart/a.jpg", art(ArtworkKind::ExtraFanart, Some(1)), TvScope::Series)
        .file("extrafanart/b.jpg", art(ArtworkKind::ExtraFanart, Some(2)), TvScope::Series)
        // Series-level extras belong to the series.
        .file("Featurettes/Making Of.mkv", FileKind::Extra(ExtraKind::Featurette), TvScope::Series)
        .file("notes.txt", FileKind::Unknown(UnknownKind::Text), TvScope::Other)
        // Season images in the series folder.
        .file("season01-poster.jpg", art(ArtworkKind::Poster, None), season(1))
        .file("season-specials-poster.jpg", art(ArtworkKind::Poster, None), season(0))
        .file("season-all-poster.jpg", art(ArtworkKind::Poster, None), TvScope::Season(SeasonRef::All))
        .file("season01-fanart.jpg", art(ArtworkKind::Fanart, None), season(1))
        .file("season01-banner.jpg", art(ArtworkKind::Banner, None), season(1))
        .file("season01-landscape.jpg", art(ArtworkKind::Landscape, None), season(1))
        .file("season02-thumb.jpg", art(ArtworkKind::Landscape, None), season(2))
        // Season 01: episodes and what is named after them.
        .file(pilot, video(), pilot_scope.clone())
        .file("Season 01/Breaking Bad - S01E01 - Pilot.nfo", nfo(NfoRole::MainVideo), pilot_scope.clone())
        .file("Season 01/Breaking Bad - S01E01 - Pilot-thumb.jpg", art(ArtworkKind::Thumb, None), pilot_scope.clone())
        .file("Season 01/Breaking Bad - S01E01 - Pilot.en.srt", subtitle("eng", "en", false), pilot_scope)
        .file(double, video(), double_scope)
        .file(listed, video(), listed_scope.clone())
        .file("Season 01/metadata/Breaking Bad - s01e04e05.jpg", art(ArtworkKind::Thumb, None), listed_scope)
        .file(cross, video(), cross_scope.clone())
        .file("Season 01/Breaking Bad - 1x06 - Crazy Handful.jpg", art(ArtworkKind::Thumb, None), cross_scope)
        // The NFO of an episode that is not on disk.
        .file("Season 01/Breaking Bad - S01E07 - A No-Rough-Stuff-Type Deal.nfo", nfo(NfoRole::Other), missing_scope)
        // Season 01's own files.
        .file("Season 01/season.nfo", nfo(NfoRole::Other), season(1))
        .file("Season 01/poster.jpg", art(ArtworkKind::Poster, None), season(1))
        .file("Season 01/folder.jpg", art(ArtworkKind::Poster, None), season(1))
        .file("Season 01/fanart.jpg", art(ArtworkKind::Fanart, None), season(1))
        .file("Season 01/banner.jpg", art(ArtworkKind::Banner, None), season(1))
        .file("Season 01/landscape.jpg", art(ArtworkKind::Landscape, None), season(1))
        .file("Season 01/season01-poster.jpg", art(ArtworkKind::Poster, None), season(1))
        // A season's extras attach to no season; a video without a number is not guessed.
        .file("Season 01/Featurettes/Season One Recap.mkv", FileKind::Extra(ExtraKind::Featurette), TvScope::Other)
        .file("Season 01/Breaking Bad - Bonus.mkv", FileKind::Unknown(UnknownKind::Video), TvScope::Other)
        // Specials.
        .file(special, video(), special_scope)
        .file("Season 00/season.nfo", nfo(NfoRole::Other), season(0))
        // A season pack in its release folder: the release NFO names no episode; the scene
        // subtitle folder is named after the episode.
        .file(pack, video(), pack_scope.clone())
        .file(
            "Breaking.Bad.S02.1080p.BluRay.x264-GRP/breaking.bad.s02.1080p.bluray.x264-grp.nfo",
            nfo(NfoRole::Other),
            TvScope::Other,
        )
        .file(
            "Breaking.Bad.S02.1080p.BluRay.x264-GRP/Subs/breaking.bad.s02e01.1080p.bluray.x264-grp/2_English.srt",
            subtitle("eng", "English", false),
            pack_scope,
        );
    expect
}

#[test]
fn every_file_of_a_messy_series_has_its_kind_and_scope() {
    let library = tv_library();
    let scan = scan(&library, BREAKING_BAD, false);
    assert_eq!(answers(&scan), breaking_bad_expectations(&library).sorted());
    assert_eq!(scan.folder, library.path(BREAKING_BAD));
    assert_eq!((scan.identity.title.as_str(), scan.identity.year), ("Breaking Bad", Some(2008)));
    assert_eq!(scan.identity.tvdb_id, Some(81189));
    assert_eq!(warnings(&scan.warnings), []);
    assert_eq!(scan.episode_videos().count(), 6);
    assert_eq!(scan.unknown_files().count(), 2);
    for file in &scan.files {
        assert_eq!(file.path, scan.folder.join(&file.relative));
        assert_eq!(file.stamp.size, if matches!(file.kind, FileKind::Video { .. }) { MAIN } else { SMALL });
    }
}

#[test]
fn kept_samples_are_listed_as_samples_of_no_episode() {
    let library = tv_library();
    let rules = IgnoreRules::default().keep_samples(true);
    let scan = classify_series(&library.root, &library.path(BREAKING_BAD), &rules, false).expect("classify series");
    let samples: Vec<(PathBuf, TvScope)> = scan
        .files
        .iter()
        .filter(|file| file.kind == FileKind::Sample)
        .map(|file| (file.relative.clone(), file.scope.clone()))
        .collect();
    assert_eq!(
        samples,
        [
            (
                PathBuf::from("Breaking.Bad.S02.1080p.BluRay.x264-GRP/Sample/breaking.bad.s02e01.sample.mkv"),
                TvScope::Other
            ),
            (PathBuf::from("Season 01/Breaking Bad - S01E01 - Pilot-sample.mkv"), TvScope::Other),
            (PathBuf::from("Season 01/Sample/Breaking Bad - S01E01 - Pilot.mkv"), TvScope::Other),
        ]
    );
}

#[test]
fn episodes_directly_in_the_series_folder() {
    let library = tv_library();
    let folder = "The Office (US) (2005)";
    let mut expect = Expect::new(&library, folder);
    let pilot = "The Office (US) - S01E01 - Pilot.mkv";
    let pilot_scope = expect.episode(1, numbered(1, &[1]), Some(pilot));
    let dundies = "The Office (US) - S02E01 - The Dundies.mkv";
    let dundies_scope = expect.episode(2, numbered(2, &[1]), Some(dundies));
    expect
        .file(pilot, video(), pilot_scope.clone())
        .file("The Office (US) - S01E01 - Pilot.nfo", nfo(NfoRole::MainVideo), pilot_scope.clone())
        .file("The Office (US) - S01E01 - Pilot-thumb.png", art(ArtworkKind::Thumb, None), pilot_scope.clone())
        .file("The Office (US) - S01E01 - Pilot.en.forced.srt", subtitle("eng", "en", true), pilot_scope)
        .file(dundies, video(), dundies_scope)
        .file("The Office (US)-trailer.mkv", FileKind::Trailer, TvScope::Series);
    let scan = scan(&library, folder, false);
    assert_eq!(answers(&scan), expect.sorted());
    assert_eq!((scan.identity.title.as_str(), scan.identity.year), ("The Office (US)", Some(2005)));
}

#[test]
fn specials_short_season_folders_and_air_dates_in_a_season_folder() {
    let library = tv_library();
    let folder = "Doctor Who (2005)";
    let mut expect = Expect::new(&library, folder);
    let graske = "Specials/Doctor Who - S00E01 - Attack of the Graske.mkv";
    let graske_scope = expect.episode(0, numbered(0, &[1]), Some(graske));
    // An air date in a season folder takes the folder's season.
    let christmas = "Specials/Doctor Who - 2005-12-25 - The Christmas Invasion.mkv";
    let christmas_scope = expect.episode(0, EpisodeNumber::Date { year: 2005, month: 12, day: 25 }, Some(christmas));
    let rose = "S01/Doctor Who - S01E01 - Rose.mkv";
    let rose_scope = expect.episode(1, numbered(1, &[1]), Some(rose));
    expect
        .file(graske, video(), graske_scope)
        .file(christmas, video(), christmas_scope)
        .file("Specials/season.nfo", nfo(NfoRole::Other), season(0))
        .file(rose, video(), rose_scope);
    assert_eq!(answers(&scan(&library, folder, false)), expect.sorted());
}

#[test]
fn a_daily_show_outside_season_folders_takes_the_year_for_its_season() {
    let library = tv_library();
    let folder = "The Daily Show (1996)";
    let mut expect = Expect::new(&library, folder);
    let loose = "The Daily Show - 2024-03-01 - Guest.mkv";
    let loose_scope = expect.episode(2024, EpisodeNumber::Date { year: 2024, month: 3, day: 1 }, Some(loose));
    let in_season = "Season 2023/The Daily Show - 2023-12-01 - Guest.mkv";
    let in_season_scope = expect.episode(2023, EpisodeNumber::Date { year: 2023, month: 12, day: 1 }, Some(in_season));
    expect.file(loose, video(), loose_scope).file(in_season, video(), in_season_scope);
    assert_eq!(answers(&scan(&library, folder, false)), expect.sorted());
}

#[test]
fn anime_numbers_are_episodes_only_for_an_absolutely_numbered_series() {
    let library = tv_library();
    let folder = "One Piece (1999) [tvdbid-81797]";
    let in_season = "Season 01/One Piece - 012 - The Circus.mkv";
    let loose = "One Piece - 1071 - Gear 5.mkv";

    let mut expect = Expect::new(&library, folder);
    let in_season_scope = expect.episode(1, EpisodeNumber::Absolute { numbers: vec![12] }, Some(in_season));
    let loose_scope = expect.episode(1, EpisodeNumber::Absolute { numbers: vec![1071] }, Some(loose));
    expect.file(in_season, video(), in_season_scope).file(loose, video(), loose_scope);
    let absolute = scan(&library, folder, true);
    assert_eq!(answers(&absolute), expect.sorted());
    assert_eq!(absolute.identity.tvdb_id, Some(81797));

    let mut expect = Expect::new(&library, folder);
    expect.file(in_season, FileKind::Unknown(UnknownKind::Video), TvScope::Other).file(
        loose,
        FileKind::Unknown(UnknownKind::Video),
        TvScope::Other,
    );
    assert_eq!(answers(&scan(&library, folder, false)), expect.sorted());
}

#[test]
fn links_out_of_the_series_and_names_that_are_not_utf8_are_warnings() {
    let library = tv_library();
    let outside = library.outside("Stolen - S01E09.mkv");
    sized_file(&outside, MAIN);
    let folder = library.path(BREAKING_BAD);
    let not_utf8 = folder.join("Season 01").join(Path::new(OsStr::from_bytes(b"Breaking Bad - S01E08 \xff.mkv")));
    sized_file(&not_utf8, MAIN);
    library
        .symlink(&format!("{BREAKING_BAD}/Season 01/Breaking Bad - S01E09.mkv"), &outside)
        // A link to another series of the library is out of this series' folder too.
        .symlink(&format!("{BREAKING_BAD}/Season 01/Office"), &library.path("The Office (US) (2005)"));

    let scan = scan(&library, BREAKING_BAD, false);
    assert_eq!(answers(&scan), breaking_bad_expectations(&library).sorted());
    let canonical = |path: &Path| std::fs::canonicalize(path).expect("canonical path");
    let mut expected = vec![
        (
            folder.join("Season 01/Breaking Bad - S01E09.mkv"),
            ScanWarningKind::SymlinkOutsideLibrary { target: canonical(&outside) },
        ),
        (
            folder.join("Season 01/Office"),
            ScanWarningKind::SymlinkOutsideFolder { target: canonical(&library.path("The Office (US) (2005)")) },
        ),
        (not_utf8, ScanWarningKind::NotUtf8),
    ];
    expected.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(warnings(&scan.warnings), expected);
    assert_eq!(scan.warnings.iter().filter(|warning| warning.is_error()).count(), 1);
}

#[test]
fn a_season_scan_gives_the_series_scan_answers_for_that_season_only() {
    let library = tv_library();
    let rules = IgnoreRules::default();
    let series = library.path(BREAKING_BAD);
    let whole = classify_series(&library.root, &series, &rules, false).expect("classify series");
    for season_folder in ["Season 01", "Season 00", "Breaking.Bad.S02.1080p.BluRay.x264-GRP"] {
        let season = classify_season(&library.root, &series, &series.join(season_folder), &rules, false)
            .expect("classify season");
        let expected: Vec<_> =
            whole.files.iter().filter(|file| file.relative.starts_with(season_folder)).cloned().collect();
        assert!(!expected.is_empty(), "{season_folder}");
        assert_eq!(season.files, expected, "{season_folder}");
        assert_eq!(season.folder, series);
        assert_eq!(season.identity, whole.identity);
    }
    // The series folder itself is the whole series.
    let all = classify_season(&library.root, &series, &series, &rules, false).expect("classify season");
    assert_eq!(all, whole);
}

#[test]
fn a_season_scan_refuses_a_folder_outside_its_series() {
    let library = tv_library();
    let rules = IgnoreRules::default();
    let series = library.path(BREAKING_BAD);
    let elsewhere = library.path("The Office (US) (2005)");
    let result = classify_season(&library.root, &series, &elsewhere, &rules, false);
    assert!(matches!(result, Err(ClassifyError::OutsideSeries { .. })), "{result:?}");
    let climbing = series.join("../The Office (US) (2005)");
    let result = classify_season(&library.root, &series, &climbing, &rules, false);
    assert!(matches!(result, Err(ClassifyError::OutsideSeries { .. })), "{result:?}");
    // A season folder that is a link to another series is refused too.
    library.symlink(&format!("{BREAKING_BAD}/Season 03"), Path::new("../The Office (US) (2005)"));
    let result = classify_season(&library.root, &series, &series.join("Season 03"), &rules, false);
    assert!(matches!(result, Err(ClassifyError::OutsideSeries { .. })), "{result:?}");
    let message = result.expect_err("refused").to_string();
    assert!(message.contains("is not inside the series folder"), "{message}");
}

#[test]
fn discovery_finds_the_series_folders_under_the_root() {
    let library = tv_library();
    let linked = library.outside("Linked Show");
    sized_file(&linked.join("Linked Show - S01E01.mkv"), MAIN);
    let not_utf8 = library.root.join(Path::new(OsStr::from_bytes(b"Caf\xe9 (2010)")));
    sized_file(&not_utf8.join("Season 01/Cafe - S01E01.mkv"), MAIN);
    library
        // Series by tvshow.nfo alone, by an empty season folder, by a video one folder down.
        .file("Announced (2026)/tvshow.nfo", SMALL)
        .dir("Upcoming (2026)/Season 01")
        .file("Loose Pack (2011)/Loose.Pack.S01.720p-GRP/loose.pack.s01e01.mkv", MAIN)
        // Not series: empty, art only, a video too deep, only a sample, a file at the root.
        .dir("Empty Folder")
        .file("Art Only (2000)/poster.jpg", SMALL)
        .file("Too Deep (2000)/a/b/too.deep.s01e01.mkv", MAIN)
        .file("Sample Only (2000)/show.s01e01-sample.mkv", SMALL)
        .file("Loose File - S01E01.mkv", MAIN)
        // Ignored by default rules and by the user's patterns.
        .file("@eaDir/Hidden Show (2000)/Season 01/hidden.s01e01.mkv", MAIN)
        .file(".Trash/Gone (2000)/gone.s01e01.mkv", MAIN)
        .file("Downloads/Partial (2020)/partial.s01e01.mkv", MAIN)
        .symlink("Linked Show", &linked)
        .symlink("Alias", &library.path(BREAKING_BAD));

    let rules = IgnoreRules::new(["Downloads"]).expect("valid pattern");
    let discovery = discover_series(&library.root, &rules);
    let expected: Vec<PathBuf> = [
        "Announced (2026)",
        BREAKING_BAD,
        "Doctor Who (2005)",
        "Loose Pack (2011)",
        "One Piece (1999) [tvdbid-81797]",
        "The Daily Show (1996)",
        "The Office (US) (2005)",
        "Upcoming (2026)",
    ]
    .iter()
    .map(|relative| library.path(relative))
    .collect();
    let mut sorted_expected = expected.clone();
    sorted_expected.sort();
    assert_eq!(discovery.series_folders, sorted_expected);
    let canonical = |path: &Path| std::fs::canonicalize(path).expect("canonical path");
    let mut expected_warnings = vec![
        (
            library.path("Alias"),
            ScanWarningKind::SymlinkWithinLibrary { target: canonical(&library.path(BREAKING_BAD)) },
        ),
        (library.path("Linked Show"), ScanWarningKind::SymlinkOutsideLibrary { target: canonical(&linked) }),
        (not_utf8, ScanWarningKind::NotUtf8),
    ];
    expected_warnings.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(warnings(&discovery.warnings), expected_warnings);
}

#[test]
fn discovery_of_a_missing_root_is_one_warning() {
    let library = Library::new();
    let missing = library.path("missing");
    let discovery = discover_series(&missing, &IgnoreRules::default());
    assert_eq!(discovery.series_folders, Vec::<PathBuf>::new());
    assert!(
        matches!(discovery.warnings.as_slice(), [warning] if warning.path == missing
            && matches!(warning.kind, ScanWarningKind::Unreadable { error_kind: std::io::ErrorKind::NotFound, .. })),
        "{:?}",
        discovery.warnings
    );
}
