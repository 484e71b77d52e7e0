//! The artwork picker in the web UI, as a browser's forms use it: candidates with their scores,
//! "Use this" changing the movie's poster, uploads (the CSRF token in the form's action),
//! blocks and locks, previews served by Metarr, and the movie page's slots and cast.

use crate::artwork::{Stand, candidate_by_url, enrich_with_artwork, one_movie, png, slot, spawn};
use crate::helpers::Backend;
use crate::ui::UiClient;

async fn the_picker_selects_uploads_blocks_and_locks(backend: Backend) {
    let stand = Stand::start(&[]).await;
    let app = spawn(backend, &stand).await;
    let (_dir, id) = one_movie(&app).await;
    enrich_with_artwork(&app, id).await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let posters = slot(&artwork, "poster");
    let english = posters["selected"][0]["sha256"].as_str().expect("selected poster").to_owned();
    let french = candidate_by_url(posters, "/poster-fr.jpg")["id"].as_i64().expect("id");
    let ui = UiClient::new(&app);

    // The movie page shows the slots, the selected poster and the cast with headshots.
    let page = ui.get(&format!("/movies/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(&format!("class=\"movie-poster\" src=\"/artwork/{english}\"")), "{}", page.body);
    assert!(page.body.contains("id=\"movie-slots\"") && page.body.contains("id=\"choose-poster\""));
    assert!(page.body.contains("id=\"movie-cast\""), "the cast is shown");
    let images = page.body.matches("<img src=\"/artwork/").count();
    assert!(images >= 10, "headshots and slot images come from Metarr: {images}\n{}", page.body);
    assert!(!page.body.contains("src=\"http"), "the browser loads no image from a provider");

    // The picker lists every candidate with its score, best first, as previews from Metarr.
    let picker = ui.get(&format!("/movies/{id}/artwork/poster")).await;
    assert_eq!(picker.status, 200, "{}", picker.body);
    assert!(picker.body.contains(&format!("id=\"select-{french}\"")), "{}", picker.body);
    assert!(picker.body.contains(&format!("src=\"/artwork-previews/{french}\"")));
    assert!(!picker.body.contains(&stand.tmdb.uri()) && !picker.body.contains(&stand.fanart.uri()));
    assert!(!picker.body.contains("src=\"http"));
    let preview = ui.get(&format!("/artwork-previews/{french}")).await;
    assert_eq!(preview.status, 200);
    assert_eq!(preview.headers["content-type"], "image/jpeg");

    // "Use this" makes the French poster the movie's, and locks the slot.
    let chosen =
        ui.post_form(&format!("/movies/{id}/artwork/poster/select"), &[("candidate", &french.to_string())]).await;
    assert_eq!(chosen.status, 303, "{}", chosen.body);
    assert_eq!(chosen.location.as_deref(), Some(format!("/movies/{id}/artwork/poster").as_str()));
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    let posters = slot(&artwork, "poster");
    assert_eq!(posters["locked"], true);
    let french_sha = posters["selected"][0]["sha256"].as_str().expect("selected").to_owned();
    assert_ne!(french_sha, english);
    let page = ui.get(&format!("/movies/{id}")).await;
    assert!(page.body.contains(&format!("class=\"movie-poster\" src=\"/artwork/{french_sha}\"")), "{}", page.body);
    let picker = ui.get(&format!("/movies/{id}/artwork/poster")).await;
    assert!(picker.body.contains("id=\"slot-locked\"") && picker.body.contains("id=\"slot-unlock\""));

    // A choice of another movie's or slot's candidate is refused on the page.
    let fanart = candidate_by_url(slot(&artwork, "fanart"), "/b1.jpg")["id"].as_i64().expect("id");
    let wrong =
        ui.post_form(&format!("/movies/{id}/artwork/poster/select"), &[("candidate", &fanart.to_string())]).await;
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    assert!(wrong.body.contains("id=\"picker-error\""), "{}", wrong.body);

    // Uploads carry the token in the form's action; without it they are refused.
    let csrf = ui.csrf().await;
    let form = || {
        reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(png(90, 1000, 185)).file_name("banner.png"))
    };
    let refused =
        ui.send(ui.client().post(ui.url(&format!("/movies/{id}/artwork/banner/upload"))).multipart(form())).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let url = ui.url(&format!("/movies/{id}/artwork/banner/upload?csrf={csrf}"));
    let uploaded = ui.send(ui.client().post(&url).multipart(form())).await;
    assert_eq!(uploaded.status, 303, "{}", uploaded.body);
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(slot(&artwork, "banner")["selected"][0]["source"], "upload");
    let html = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(b"<html>oops</html>".to_vec()).file_name("x.jpg"));
    let bad = ui.send(ui.client().post(&url).multipart(html)).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("id=\"picker-error\"") && bad.body.contains("HTML"), "{}", bad.body);

    // Block a candidate, then unlock the poster slot: selection resumes without it.
    let blocked = ui.post_form(&format!("/artwork-candidates/{french}/block"), &[]).await;
    assert_eq!(blocked.status, 303);
    let picker = ui.get(&format!("/movies/{id}/artwork/poster")).await;
    assert!(picker.body.contains(&format!("id=\"unblock-{french}\"")), "{}", picker.body);
    let unlocked = ui.post_form(&format!("/movies/{id}/artwork/poster/unlock"), &[]).await;
    assert_eq!(unlocked.status, 303);
    crate::artwork::settle(&app, "select-artwork").await;
    let (_, artwork) = app.get(&format!("/movies/{id}/artwork")).await;
    assert_eq!(slot(&artwork, "poster")["selected"][0]["sha256"], english.as_str());
    let locked = ui.post_form(&format!("/movies/{id}/artwork/poster/lock"), &[]).await;
    assert_eq!(locked.status, 303);
    let (_, movie) = app.get(&format!("/movies/{id}")).await;
    assert!(movie["locks"].as_array().is_some_and(|locks| locks.contains(&serde_json::json!("artwork.poster"))));
    assert_eq!(ui.get(&format!("/movies/{id}/artwork/thumbnail")).await.status, 404);
    app.stop().await;
}
app_test!(the_picker_selects_uploads_blocks_and_locks);
