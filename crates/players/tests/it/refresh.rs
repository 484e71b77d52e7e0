//! The refresh strategy of issue 5 against the Kodi stand-in: refresh known movies in place
//! (and find them again under their new id), list-then-scan unknown folders, back off while
//! Kodi scans or plays, and drop stale textures when artwork changed.

use metarr_players::{BusyReason, Confirmation, PlayerError, RefreshOptions, RefreshOutcome, refresh_movie_folder};
use metarr_testkit::kodi::standin::{StoredMovie, observed_movie_details};

use crate::support::{kodi, kodi_client_with};

const OBSERVED_FOLDER: &str = "/media/movies/Big Buck Test (2008)";

#[tokio::test]
async fn known_movie_is_refreshed_and_found_again_under_its_new_id() {
    let (standin, client) = kodi().await;
    let old_id = standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "Old title"));
    // Another movie holds the highest id, so SQLite gives the re-added row a new one.
    standin.state().add_movie(StoredMovie::new("/media/movies/B (2021)/B.mkv", "B"));
    // The edited NFO on disk carries a new title; RefreshMovie re-reads it.
    standin.state().on_disk.push(StoredMovie::new("/media/movies/A (2020)/A.mkv", "New title"));

    let outcome = refresh_movie_folder(&client, "/media/movies/A (2020)", RefreshOptions::default()).await.unwrap();

    let RefreshOutcome::Refreshed { old_movie_id, new_movie_id, textures_removed, confirmation } = outcome else {
        panic!("expected a refresh, got {outcome:?}");
    };
    assert_eq!(old_movie_id, old_id);
    let new_id = new_movie_id.unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(textures_removed, 0);
    assert_eq!(confirmation, Confirmation::NotRequested, "no notification port was given");
    assert_eq!(
        standin.state().methods(),
        ["XBMC.GetInfoBooleans", "VideoLibrary.GetMovies", "VideoLibrary.RefreshMovie", "VideoLibrary.GetMovies"]
    );
    let movies = client.get_movies_by_path("/media/movies/A (2020)").await.unwrap();
    assert_eq!(movies[0].movieid, new_id);
    assert_eq!(movies[0].title, "New title");
    assert!(standin.state().scanned.is_empty(), "a known movie is not scanned");
}

#[tokio::test]
async fn unknown_movie_lists_the_parent_then_scans_the_folder() {
    let (standin, client) = kodi().await;
    standin.state().on_disk.push(StoredMovie::new("/media/movies/New (2024)/New.mkv", "New"));

    let outcome = refresh_movie_folder(&client, "/media/movies/New (2024)", RefreshOptions::default()).await.unwrap();

    assert_eq!(
        outcome,
        RefreshOutcome::ScanRequested {
            directory: "/media/movies/New (2024)/".to_owned(),
            confirmation: Confirmation::NotRequested
        }
    );
    assert_eq!(
        standin.state().methods(),
        ["XBMC.GetInfoBooleans", "VideoLibrary.GetMovies", "Files.GetDirectory", "VideoLibrary.Scan"]
    );
    assert_eq!(standin.state().listed, ["/media/movies/"]);
    assert_eq!(standin.state().scanned, ["/media/movies/New (2024)/"]);
    let imported = client.get_movies_by_path("/media/movies/New (2024)").await.unwrap();
    assert_eq!(imported.len(), 1, "the stand-in imports the folder once the parent was listed");
}

/// The stand-in reproduces gotcha 2, so the test above proves the listing matters.
#[tokio::test]
async fn scanning_without_listing_the_parent_imports_nothing() {
    let (standin, client) = kodi().await;
    standin.state().on_disk.push(StoredMovie::new("/media/movies/New (2024)/New.mkv", "New"));
    client.scan("/media/movies/New (2024)").await.unwrap();
    assert!(client.get_movies_by_path("/media/movies/New (2024)").await.unwrap().is_empty());
}

#[tokio::test]
async fn busy_while_kodi_scans_and_nothing_else_is_asked() {
    let (standin, client) = kodi().await;
    standin.state().scanning = true;
    standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "A"));

    let outcome = refresh_movie_folder(&client, "/media/movies/A (2020)", RefreshOptions::default()).await.unwrap();

    assert_eq!(outcome, RefreshOutcome::Busy(BusyReason::Scanning));
    assert_eq!(standin.state().methods(), ["XBMC.GetInfoBooleans"]);
}

#[tokio::test]
async fn skip_while_playing_backs_off_during_video_playback() {
    let (standin, client) = kodi().await;
    standin.state().playing_video = true;
    standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "A"));
    let options = RefreshOptions { skip_while_playing: true, ..RefreshOptions::default() };

    let outcome = refresh_movie_folder(&client, "/media/movies/A (2020)", options).await.unwrap();

    assert_eq!(outcome, RefreshOutcome::Busy(BusyReason::Playing));
    assert_eq!(standin.state().methods(), ["XBMC.GetInfoBooleans", "Player.GetActivePlayers"]);
}

#[tokio::test]
async fn playback_does_not_matter_without_skip_while_playing() {
    let (standin, client) = kodi().await;
    standin.state().playing_video = true;
    standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "A"));

    let outcome = refresh_movie_folder(&client, "/media/movies/A (2020)", RefreshOptions::default()).await.unwrap();

    assert!(matches!(outcome, RefreshOutcome::Refreshed { .. }), "{outcome:?}");
    assert!(!standin.state().methods().contains(&"Player.GetActivePlayers".to_owned()));
}

#[tokio::test]
async fn changed_artwork_removes_the_movies_cached_textures_only() {
    let (standin, client) = kodi().await;
    standin.state().add_movie(StoredMovie::observed());
    let details = observed_movie_details();
    let poster = details["art"]["poster"].as_str().unwrap().to_owned();
    let fanart = details["art"]["fanart"].as_str().unwrap().to_owned();
    let unrelated = "image://%2fmedia%2fmovies%2fOther%20(2001)%2fposter.jpg/".to_owned();
    standin.state().textures = vec![(10, poster), (11, fanart), (12, unrelated.clone())];
    let options = RefreshOptions { changed_artwork: true, ..RefreshOptions::default() };

    let outcome = refresh_movie_folder(&client, OBSERVED_FOLDER, options).await.unwrap();

    assert!(matches!(outcome, RefreshOutcome::Refreshed { textures_removed: 2, .. }), "{outcome:?}");
    assert_eq!(standin.state().textures, [(12, unrelated)]);
    let methods = standin.state().methods();
    assert_eq!(methods.iter().filter(|method| *method == "Textures.RemoveTexture").count(), 2);
}

#[tokio::test]
async fn unchanged_artwork_keeps_the_textures() {
    let (standin, client) = kodi().await;
    standin.state().add_movie(StoredMovie::observed());
    let poster = observed_movie_details()["art"]["poster"].as_str().unwrap().to_owned();
    standin.state().textures = vec![(10, poster)];

    refresh_movie_folder(&client, OBSERVED_FOLDER, RefreshOptions::default()).await.unwrap();

    assert_eq!(standin.state().textures.len(), 1);
    assert!(!standin.state().methods().iter().any(|method| method.starts_with("Textures.")));
}

#[tokio::test]
async fn errors_are_returned_not_swallowed() {
    let (standin, _client) = kodi().await;
    let client = kodi_client_with(standin.port(), Some(("kodi", "wrong")));
    let err = refresh_movie_folder(&client, "/media/movies/A", RefreshOptions::default()).await.unwrap_err();
    assert!(matches!(err, PlayerError::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn a_refresh_that_keeps_the_id_is_reported_as_such() {
    let (standin, client) = kodi().await;
    // The only movie has the highest id; SQLite hands the same id to the re-added row.
    let id = standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "A"));
    let outcome = refresh_movie_folder(&client, "/media/movies/A (2020)", RefreshOptions::default()).await.unwrap();
    assert_eq!(
        outcome,
        RefreshOutcome::Refreshed {
            old_movie_id: id,
            new_movie_id: Some(id),
            textures_removed: 0,
            confirmation: Confirmation::NotRequested
        }
    );
}

#[tokio::test]
async fn a_folder_outside_every_kodi_source_names_the_path_mapping() {
    let (standin, client) = kodi().await;
    let err = refresh_movie_folder(&client, "/data/movies/A (2020)", RefreshOptions::default()).await.unwrap_err();
    assert!(matches!(&err, PlayerError::OutsideSources { path, .. } if path == "/data/movies/"), "{err:?}");
    assert!(err.to_string().contains("path mapping"), "{err}");
    assert!(standin.state().scanned.is_empty(), "nothing is scanned");
}

#[tokio::test]
async fn the_refreshed_movie_is_looked_for_until_kodi_re_adds_it() {
    let (standin, client) = kodi().await;
    let old_id = standin.state().add_movie(StoredMovie::new("/media/movies/A (2020)/A.mkv", "A"));
    standin.state().add_movie(StoredMovie::new("/media/movies/B (2021)/B.mkv", "B"));
    standin.state().refresh_lag = 2;

    let outcome = refresh_movie_folder(&client, "/media/movies/A (2020)", RefreshOptions::default()).await.unwrap();

    let RefreshOutcome::Refreshed { new_movie_id, .. } = outcome else { panic!("{outcome:?}") };
    assert!(new_movie_id.is_some_and(|id| id != old_id), "{new_movie_id:?}");
    let lookups = standin.state().methods().iter().filter(|method| *method == "VideoLibrary.GetMovies").count();
    assert_eq!(lookups, 4, "one lookup before the refresh, three after it");
}
