//! Phase 2: every file of the messy library's movie folders, with its exact kind.

use std::path::{Path, PathBuf};

use metarr_media::{
    ArtworkKind, ClassifyError, Disc, DiscKind, ExtraKind, FileKind, FileStamp, FolderScan, IgnoreRules, NfoRole,
    SubtitleInfo, UnknownKind, VideoRole, classify_folder,
};

use crate::builder::{Library, MAIN, SMALL, USER_PATTERNS, messy_library};

fn rules() -> IgnoreRules {
    IgnoreRules::new(USER_PATTERNS).expect("valid user patterns")
}

fn scan(library: &Library, folder: &str, rules: &IgnoreRules) -> FolderScan {
    classify_folder(&library.root, &library.path(folder), rules).expect("classify folder")
}

/// The scan as (relative path, kind) pairs, the form the expectations are written in.
fn kinds(scan: &FolderScan) -> Vec<(PathBuf, FileKind)> {
    scan.files.iter().map(|file| (file.relative.clone(), file.kind.clone())).collect()
}

/// Expectations sorted the way a scan sorts its files.
fn expected(pairs: Vec<(&str, FileKind)>) -> Vec<(PathBuf, FileKind)> {
    let mut pairs: Vec<(PathBuf, FileKind)> =
        pairs.into_iter().map(|(relative, kind)| (PathBuf::from(relative), kind)).collect();
    pairs.sort_by(|left, right| left.0.cmp(&right.0));
    pairs
}

fn video(role: VideoRole) -> FileKind {
    FileKind::Video { role, disc: None, part: None }
}

fn art(kind: ArtworkKind, index: Option<u32>, prefixed: bool) -> FileKind {
    FileKind::Artwork { kind, index, prefixed }
}

fn nfo(role: NfoRole) -> FileKind {
    FileKind::Nfo { role }
}

fn subtitle(language: Option<(&str, &str)>, forced: bool, hearing_impaired: bool) -> FileKind {
    FileKind::Subtitle(SubtitleInfo {
        language: language.map(|(code, _)| code.to_owned()),
        language_tag: language.map(|(_, tag)| tag.to_owned()),
        forced,
        hearing_impaired,
        default: false,
    })
}

fn unknown(kind: UnknownKind) -> FileKind {
    FileKind::Unknown(kind)
}

fn matrix_expectations() -> Vec<(&'static str, FileKind)> {
    vec![
        ("The Matrix (1999).mkv", video(VideoRole::Main)),
        ("The Matrix (1999).nfo", nfo(NfoRole::MainVideo)),
        ("movie.nfo", nfo(NfoRole::Movie)),
        ("The Matrix (1999)-poster.jpg", art(ArtworkKind::Poster, None, true)),
        ("The Matrix (1999)-clearlogo.png", art(ArtworkKind::ClearLogo, None, true)),
        ("folder.jpg", art(ArtworkKind::Poster, None, false)),
        ("fanart.jpg", art(ArtworkKind::Fanart, None, false)),
        ("fanart1.jpg", art(ArtworkKind::Fanart, Some(1), false)),
        ("backdrop2.jpg", art(ArtworkKind::Fanart, Some(2), false)),
        ("banner.jpg", art(ArtworkKind::Banner, None, false)),
        ("logo.png", art(ArtworkKind::ClearLogo, None, false)),
        ("clearart.png", art(ArtworkKind::ClearArt, None, false)),
        ("disc.png", art(ArtworkKind::DiscArt, None, false)),
        ("landscape.jpg", art(ArtworkKind::Landscape, None, false)),
        ("thumb.jpg", art(ArtworkKind::Landscape, None, false)),
        ("keyart.jpg", art(ArtworkKind::KeyArt, None, false)),
        ("extrafanart/a.jpg", art(ArtworkKind::ExtraFanart, Some(1), false)),
        ("extrafanart/b.jpg", art(ArtworkKind::ExtraFanart, Some(2), false)),
        (".actors/Keanu_Reeves.jpg", FileKind::ActorImage { actor: "Keanu Reeves".to_owned() }),
        ("The Matrix (1999).en.srt", subtitle(Some(("eng", "en")), false, false)),
        ("The Matrix (1999).en.forced.srt", subtitle(Some(("eng", "en")), true, false)),
        ("The Matrix (1999).English.SDH.srt", subtitle(Some(("eng", "English")), false, true)),
        ("The Matrix (1999).de.cc.ass", subtitle(Some(("ger", "de")), false, true)),
        ("The Matrix (1999).idx", subtitle(None, false, false)),
        ("Subs/2_French.sup", subtitle(Some(("fre", "French")), false, false)),
        ("The Matrix (1999)-trailer.mkv", FileKind::Trailer),
        ("trailers/Teaser.mp4", FileKind::Trailer),
        ("extras/Making Of.mkv", FileKind::Extra(ExtraKind::Extra)),
        ("Featurettes/Effects.mkv", FileKind::Extra(ExtraKind::Featurette)),
        ("Behind The Scenes/Crew.mkv", FileKind::Extra(ExtraKind::BehindTheScenes)),
        ("deleted scenes/Cut.mkv", FileKind::Extra(ExtraKind::DeletedScene)),
        ("Bullet Time-featurette.mkv", FileKind::Extra(ExtraKind::Featurette)),
        ("Lobby-deleted.mkv", FileKind::Extra(ExtraKind::DeletedScene)),
        ("theme.mp3", FileKind::ThemeMusic),
        ("backdrops/theme.mp4", FileKind::ThemeVideo),
        ("score.flac", unknown(UnknownKind::Audio)),
        ("screenshot.png", unknown(UnknownKind::Image)),
        ("notes.txt", unknown(UnknownKind::Text)),
        ("release.rar", unknown(UnknownKind::Archive)),
        ("release.r00", unknown(UnknownKind::Archive)),
        ("Website.url", unknown(UnknownKind::Link)),
        ("Proof/proof.jpg", unknown(UnknownKind::Image)),
        ("Proof/proof.mkv", unknown(UnknownKind::Video)),
        ("README", unknown(UnknownKind::Other)),
        ("Sample/screen.jpg", unknown(UnknownKind::Image)),
    ]
}

#[test]
fn every_file_of_a_dressed_movie_folder_is_classified() {
    let library = messy_library();
    let scan = scan(&library, "The Matrix (1999) {tmdb-603}", &rules());
    assert_eq!(kinds(&scan), expected(matrix_expectations()));
    assert!(scan.warnings.is_empty(), "{:?}", scan.warnings);

    let main = scan.main_video().expect("main video");
    assert_eq!(main.path, library.path("The Matrix (1999) {tmdb-603}/The Matrix (1999).mkv"));
    assert_eq!(main.stamp.size, MAIN);
    assert_eq!(main.stamp, FileStamp::read(&main.path).expect("stamp"));
    assert_eq!(scan.unknown_files().count(), 10);
    assert_eq!(scan.identity.title, "The Matrix");
    assert_eq!(scan.identity.year, Some(1999));
    assert_eq!(scan.identity.tmdb_id, Some(603));
}

#[test]
fn kept_samples_are_listed_as_samples() {
    let library = messy_library();
    let scan = scan(&library, "The Matrix (1999) {tmdb-603}", &rules().keep_samples(true));
    let mut expectations = matrix_expectations();
    expectations.push(("The Matrix (1999)-sample.mkv", FileKind::Sample));
    expectations.push(("Sample/matrix.mkv", FileKind::Sample));
    assert_eq!(kinds(&scan), expected(expectations));
}

#[test]
fn user_patterns_apply_relative_to_the_library_root() {
    let library = messy_library();
    // `{…}` and `[…]` are glob syntax, so a folder name holding them is matched with `*`.
    let patterns = ["The Matrix*/extras", "**/*.url", "notes.*"];
    let scan = scan(&library, "The Matrix (1999) {tmdb-603}", &IgnoreRules::new(patterns).expect("valid"));
    let mut expectations = matrix_expectations();
    expectations.retain(|(relative, _)| !["extras/Making Of.mkv", "Website.url", "notes.txt"].contains(relative));
    // Without the library's own `*.part` pattern the partial download is an unknown file.
    expectations.push(("Partial.part", unknown(UnknownKind::Other)));
    assert_eq!(kinds(&scan), expected(expectations));
}

#[test]
fn two_versions_keep_the_larger_as_main() {
    let library = messy_library();
    let scan = scan(&library, "Blade Runner (1982)", &rules());
    assert_eq!(
        kinds(&scan),
        expected(vec![
            ("Blade Runner (1982) - Final Cut.mkv", video(VideoRole::Main)),
            ("Blade Runner (1982) - Theatrical.mkv", video(VideoRole::Version)),
            ("Blade Runner (1982) - Final Cut.nfo", nfo(NfoRole::MainVideo)),
            ("Blade Runner (1982) - Theatrical.nfo", nfo(NfoRole::OtherVideo)),
            ("Blade Runner (1982) - Theatrical-poster.jpg", art(ArtworkKind::Poster, None, true)),
            ("Blade Runner (1982) - Theatrical.en.srt", subtitle(Some(("eng", "en")), false, false)),
        ])
    );
}

#[test]
fn a_blu_ray_structure_is_one_main_video() {
    let library = messy_library();
    let scan = scan(&library, "Heat (1995)", &rules());
    let disc = FileKind::Video {
        role: VideoRole::Main,
        disc: Some(Disc {
            kind: DiscKind::BluRay,
            entry_point: library.path("Heat (1995)/BDMV/index.bdmv"),
            n_files: 5,
        }),
        part: None,
    };
    assert_eq!(
        kinds(&scan),
        expected(vec![
            ("BDMV", disc),
            ("BDMV/index.nfo", nfo(NfoRole::MainVideo)),
            ("Heat (1995)-trailer.mkv", FileKind::Trailer),
            ("poster.jpg", art(ArtworkKind::Poster, None, false)),
        ])
    );
    let main = scan.main_video().expect("disc is main");
    assert_eq!(main.path, library.path("Heat (1995)/BDMV"));
    // Index, movie object, two streams and the certificate; the NFO is listed on its own.
    assert_eq!(main.stamp.size, 2 * MAIN + 3 * SMALL);
    assert_eq!(main.stamp.inode, FileStamp::read(&library.path("Heat (1995)/BDMV")).expect("stamp").inode);
}

#[test]
fn a_lower_case_dvd_structure_is_one_main_video() {
    let library = messy_library();
    let scan = scan(&library, "[REC] (2007)", &rules());
    let disc = FileKind::Video {
        role: VideoRole::Main,
        disc: Some(Disc {
            kind: DiscKind::Dvd,
            entry_point: library.path("[REC] (2007)/video_ts/video_ts.ifo"),
            n_files: 2,
        }),
        part: None,
    };
    assert_eq!(kinds(&scan), expected(vec![("video_ts", disc), ("movie.nfo", nfo(NfoRole::Movie))]));
    assert_eq!(scan.main_video().expect("main").stamp.size, MAIN + SMALL);
    assert_eq!(scan.identity.title, "[REC]");
    assert_eq!(scan.identity.year, Some(2007));
}

#[test]
fn a_larger_file_beats_a_smaller_disc_and_the_disc_becomes_a_version() {
    let library = Library::new();
    library
        .file("Film (2000)/Film (2000).mkv", 3 * MAIN)
        .file("Film (2000)/BDMV/index.bdmv", SMALL)
        .file("Film (2000)/BDMV/STREAM/00000.m2ts", MAIN);
    let scan = scan(&library, "Film (2000)", &IgnoreRules::default());
    let roles: Vec<(PathBuf, VideoRole)> = scan
        .files
        .iter()
        .filter_map(|file| match file.kind {
            FileKind::Video { role, .. } => Some((file.relative.clone(), role)),
            _ => None,
        })
        .collect();
    assert_eq!(
        roles,
        [(PathBuf::from("BDMV"), VideoRole::Version), (PathBuf::from("Film (2000).mkv"), VideoRole::Main)]
    );
}

#[test]
fn non_latin_and_scene_named_folders() {
    let library = messy_library();
    let spirited = scan(&library, "千と千尋の神隠し (2001)", &rules());
    assert_eq!(kinds(&spirited), expected(vec![("千と千尋の神隠し (2001).mkv", video(VideoRole::Main))]));
    assert_eq!(spirited.identity.title, "千と千尋の神隠し");

    let revolutions = scan(&library, "Collections/The Matrix Collection/The Matrix Revolutions (2003)", &rules());
    assert_eq!(
        revolutions.main_video().expect("main").relative,
        Path::new("The.Matrix.Revolutions.2003.1080p.BluRay.x264-GRP.mkv")
    );
    assert_eq!(revolutions.identity.title, "The Matrix Revolutions");

    let hdr_sample = scan(&library, "HDR Sample (2020)", &rules());
    assert_eq!(kinds(&hdr_sample), expected(vec![("HDR Sample (2020).mkv", video(VideoRole::Main))]));
}

#[test]
fn identity_falls_back_to_the_video_name_when_the_folder_has_no_year() {
    let library = Library::new();
    library.file("Some Movie/Some.Movie.2004.1080p.BluRay.x264-GRP.mkv", MAIN);
    let scan = scan(&library, "Some Movie", &IgnoreRules::default());
    assert_eq!(scan.identity.title, "Some Movie");
    assert_eq!(scan.identity.year, Some(2004));
}

#[test]
fn a_folder_without_a_main_video_has_none() {
    let library = messy_library();
    let scan = scan(&library, "Only NFO (2005)", &rules());
    assert!(scan.main_video().is_none());
    assert_eq!(kinds(&scan), expected(vec![("movie.nfo", nfo(NfoRole::Movie))]));
}

#[test]
fn unchanged_files_keep_their_stamps_and_changed_ones_do_not() {
    let library = messy_library();
    let folder = "Blade Runner (1982)";
    let before = scan(&library, folder, &rules());
    let again = scan(&library, folder, &rules());
    assert_eq!(before, again);

    // Grow one file and replace another by rename (as Radarr does on upgrade).
    std::fs::OpenOptions::new()
        .append(true)
        .open(library.path("Blade Runner (1982)/Blade Runner (1982) - Final Cut.nfo"))
        .and_then(|mut file| std::io::Write::write_all(&mut file, b"<movie/>"))
        .expect("append to nfo");
    let theatrical = library.path("Blade Runner (1982)/Blade Runner (1982) - Theatrical.mkv");
    let replacement = library.path("incoming.mkv");
    crate::builder::sized_file(&replacement, MAIN + 1);
    std::fs::rename(&replacement, &theatrical).expect("replace video");

    let after = scan(&library, folder, &rules());
    let changed: Vec<&Path> = before
        .files
        .iter()
        .zip(&after.files)
        .filter(|(old, new)| old.stamp != new.stamp)
        .map(|(old, _)| old.relative.as_path())
        .collect();
    assert_eq!(
        changed,
        [Path::new("Blade Runner (1982) - Final Cut.nfo"), Path::new("Blade Runner (1982) - Theatrical.mkv")]
    );
}

#[test]
fn folders_outside_the_library_or_missing_are_errors() {
    let library = Library::new();
    let outside = classify_folder(&library.root, &library.outside("Film"), &IgnoreRules::default());
    assert!(matches!(outside, Err(ClassifyError::OutsideLibrary { .. })), "{outside:?}");
    let missing = classify_folder(&library.root, &library.path("Gone (2000)"), &IgnoreRules::default());
    assert!(matches!(missing, Err(ClassifyError::Unreadable { .. })), "{missing:?}");
}

#[test]
fn symlink_loops_inside_a_movie_folder_are_warnings() {
    let library = Library::new();
    library.file("Film (2000)/Film (2000).mkv", MAIN).symlink("Film (2000)/extras/loop", &library.path("Film (2000)"));
    let scan = scan(&library, "Film (2000)", &IgnoreRules::default());
    assert_eq!(kinds(&scan), expected(vec![("Film (2000).mkv", video(VideoRole::Main))]));
    assert_eq!(scan.warnings.len(), 1);
    assert_eq!(scan.warnings[0].path, library.path("Film (2000)/extras/loop"));
}

#[test]
fn a_stacked_film_is_one_main_video_in_parts() {
    let library = Library::new();
    library
        .file("Old Film (1960)/Old Film CD1.avi", MAIN)
        .file("Old Film (1960)/Old Film CD2.avi", MAIN)
        .file("Old Film (1960)/Old Film (1960) - Remaster.mkv", MAIN + SMALL)
        .file("Old Film (1960)/Old Film.nfo", SMALL)
        .file("Old Film (1960)/Old Film CD1.en.srt", SMALL);
    let scan = scan(&library, "Old Film (1960)", &IgnoreRules::default());
    let part = |role, number| FileKind::Video { role, disc: None, part: Some(number) };
    assert_eq!(
        kinds(&scan),
        expected(vec![
            ("Old Film CD1.avi", part(VideoRole::Main, 1)),
            ("Old Film CD2.avi", part(VideoRole::Version, 2)),
            ("Old Film (1960) - Remaster.mkv", video(VideoRole::Version)),
            ("Old Film.nfo", nfo(NfoRole::MainVideo)),
            ("Old Film CD1.en.srt", subtitle(Some(("eng", "en")), false, false)),
        ])
    );
}
