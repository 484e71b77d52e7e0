//! Symlinks never lead a scan out of a movie folder or out of the library (issue 11, defect 2).

use std::path::{Path, PathBuf};

use metarr_media::{
    ArtworkKind, ClassifyError, FileKind, FolderScan, IgnoreRules, ScanWarningKind, UnknownKind, VideoRole,
    classify_folder, discover,
};

use crate::builder::{Library, MAIN, SMALL, sized_file};

fn classify(root: &Path, folder: &Path) -> FolderScan {
    classify_folder(root, folder, &IgnoreRules::default()).expect("classify folder")
}

fn kinds(scan: &FolderScan) -> Vec<(PathBuf, FileKind)> {
    scan.files.iter().map(|file| (file.relative.clone(), file.kind.clone())).collect()
}

fn warnings(warnings: &[metarr_media::ScanWarning]) -> Vec<(PathBuf, ScanWarningKind)> {
    warnings.iter().map(|warning| (warning.path.clone(), warning.kind.clone())).collect()
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).expect("canonical path")
}

fn main_video(relative: &str) -> (PathBuf, FileKind) {
    (PathBuf::from(relative), FileKind::Video { role: VideoRole::Main, disc: None, part: None })
}

#[test]
fn a_link_to_the_parent_folder_does_not_pull_in_another_film() {
    // Issue 11: `Loop (2006)/up -> ..` gave Loop the title, year and NFO of `Big (2002)` and
    // listed Big's files under `Loop (2006)/up/Big (2002)/`.
    let library = Library::new();
    library
        .file("Big (2002)/Big (2002).mkv", MAIN)
        .files(&["Big (2002)/Big (2002).nfo", "Big (2002)/poster.jpg", "Big (2002)/fanart.jpg"], SMALL)
        .file("Loop (2006)/Loop (2006).mkv", MAIN)
        .symlink("Loop (2006)/up", Path::new(".."));

    let scan = classify(&library.root, &library.path("Loop (2006)"));
    assert_eq!(kinds(&scan), [main_video("Loop (2006).mkv")]);
    assert_eq!((scan.identity.title.as_str(), scan.identity.year), ("Loop", Some(2006)));
    assert_eq!(
        warnings(&scan.warnings),
        [(library.path("Loop (2006)/up"), ScanWarningKind::SymlinkOutsideFolder { target: canonical(&library.root) })]
    );
    assert!(!scan.warnings[0].is_error());

    // Discovery leaves the link to classification, so it is reported once.
    let discovery = discover(&library.root, &IgnoreRules::default());
    assert_eq!(discovery.movie_folders, [library.path("Big (2002)"), library.path("Loop (2006)")]);
    assert_eq!(discovery.warnings, []);
}

#[test]
fn links_to_absolute_paths_outside_the_library_are_not_followed() {
    let library = Library::new();
    let poster = library.outside("art/poster.jpg");
    let bonus = library.outside("Bonus");
    sized_file(&poster, SMALL);
    sized_file(&bonus.join("Making Of.mkv"), SMALL);
    library
        .file("Film (2000)/Film (2000).mkv", MAIN)
        .symlink("Film (2000)/poster.jpg", &poster)
        .symlink("Film (2000)/extras", &bonus);

    let scan = classify(&library.root, &library.path("Film (2000)"));
    assert_eq!(kinds(&scan), [main_video("Film (2000).mkv")]);
    assert_eq!(
        warnings(&scan.warnings),
        [
            (library.path("Film (2000)/extras"), ScanWarningKind::SymlinkOutsideLibrary { target: canonical(&bonus) }),
            (
                library.path("Film (2000)/poster.jpg"),
                ScanWarningKind::SymlinkOutsideLibrary { target: canonical(&poster) }
            ),
        ]
    );
    assert!(scan.warnings[0].to_string().contains("outside the library"), "{}", scan.warnings[0]);
}

#[test]
fn links_to_a_sibling_movie_folder_are_not_followed() {
    let library = Library::new();
    library
        .file("Film (2000)/Film (2000).mkv", MAIN)
        // Larger than Film's own video: followed, it would have become Film's main video.
        .file("Other (2001)/Other (2001).mkv", MAIN * 2)
        .symlink("Film (2000)/Other (2001).mkv", Path::new("../Other (2001)/Other (2001).mkv"))
        .symlink("Film (2000)/Other", Path::new("../Other (2001)"));

    let scan = classify(&library.root, &library.path("Film (2000)"));
    assert_eq!(kinds(&scan), [main_video("Film (2000).mkv")]);
    let other = canonical(&library.path("Other (2001)"));
    assert_eq!(
        warnings(&scan.warnings),
        [
            (library.path("Film (2000)/Other"), ScanWarningKind::SymlinkOutsideFolder { target: other.clone() }),
            (
                library.path("Film (2000)/Other (2001).mkv"),
                ScanWarningKind::SymlinkOutsideFolder { target: other.join("Other (2001).mkv") }
            ),
        ]
    );
}

#[test]
fn discovery_does_not_follow_links_out_of_the_library() {
    let library = Library::new();
    let linked = library.outside("Linked (2001)");
    let loose_video = library.outside("loose.mkv");
    sized_file(&linked.join("Linked (2001).mkv"), MAIN);
    sized_file(&loose_video, MAIN);
    library
        .file("Real (2002)/Real (2002).mkv", MAIN)
        .symlink("Linked (2001)", &linked)
        // A folder whose only video is a link out of the library holds no film of its own.
        .symlink("Loose (2003)/Loose (2003).mkv", &loose_video);

    let discovery = discover(&library.root, &IgnoreRules::default());
    assert_eq!(discovery.movie_folders, [library.path("Real (2002)")]);
    assert_eq!(
        warnings(&discovery.warnings),
        [
            (library.path("Linked (2001)"), ScanWarningKind::SymlinkOutsideLibrary { target: canonical(&linked) }),
            (
                library.path("Loose (2003)/Loose (2003).mkv"),
                ScanWarningKind::SymlinkOutsideLibrary { target: canonical(&loose_video) }
            ),
        ]
    );
}

#[test]
fn a_link_loop_through_the_library_root_is_not_walked() {
    let library = Library::new();
    // The folder holding both the library and `outside/`: walking it would loop back into the
    // library and also find the film outside it.
    let above_root = library.root.parent().expect("root has a parent").to_path_buf();
    sized_file(&library.outside("Elsewhere (1999)/Elsewhere (1999).mkv"), MAIN);
    library.file("Collection/Film (2000)/Film (2000).mkv", MAIN).symlink("Collection/back", Path::new("../.."));

    let discovery = discover(&library.root, &IgnoreRules::default());
    assert_eq!(discovery.movie_folders, [library.path("Collection/Film (2000)")]);
    assert_eq!(
        warnings(&discovery.warnings),
        [(library.path("Collection/back"), ScanWarningKind::SymlinkOutsideLibrary { target: canonical(&above_root) })]
    );
}

#[test]
fn a_cycle_of_links_is_a_loop_warning() {
    let library = Library::new();
    library
        .file("Film (2000)/Film (2000).mkv", MAIN)
        .symlink("Film (2000)/a", Path::new("b"))
        .symlink("Film (2000)/b", Path::new("a"));

    let scan = classify(&library.root, &library.path("Film (2000)"));
    assert_eq!(kinds(&scan), [main_video("Film (2000).mkv")]);
    assert_eq!(
        warnings(&scan.warnings),
        [
            (library.path("Film (2000)/a"), ScanWarningKind::SymlinkLoop),
            (library.path("Film (2000)/b"), ScanWarningKind::SymlinkLoop),
        ]
    );
}

#[test]
fn links_inside_the_movie_folder_are_kept_also_under_a_symlinked_root() {
    // The library is reached as `<temp>/media -> <temp>/Movies`, as on a NAS
    // (`/mnt/media -> /volume1/media`); links are compared in canonical form.
    let library = Library::new();
    let media = library.root.parent().expect("root has a parent").join("media");
    std::os::unix::fs::symlink(&library.root, &media).expect("link the library root");
    let film = media.join("Film (2000)");
    library
        .file("Film (2000)/Film (2000).mkv", MAIN)
        .file("Film (2000)/artwork/p.jpg", SMALL)
        .symlink("Film (2000)/poster.jpg", Path::new("artwork/p.jpg"))
        .symlink("Film (2000)/fanart.jpg", &film.join("artwork/p.jpg"));

    let discovery = discover(&media, &IgnoreRules::default());
    assert_eq!(discovery.movie_folders, std::slice::from_ref(&film));
    assert_eq!(discovery.warnings, []);

    let scan = classify(&media, &film);
    assert_eq!(
        kinds(&scan),
        [
            main_video("Film (2000).mkv"),
            (PathBuf::from("artwork/p.jpg"), FileKind::Unknown(UnknownKind::Image)),
            (
                PathBuf::from("fanart.jpg"),
                FileKind::Artwork { kind: ArtworkKind::Fanart, index: None, prefixed: false }
            ),
            (
                PathBuf::from("poster.jpg"),
                FileKind::Artwork { kind: ArtworkKind::Poster, index: None, prefixed: false }
            ),
        ]
    );
    assert_eq!(scan.warnings, []);
}

#[test]
fn a_movie_folder_that_leads_out_of_the_library_is_refused() {
    let library = Library::new();
    let escape = library.outside("Escape (2000)");
    sized_file(&escape.join("Escape (2000).mkv"), MAIN);
    library
        .symlink("Escape (2000)", &escape)
        .file("Real/Film (2000)/Film (2000).mkv", MAIN)
        .symlink("Alias", Path::new("Real"));
    let rules = IgnoreRules::default();

    // A webhook may name a folder that discovery would never return.
    let linked = classify_folder(&library.root, &library.path("Escape (2000)"), &rules);
    assert!(matches!(linked, Err(ClassifyError::OutsideLibrary { .. })), "{linked:?}");
    let dotted = classify_folder(&library.root, &library.path("../outside/Escape (2000)"), &rules);
    assert!(matches!(dotted, Err(ClassifyError::OutsideLibrary { .. })), "{dotted:?}");

    // A path through a link that stays inside the library is still read.
    let aliased = classify(&library.root, &library.path("Alias/Film (2000)"));
    assert_eq!(kinds(&aliased), [main_video("Film (2000).mkv")]);
}
