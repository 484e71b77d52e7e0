//! Names that are not UTF-8 are refused with an error warning, never merged by a lossy
//! conversion (issue 11, defect 5).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use metarr_media::{ClassifyError, FileKind, IgnoreRules, ScanWarningKind, VideoRole, classify_folder, discover};

use crate::builder::{Library, MAIN, SMALL, sized_file};

fn name(bytes: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(bytes))
}

#[test]
fn movie_folders_whose_names_are_not_utf8_are_refused_not_merged() {
    // Issue 11: `Bad\xff (2005)` and `Bad\xfe (2005)` became one lossy path, neither was
    // catalogued, and the scan reported no error.
    let library = Library::new();
    let first = library.root.join(name(b"Bad\xff (2005)"));
    let second = library.root.join(name(b"Bad\xfe (2005)"));
    let nested = library.root.join(name(b"Caf\xe9")).join("Film (2000)");
    sized_file(&first.join("Bad (2005).mkv"), MAIN);
    sized_file(&second.join("Bad (2005).mkv"), MAIN);
    sized_file(&nested.join("Film (2000).mkv"), MAIN);
    library.file("Good (2005)/Good (2005).mkv", MAIN);

    let discovery = discover(&library.root, &IgnoreRules::default());
    assert_eq!(discovery.movie_folders, [library.path("Good (2005)")]);
    let warnings: Vec<(PathBuf, ScanWarningKind)> =
        discovery.warnings.iter().map(|warning| (warning.path.clone(), warning.kind.clone())).collect();
    let mut expected =
        vec![(first, ScanWarningKind::NotUtf8), (second, ScanWarningKind::NotUtf8), (nested, ScanWarningKind::NotUtf8)];
    expected.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(warnings, expected);
    assert!(discovery.warnings.iter().all(|warning| warning.is_error()));

    let messages: Vec<String> = discovery.warnings.iter().map(ToString::to_string).collect();
    assert!(messages.iter().all(|message| message.contains("rename it to UTF-8")), "{messages:?}");
    assert!(messages.iter().any(|message| message.contains("Bad\\xFF (2005)")), "{messages:?}");
    assert!(messages.iter().any(|message| message.contains("Bad\\xFE (2005)")), "{messages:?}");
    assert!(messages.iter().any(|message| message.contains("Caf\\xE9/Film (2000)")), "{messages:?}");
}

#[test]
fn files_and_subfolders_whose_names_are_not_utf8_are_refused() {
    let library = Library::new();
    let folder = library.path("Film (2000)");
    library.file("Film (2000)/Film (2000).mkv", MAIN);
    let text = folder.join(name(b"caf\xe9.txt"));
    let subtitle = folder.join(name(b"Film (2000)\xff.en.srt"));
    let extras = folder.join(name(b"Featurettes\xfe"));
    sized_file(&text, SMALL);
    sized_file(&subtitle, SMALL);
    sized_file(&extras.join("Making Of.mkv"), SMALL);

    let scan = classify_folder(&library.root, &folder, &IgnoreRules::default()).expect("classify folder");
    let kinds: Vec<(PathBuf, FileKind)> =
        scan.files.iter().map(|file| (file.relative.clone(), file.kind.clone())).collect();
    assert_eq!(
        kinds,
        [(PathBuf::from("Film (2000).mkv"), FileKind::Video { role: VideoRole::Main, disc: None, part: None })]
    );
    let warnings: Vec<(PathBuf, ScanWarningKind)> =
        scan.warnings.iter().map(|warning| (warning.path.clone(), warning.kind.clone())).collect();
    let mut expected = vec![
        (text, ScanWarningKind::NotUtf8),
        (subtitle, ScanWarningKind::NotUtf8),
        (extras, ScanWarningKind::NotUtf8),
    ];
    expected.sort_by(|left, right| left.0.cmp(&right.0));
    assert_eq!(warnings, expected);
    assert!(scan.warnings.iter().all(|warning| warning.is_error()));
}

#[test]
fn classifying_a_folder_whose_path_is_not_utf8_is_an_error() {
    let library = Library::new();
    let folder = library.root.join(name(b"Bad\xff (2005)"));
    sized_file(&folder.join("Bad (2005).mkv"), MAIN);

    let result = classify_folder(&library.root, &folder, &IgnoreRules::default());
    let Err(err @ ClassifyError::NotUtf8 { .. }) = result else { panic!("expected NotUtf8, got {result:?}") };
    let message = err.to_string();
    assert!(message.contains("Bad\\xFF (2005)") && message.contains("rename it to UTF-8"), "{message}");
}
