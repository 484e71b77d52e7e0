//! Phase 1: which folders of the messy library are movie folders, and what is warned about.

use std::path::PathBuf;

use metarr_media::{IgnoreRules, ScanWarningKind, discover};

use crate::builder::{Library, MAIN, SMALL, USER_PATTERNS, messy_library};

fn rules() -> IgnoreRules {
    IgnoreRules::new(USER_PATTERNS).expect("valid user patterns")
}

#[test]
fn discover_finds_exactly_the_movie_folders_at_any_depth() {
    let library = messy_library();
    let discovery = discover(&library.root, &rules());
    let mut expected: Vec<PathBuf> = [
        "Blade Runner (1982)",
        "Collections/The Matrix Collection/The Matrix Reloaded (2003)",
        "Collections/The Matrix Collection/The Matrix Revolutions (2003)",
        "HDR Sample (2020)",
        "Heat (1995)",
        "Nested/Deeper/Deepest/Deep Movie (2011)",
        "The Matrix (1999) {tmdb-603}",
        "[REC] (2007)",
        "千と千尋の神隠し (2001)",
    ]
    .iter()
    .map(|relative| library.path(relative))
    .collect();
    expected.sort();
    assert_eq!(discovery.movie_folders, expected);

    let warnings: Vec<(PathBuf, ScanWarningKind)> =
        discovery.warnings.into_iter().map(|warning| (warning.path, warning.kind)).collect();
    assert_eq!(
        warnings,
        [
            (library.path("Broken Disc (2003)/BDMV"), ScanWarningKind::IncompleteDisc),
            (library.path("Extras"), ScanWarningKind::OrphanExtrasFolder),
        ]
    );
}

#[test]
fn discover_without_user_patterns_finds_the_user_ignored_folders() {
    let library = messy_library();
    let discovery = discover(&library.root, &IgnoreRules::default());
    assert!(discovery.movie_folders.contains(&library.path("Downloads/Partial (2020)")));
    assert!(discovery.movie_folders.contains(&library.path("Skipped (2019)")));
    assert_eq!(discovery.movie_folders.len(), 11);
}

#[test]
fn discover_treats_the_root_itself_as_a_movie_folder() {
    let library = Library::new();
    library.file("Movie (2000).mkv", MAIN).file("extras/Other (2001)/Other (2001).mkv", MAIN);
    let discovery = discover(&library.root, &IgnoreRules::default());
    assert_eq!(discovery.movie_folders, std::slice::from_ref(&library.root));
}

#[test]
fn kept_samples_still_do_not_make_a_movie_folder() {
    let library = Library::new();
    library.file("Sample Only (2000)/sample.mkv", SMALL).file("Sample Only (2000)/Sample/movie.mkv", SMALL);
    let discovery = discover(&library.root, &IgnoreRules::default().keep_samples(true));
    assert_eq!(discovery.movie_folders, Vec::<PathBuf>::new());
    assert!(discovery.warnings.iter().all(|warning| warning.kind == ScanWarningKind::OrphanExtrasFolder));
}

#[test]
fn folder_symlinks_are_never_followed_and_each_is_warned() {
    // Issue 11: discovery followed `Linked (2001)` out of the library and catalogued it.
    let library = Library::new();
    let elsewhere = library.outside("Linked (2001)");
    crate::builder::sized_file(&elsewhere.join("Linked (2001).mkv"), MAIN);
    library
        .file("Collection/Real (2002)/Real (2002).mkv", MAIN)
        .symlink("Linked (2001)", &elsewhere)
        .symlink("Collection/loop", &library.root)
        .symlink("Collection/Second Link", &library.path("Collection/Real (2002)"))
        .symlink("Dangling (2003)", &library.outside("missing"));
    let discovery = discover(&library.root, &IgnoreRules::default());
    assert_eq!(discovery.movie_folders, [library.path("Collection/Real (2002)")]);
    let canonical = |path: PathBuf| std::fs::canonicalize(path).expect("canonical path");
    let warnings: Vec<(PathBuf, ScanWarningKind)> =
        discovery.warnings.into_iter().map(|warning| (warning.path, warning.kind)).collect();
    assert_eq!(
        warnings,
        [
            (
                library.path("Collection/Second Link"),
                ScanWarningKind::SymlinkWithinLibrary { target: canonical(library.path("Collection/Real (2002)")) }
            ),
            (library.path("Collection/loop"), ScanWarningKind::SymlinkLoop),
            (library.path("Dangling (2003)"), ScanWarningKind::BrokenSymlink),
            (library.path("Linked (2001)"), ScanWarningKind::SymlinkOutsideLibrary { target: canonical(elsewhere) }),
        ]
    );
}

#[test]
fn unreadable_folders_are_warnings_not_errors() {
    use std::os::unix::fs::PermissionsExt;

    let library = Library::new();
    library.file("Locked/Hidden Film (2000)/Hidden Film (2000).mkv", MAIN).file("Open (2001)/Open (2001).mkv", MAIN);
    let locked = library.path("Locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("lock folder");
    let still_readable = std::fs::read_dir(&locked).is_ok();
    let discovery = discover(&library.root, &IgnoreRules::default());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("unlock folder");
    if still_readable {
        // Running as root: permissions do not stop reading, so there is nothing to observe.
        return;
    }
    assert_eq!(discovery.movie_folders, [library.path("Open (2001)")]);
    assert_eq!(discovery.warnings.len(), 1);
    assert_eq!(discovery.warnings[0].path, locked);
    assert!(matches!(discovery.warnings[0].kind, ScanWarningKind::Unreadable { .. }));
}

#[test]
fn a_missing_root_is_one_warning() {
    let library = Library::new();
    let discovery = discover(&library.path("nope"), &IgnoreRules::default());
    assert!(discovery.movie_folders.is_empty());
    assert_eq!(discovery.warnings.len(), 1);
    assert!(discovery.warnings[0].to_string().contains("nope"));
}
