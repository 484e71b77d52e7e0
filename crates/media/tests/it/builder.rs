//! A ripgrep-style `Dir` builder for media libraries in a temporary folder.

use std::fs;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// A library root in a temporary folder that is removed on drop.
pub struct Library {
    // Held so the folder lives as long as the test; `root` points inside it.
    _temp: TempDir,
    /// The library root (`<temp>/Movies`); `<temp>/outside` is available for symlink targets.
    pub root: PathBuf,
}

impl Library {
    pub fn new() -> Self {
        let temp = tempfile::tempdir().expect("create temporary folder");
        let root = temp.path().join("Movies");
        fs::create_dir(&root).expect("create library root");
        Self { _temp: temp, root }
    }

    /// The absolute path of `relative` under the root.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// A folder next to the root, outside the library.
    pub fn outside(&self, relative: &str) -> PathBuf {
        self.root.parent().expect("root has a parent").join("outside").join(relative)
    }

    /// A file of `size` zero bytes (sparse, so large "videos" cost nothing), with its folders.
    pub fn file(&self, relative: &str, size: u64) -> &Self {
        sized_file(&self.path(relative), size);
        self
    }

    /// Several files of the same size.
    pub fn files(&self, relatives: &[&str], size: u64) -> &Self {
        for relative in relatives {
            self.file(relative, size);
        }
        self
    }

    /// An empty folder.
    pub fn dir(&self, relative: &str) -> &Self {
        fs::create_dir_all(self.path(relative)).expect("create folder");
        self
    }

    /// A symlink at `relative` pointing to `target`.
    pub fn symlink(&self, relative: &str, target: &Path) -> &Self {
        let link = self.path(relative);
        fs::create_dir_all(link.parent().expect("link has a parent")).expect("create parent folders");
        std::os::unix::fs::symlink(target, link).expect("create symlink");
        self
    }
}

/// Creates a zero-filled file of `size` bytes at an absolute path.
pub fn sized_file(path: &Path, size: u64) {
    fs::create_dir_all(path.parent().expect("file has a parent")).expect("create parent folders");
    let file = fs::File::create(path).expect("create file");
    file.set_len(size).expect("set file length");
}

/// Sizes that decide which video is main; everything else is small.
pub const MAIN: u64 = 10_000;
pub const SMALL: u64 = 100;

/// The messy library every test in this binary reads. Each folder exercises a rule; the
/// comments say which.
pub fn messy_library() -> Library {
    let library = Library::new();
    let matrix = "The Matrix (1999) {tmdb-603}";
    let at = |relative: &str| format!("{matrix}/{relative}");
    library
        // A fully dressed movie folder: every kind of companion file.
        .file(&at("The Matrix (1999).mkv"), MAIN)
        .files(
            &[
                &at("The Matrix (1999).nfo"),
                &at("movie.nfo"),
                &at("The Matrix (1999)-poster.jpg"),
                &at("folder.jpg"),
                &at("fanart.jpg"),
                &at("fanart1.jpg"),
                &at("backdrop2.jpg"),
                &at("banner.jpg"),
                &at("logo.png"),
                &at("clearart.png"),
                &at("disc.png"),
                &at("landscape.jpg"),
                &at("thumb.jpg"),
                &at("keyart.jpg"),
                &at("The Matrix (1999)-clearlogo.png"),
                &at("extrafanart/b.jpg"),
                &at("extrafanart/a.jpg"),
                &at(".actors/Keanu_Reeves.jpg"),
                &at("The Matrix (1999).en.srt"),
                &at("The Matrix (1999).en.forced.srt"),
                &at("The Matrix (1999).English.SDH.srt"),
                &at("The Matrix (1999).de.cc.ass"),
                &at("The Matrix (1999).idx"),
                &at("Subs/2_French.sup"),
                &at("The Matrix (1999)-trailer.mkv"),
                &at("trailers/Teaser.mp4"),
                &at("extras/Making Of.mkv"),
                &at("Featurettes/Effects.mkv"),
                &at("Behind The Scenes/Crew.mkv"),
                &at("deleted scenes/Cut.mkv"),
                &at("Bullet Time-featurette.mkv"),
                &at("Lobby-deleted.mkv"),
                &at("theme.mp3"),
                &at("backdrops/theme.mp4"),
                &at("score.flac"),
                &at("screenshot.png"),
                &at("notes.txt"),
                &at("release.rar"),
                &at("release.r00"),
                &at("Website.url"),
                &at("Proof/proof.jpg"),
                &at("Proof/proof.mkv"),
                &at("README"),
                // Skipped: samples, NAS metadata, hidden files, download leftovers.
                &at("The Matrix (1999)-sample.mkv"),
                &at("Sample/matrix.mkv"),
                &at("RARBG.txt"),
                &at("RARBG_DO_NOT_MIRROR.exe"),
                &at("@eaDir/The Matrix (1999).mkv@SynoEAStream"),
                &at(".hidden.jpg"),
                &at("Thumbs.db"),
                &at(".DS_Store"),
                &at("Partial.part"),
            ],
            SMALL,
        )
        // A sample folder's screenshot is not a video, so it is kept as an unknown image.
        .file(&at("Sample/screen.jpg"), SMALL)
        // Two versions of one film: the larger is main; NFO and art follow each version's name.
        .file("Blade Runner (1982)/Blade Runner (1982) - Final Cut.mkv", MAIN + 2)
        .file("Blade Runner (1982)/Blade Runner (1982) - Theatrical.mkv", MAIN + 1)
        .files(
            &[
                "Blade Runner (1982)/Blade Runner (1982) - Final Cut.nfo",
                "Blade Runner (1982)/Blade Runner (1982) - Theatrical.nfo",
                "Blade Runner (1982)/Blade Runner (1982) - Theatrical-poster.jpg",
                "Blade Runner (1982)/Blade Runner (1982) - Theatrical.en.srt",
            ],
            SMALL,
        )
        // Nested collections: the collection folder has art but no video, so it is not a film.
        .file("Collections/The Matrix Collection/poster.jpg", SMALL)
        .file("Collections/The Matrix Collection/The Matrix Reloaded (2003)/The Matrix Reloaded (2003).mkv", MAIN)
        .file(
            "Collections/The Matrix Collection/The Matrix Revolutions (2003)/The.Matrix.Revolutions.2003.1080p.BluRay.x264-GRP.mkv",
            MAIN,
        )
        .file("Nested/Deeper/Deepest/Deep Movie (2011)/Deep Movie (2011).avi", MAIN)
        // A Blu-ray structure beside a trailer: the disc's total size makes it main.
        .file("Heat (1995)/BDMV/index.bdmv", SMALL)
        .file("Heat (1995)/BDMV/MovieObject.bdmv", SMALL)
        .file("Heat (1995)/BDMV/STREAM/00000.m2ts", MAIN)
        .file("Heat (1995)/BDMV/STREAM/00001.m2ts", MAIN)
        .file("Heat (1995)/BDMV/index.nfo", SMALL)
        .file("Heat (1995)/CERTIFICATE/id.bdmv", SMALL)
        .file("Heat (1995)/Heat (1995)-trailer.mkv", SMALL)
        .file("Heat (1995)/poster.jpg", SMALL)
        // A DVD structure with lower-case names, and a bracketed title.
        .file("[REC] (2007)/video_ts/video_ts.ifo", SMALL)
        .file("[REC] (2007)/video_ts/vts_01_1.vob", MAIN)
        .dir("[REC] (2007)/audio_ts")
        .file("[REC] (2007)/movie.nfo", SMALL)
        // Non-Latin title; a "sample" word inside a real title (Kodi wrongly skips this one).
        .file("千と千尋の神隠し (2001)/千と千尋の神隠し (2001).mkv", MAIN)
        .file("HDR Sample (2020)/HDR Sample (2020).mkv", MAIN)
        // Not films: only an NFO, only a trailer, only a sample, an empty folder, loose art.
        .file("Only NFO (2005)/movie.nfo", SMALL)
        .file("Trailer Only (2010)/trailer.mkv", SMALL)
        .file("Sample Only (2000)/sample.mkv", SMALL)
        .dir("Empty Folder")
        .dir("Empty Collection/Nothing Here")
        // A disc folder name without the disc's index file is not a disc.
        .file("Broken Disc (2003)/BDMV/STREAM/00000.m2ts", MAIN)
        // Skipped by default rules or by the user's patterns.
        .file("@eaDir/Thumbs (2000)/Thumbs (2000).mkv", MAIN)
        .file("#recycle/Old Movie (1990)/Old Movie (1990).mkv", MAIN)
        .file("$RECYCLE.BIN/Deleted (1991)/Deleted (1991).mkv", MAIN)
        .file(".hidden Movie (2000)/movie.mkv", MAIN)
        .file("lost+found/Found (1992)/Found (1992).mkv", MAIN)
        .file("Downloads/Partial (2020)/Partial (2020).mkv", MAIN)
        .file("Skipped (2019)/Skipped (2019).mkv", MAIN)
        // Extras outside any movie folder are not films (a warning).
        .file("Extras/Orphan Featurette.mkv", SMALL);
    library
}

/// The user patterns the messy library is scanned with.
pub const USER_PATTERNS: &[&str] = &["Downloads", "skipped*", "*.part"];
