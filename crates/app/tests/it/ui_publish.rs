//! Publishing in the web UI, as a browser's forms use it: the movie page's published files and
//! their states, the plan before a publish and the report after it, CSRF and publish-mode
//! refusals, the recycle bin (restore, "Replace it", delete, empty, paging, thumbnails) and the
//! verification history with "Verify all libraries now".

use crate::helpers::{Backend, TestApp, job_id};
use crate::ui::{Page, UiClient};
use crate::ui_movies::{Library, SAMPLE_VIDEO, library, movie_id, scan};
use metarr_queue::JobState;
use serde_json::{Value, json};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// A scanned library with one movie folder holding only a video: publishing writes its NFO.
struct Heat {
    library: Library,
    id: i64,
    /// `Heat (1995)/Heat (1995).nfo`, the NFO publishing writes.
    nfo: PathBuf,
}

async fn heat(app: &TestApp) -> Heat {
    let library = library(app, "Films").await;
    let folder = library.root.join("Heat (1995)");
    std::fs::create_dir_all(&folder).expect("movie folder");
    std::fs::copy(SAMPLE_VIDEO, folder.join("Heat (1995).mp4")).expect("sample video");
    scan(app, library.id).await;
    let id = movie_id(app, "Heat").await;
    Heat { library, id, nfo: folder.join("Heat (1995).nfo") }
}

fn assert_status(page: &Page, status: u16) {
    assert_eq!(page.status, status, "{}", page.body);
}

/// The `<tr>` of a table row that holds `needle`, for asserting its state or action.
fn row_with<'a>(body: &'a str, needle: &str) -> &'a str {
    body.split("<tr")
        .find(|row| row.contains(needle))
        .and_then(|row| row.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row holds {needle:?}:\n{body}"))
}

/// The "Published files" section of a movie page.
fn published_section(body: &str) -> &str {
    let start = body.find("id=\"movie-published\"").unwrap_or_else(|| panic!("no published files section:\n{body}"));
    let rest = &body[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// Publishes through the plan page's confirm form and returns the report page.
async fn publish(ui: &UiClient, id: i64) -> Page {
    let plan = ui.get(&format!("/movies/{id}/publish")).await;
    assert_status(&plan, 200);
    assert!(plan.body.contains("id=\"publish-confirm\""), "{}", plan.body);
    let report = ui.post_form(&format!("/movies/{id}/publish"), &[]).await;
    assert_status(&report, 200);
    assert!(report.body.contains("id=\"publish-report\""), "{}", report.body);
    report
}

app_test!(movie_page_publishes_after_the_plan_and_shows_each_files_state);
async fn movie_page_publishes_after_the_plan_and_shows_each_files_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let heat = heat(&app).await;
    let id = heat.id;
    let ui = UiClient::new(&app);

    // Before: the NFO is "Not yet published", and the page offers Publish.
    let page = ui.get(&format!("/movies/{id}")).await;
    assert_status(&page, 200);
    let section = published_section(&page.body);
    assert!(section.contains(&format!("href=\"/movies/{id}/publish\" id=\"movie-publish\"")), "{section}");
    let row = row_with(section, "Heat (1995).nfo");
    assert!(row.contains("data-state=\"not_published\"") && row.contains("Not yet published"), "{row}");
    assert!(!section.contains("In sync"), "{section}");
    assert!(section.contains("href=\"/recycle-bin\"") && section.contains("href=\"/verifications\""));

    // The plan lists the NFO with action write, and touches nothing.
    let plan = ui.get(&format!("/movies/{id}/publish")).await;
    assert_status(&plan, 200);
    let row = row_with(&plan.body, "Heat (1995).nfo");
    assert!(row.contains("data-kind=\"nfo\"") && row.contains("data-action=\"write\""), "{row}");
    assert!(plan.body.contains("1 to write, 0 to replace, 0 to keep, 0 to remove"), "{}", plan.body);
    assert!(plan.body.contains(&format!("action=\"/movies/{id}/publish\"")), "{}", plan.body);
    assert!(plan.body.contains("name=\"csrf\""), "the confirm form carries the token");
    assert!(!heat.nfo.exists(), "the plan wrote nothing");

    // A publish without the form's token is refused and writes nothing.
    let refused = ui.post_raw(&format!("/movies/{id}/publish"), &[]).await;
    assert_status(&refused, 403);
    let refused = ui.post_raw(&format!("/movies/{id}/publish"), &[("csrf", &"0".repeat(64))]).await;
    assert_status(&refused, 403);
    assert!(!heat.nfo.exists(), "a refused publish wrote nothing");

    // The confirmed publish writes the NFO into the folder and reports it.
    let report = ui.post_form(&format!("/movies/{id}/publish"), &[]).await;
    assert_status(&report, 200);
    assert!(report.body.contains("1 written, 0 replaced, 0 kept, 0 removed"), "{}", report.body);
    let row = row_with(&report.body, "Heat (1995).nfo");
    assert!(row.contains("data-action=\"write\"") && row.contains("Written"), "{row}");
    let written = std::fs::read_to_string(&heat.nfo).expect("the NFO is in the movie folder");
    assert!(written.contains("<title>Heat</title>"), "{written}");
    let (status, published) = app.get(&format!("/movies/{id}/published")).await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["items"][0]["state"], "in_sync", "{published}");

    // The page now shows it in sync; nothing is left to publish.
    let page = ui.get(&format!("/movies/{id}")).await;
    let section = published_section(&page.body);
    let row = row_with(section, "Heat (1995).nfo");
    assert!(row.contains("data-state=\"in_sync\"") && row.contains("In sync"), "{row}");
    assert!(!section.contains("Not yet published"), "{section}");
    let plan = ui.get(&format!("/movies/{id}/publish")).await;
    assert!(row_with(&plan.body, "Heat (1995).nfo").contains("data-action=\"keep\""), "{}", plan.body);

    // Deleted on disk: the page says it is missing.
    std::fs::remove_file(&heat.nfo).expect("delete the NFO");
    let page = ui.get(&format!("/movies/{id}")).await;
    let row = row_with(published_section(&page.body), "Heat (1995).nfo");
    assert!(row.contains("data-state=\"missing\"") && row.contains("Missing"), "{row}");

    // Wrong and unknown movies.
    assert_status(&ui.get("/movies/abc/publish").await, 400);
    assert_status(&ui.get("/movies/999999/publish").await, 404);
    assert_status(&ui.post_form("/movies/999999/publish", &[]).await, 404);

    // Settings link to the recycle bin and the verification history.
    let settings = ui.get("/settings").await;
    assert!(settings.body.contains("<a href=\"/recycle-bin\"") && settings.body.contains("<a href=\"/verifications\""));
    app.stop().await;
}

app_test!(publishing_is_refused_where_the_library_does_not_publish);
async fn publishing_is_refused_where_the_library_does_not_publish(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let heat = heat(&app).await;
    let id = heat.id;
    let body = json!({ "name": "Films", "path": heat.library.root.display().to_string(), "publish": "off" });
    let (status, library) = app.put_json(&format!("/libraries/{}", heat.library.id), &body).await;
    assert_eq!(status, 200, "{library}");
    assert_eq!(library["publish"], "off");
    let ui = UiClient::new(&app);

    let page = ui.get(&format!("/movies/{id}")).await;
    assert_status(&page, 200);
    let section = published_section(&page.body);
    assert!(section.contains("id=\"publish-off\"") && section.contains("Publishing is off"), "{section}");
    assert!(!section.contains("id=\"movie-publish\""), "no Publish button: {section}");
    assert!(!section.contains("Not yet published"), "nothing is waiting to be published: {section}");

    // The plan can be looked at, but offers no confirmation.
    let plan = ui.get(&format!("/movies/{id}/publish")).await;
    assert_status(&plan, 200);
    assert!(plan.body.contains("id=\"publish-off\""), "{}", plan.body);
    assert!(!plan.body.contains("id=\"publish-confirm\""), "{}", plan.body);

    // A publish posted anyway is refused as the API refuses it, and writes nothing.
    let refused = ui.post_form(&format!("/movies/{id}/publish"), &[]).await;
    assert_status(&refused, 409);
    assert!(refused.body.contains("publishing is off"), "{}", refused.body);
    assert!(!heat.nfo.exists());
    let (status, _) = app.post(&format!("/movies/{id}/publish")).await;
    assert_eq!(status, 409, "the API agrees");
    app.stop().await;
}

/// The recycle bin's entries through the API (restored ones too).
async fn bin_entries(app: &TestApp) -> Vec<Value> {
    let (status, list) = app.get("/recycle-bin?include_restored=true").await;
    assert_eq!(status, 200, "{list}");
    list["items"].as_array().expect("items").clone()
}

app_test!(recycle_bin_restores_a_replaced_nfo_and_asks_before_replacing_another);
async fn recycle_bin_restores_a_replaced_nfo_and_asks_before_replacing_another(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let heat = heat(&app).await;
    let id = heat.id;
    let ui = UiClient::new(&app);
    let nfo_path = heat.nfo.display().to_string();

    let page = ui.get("/recycle-bin").await;
    assert_status(&page, 200);
    assert!(page.body.contains("The recycle bin is empty."), "{}", page.body);
    assert!(page.body.contains("href=\"/recycle-bin\" aria-current=\"page\""), "the settings tab is marked");

    // Published, then edited by another program, then published again: the edit is recycled.
    publish(&ui, id).await;
    let ours = std::fs::read_to_string(&heat.nfo).expect("published NFO");
    assert!(ours.contains("<title>Heat</title>"), "{ours}");
    let theirs = ours.replace("<title>Heat</title>", "<title>Heat (edited elsewhere)</title>");
    std::fs::write(&heat.nfo, &theirs).expect("edit the NFO");
    let report = publish(&ui, id).await;
    assert!(report.body.contains("0 written, 1 replaced"), "{}", report.body);
    assert_eq!(std::fs::read_to_string(&heat.nfo).expect("NFO"), ours, "the catalogue's NFO is back");

    let entries = bin_entries(&app).await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let edited = &entries[0];
    assert_eq!(edited["path"], nfo_path.as_str());
    assert_eq!(edited["reason"], "replaced");
    assert_eq!(edited["sha256"], sha256(theirs.as_bytes()).as_str(), "the bin holds the edited file");
    let edited_id = edited["id"].as_i64().expect("id");
    let page = ui.get("/recycle-bin").await;
    let row = row_with(&page.body, &format!("id=\"entry-{edited_id}\""));
    assert!(row.contains(&nfo_path) && row.contains("replaced"), "{row}");
    assert!(row.contains(&format!("id=\"restore-{edited_id}\"")), "{row}");
    assert!(row.contains(&format!("id=\"delete-{edited_id}\"")), "{row}");
    assert!(!row.contains("<img"), "an NFO has no thumbnail: {row}");
    assert!(page.body.contains("1 entry"), "{}", page.body);

    // Restoring over the published NFO needs the confirmation, offered with the refusal.
    let restore = format!("/recycle-bin/{edited_id}/restore");
    assert_status(&ui.post_raw(&restore, &[]).await, 403);
    let refused = ui.post_form(&restore, &[]).await;
    assert_status(&refused, 409);
    assert!(refused.body.contains("holds another file now"), "{}", refused.body);
    let offer = refused.body.split("id=\"restore-force\"").nth(1).expect("a Replace it form");
    assert!(refused.body.contains(&format!("action=\"{restore}\" class=\"row\" id=\"restore-force\"")));
    assert!(offer.contains("name=\"force\" value=\"true\"") && offer.contains("Replace it"), "{offer}");
    assert_eq!(std::fs::read_to_string(&heat.nfo).expect("NFO"), ours, "nothing was replaced");

    // "Replace it": the edited NFO is back, and the one it replaced is in the bin.
    let replaced = ui.post_form(&restore, &[("force", "true")]).await;
    assert_status(&replaced, 303);
    let back = replaced.location.clone().expect("back to the bin");
    assert_eq!(back, format!("/recycle-bin?restored={edited_id}"));
    assert_eq!(std::fs::read_to_string(&heat.nfo).expect("NFO"), theirs);
    let page = ui.get(&back).await;
    assert_status(&page, 200);
    assert!(page.body.contains(&format!("Restored {nfo_path}.")), "{}", page.body);
    let row = row_with(&page.body, &format!("id=\"entry-{edited_id}\""));
    assert!(row.contains("data-restored=\"true\"") && !row.contains("id=\"restore-"), "{row}");
    let entries = bin_entries(&app).await;
    let ours_entry = entries
        .iter()
        .find(|entry| entry["reason"] == "restored")
        .unwrap_or_else(|| panic!("the replaced NFO is in the bin: {entries:?}"));
    assert_eq!(ours_entry["sha256"], sha256(ours.as_bytes()).as_str());
    let ours_id = ours_entry["id"].as_i64().expect("id");

    // An entry already restored cannot be restored again, and no replacement is offered.
    let again = ui.post_form(&restore, &[]).await;
    assert_status(&again, 409);
    assert!(again.body.contains("restored already") && !again.body.contains("id=\"restore-force\""), "{}", again.body);

    // With nothing at the path, Restore puts the file back without asking.
    std::fs::remove_file(&heat.nfo).expect("delete the NFO");
    let restored = ui.post_form(&format!("/recycle-bin/{ours_id}/restore"), &[]).await;
    assert_status(&restored, 303);
    assert_eq!(std::fs::read_to_string(&heat.nfo).expect("restored NFO"), ours);

    // Delete one entry, then empty the bin.
    let deleted = ui.post_form(&format!("/recycle-bin/{edited_id}/delete"), &[]).await;
    assert_status(&deleted, 303);
    assert_eq!(deleted.location.as_deref(), Some(format!("/recycle-bin?deleted={edited_id}").as_str()));
    assert_eq!(app.get(&format!("/recycle-bin/{edited_id}")).await.0, 404);
    assert_status(&ui.post_form(&format!("/recycle-bin/{edited_id}/delete"), &[]).await, 404);
    assert_status(&ui.post_form("/recycle-bin/abc/restore", &[]).await, 400);
    assert_status(&ui.post_form("/recycle-bin/999999/restore", &[]).await, 404);
    assert_status(&ui.post_raw("/recycle-bin/empty", &[]).await, 403);
    assert!(!bin_entries(&app).await.is_empty());
    let emptied = ui.post_form("/recycle-bin/empty", &[]).await;
    assert_status(&emptied, 303);
    let page = ui.get(emptied.location.as_deref().expect("back to the bin")).await;
    assert!(page.body.contains("Emptied the recycle bin"), "{}", page.body);
    assert!(page.body.contains("The recycle bin is empty."), "{}", page.body);
    assert!(bin_entries(&app).await.is_empty());
    app.stop().await;
}

app_test!(recycle_bin_pages_newest_first_with_thumbnails_of_images);
async fn recycle_bin_pages_newest_first_with_thumbnails_of_images(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let films = library(&app, "Films").await;
    // Sixty entries as publishing leaves them, the newest an image.
    let folder = films.root.join("Alien (1979)");
    let mut tx = app.db.begin().await.expect("transaction");
    for n in 0..60 {
        let (name, ext) = if n == 59 { ("poster.png".to_owned(), "png") } else { (format!("old-{n:02}.nfo"), "nfo") };
        let entry = metarr::publish::repo::Recycled {
            path: folder.join(&name).display().to_string(),
            sha256: sha256(name.as_bytes()),
            ext: ext.to_owned(),
            size: 1_000 + n,
            reason: metarr::publish::repo::RecycleReason::Replaced,
        };
        metarr::publish::repo::recycle(&mut tx, films.id, None, &[entry]).await.expect("recycled");
    }
    tx.commit().await.expect("commit");
    let ui = UiClient::new(&app);

    let page = ui.get("/recycle-bin").await;
    assert_status(&page, 200);
    assert!(page.body.contains("60 entries · page 1 of 2"), "{}", page.body);
    let first = page.body.find("poster.png").expect("the image is listed");
    assert!(first < page.body.find("old-58.nfo").expect("listed"), "newest first");
    assert!(!page.body.contains("old-09.nfo"), "the oldest ten are on page 2");
    let row = row_with(&page.body, "poster.png");
    let image_sha = sha256(b"poster.png");
    assert!(row.contains(&format!("<img class=\"bin-thumb\" src=\"/artwork/{image_sha}\"")), "{row}");
    assert_eq!(page.body.matches("class=\"bin-thumb\"").count(), 1, "only images have thumbnails");
    assert!(page.body.contains("rel=\"next\" href=\"/recycle-bin?page=2\""), "{}", page.body);

    let page = ui.get("/recycle-bin?page=2").await;
    assert_status(&page, 200);
    assert!(page.body.contains("old-00.nfo") && page.body.contains("old-09.nfo"));
    assert!(!page.body.contains("old-10.nfo"), "{}", page.body);
    assert!(page.body.contains("rel=\"prev\" href=\"/recycle-bin\""), "{}", page.body);
    assert!(ui.get("/recycle-bin?page=3").await.body.contains("past the end"));
    for bad in ["/recycle-bin?page=0", "/recycle-bin?page=x", "/recycle-bin?restored=x"] {
        assert_status(&ui.get(bad).await, 400);
    }
    app.stop().await;
}

app_test!(verification_history_lists_the_run_verify_now_queued);
async fn verification_history_lists_the_run_verify_now_queued(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let heat = heat(&app).await;
    let ui = UiClient::new(&app);
    publish(&ui, heat.id).await;
    std::fs::remove_file(&heat.nfo).expect("delete the NFO");

    let page = ui.get("/verifications").await;
    assert_status(&page, 200);
    assert!(page.body.contains("No verification has run yet."), "{}", page.body);
    assert!(page.body.contains("href=\"/verifications\" aria-current=\"page\""), "the settings tab is marked");
    assert!(page.body.contains("action=\"/verifications/verify\""), "{}", page.body);

    // Without the token nothing is queued.
    assert_status(&ui.post_raw("/verifications/verify", &[]).await, 403);
    let (_, jobs) = app.get("/jobs?kind=verify").await;
    assert_eq!(jobs["items"].as_array().map(Vec::len), Some(0), "{jobs}");

    // "Verify all libraries now" queues a verify job of every library and names it.
    let queued = ui.post_form("/verifications/verify", &[]).await;
    assert_status(&queued, 303);
    let location = queued.location.clone().expect("back to the history");
    let job = location.strip_prefix("/verifications?queued=").expect("names the job").to_owned();
    let (status, listed) = app.get("/jobs?kind=verify").await;
    assert_eq!(status, 200, "{listed}");
    let listed_job = &listed["items"][0];
    assert_eq!(listed_job["id"].to_string(), job, "{listed}");
    assert_eq!(listed_job["payload"]["cause"], "ui", "{listed_job}");
    assert!(listed_job["payload"]["library_id"].is_null(), "every library: {listed_job}");
    let page = ui.get(&location).await;
    assert!(page.body.contains(&format!("href=\"/jobs/{job}\"")), "{}", page.body);
    app.wait_for_state(job_id(&listed_job["id"]), JobState::Completed).await;

    // The run is listed with its counts, and its detail names the missing NFO it put back.
    let (status, runs) = app.get("/verifications").await;
    assert_eq!(status, 200, "{runs}");
    assert_eq!(runs["total"], 1, "{runs}");
    let run_id = runs["items"][0]["id"].as_i64().expect("run id");
    let page = ui.get("/verifications").await;
    let row = row_with(&page.body, &format!("id=\"run-{run_id}\""));
    assert!(row.contains("all libraries") && row.contains("<td>ui</td>"), "{row}");
    assert!(row.contains(&format!("href=\"/verifications/{run_id}\"")), "{row}");
    assert!(page.body.contains("1 run"), "{}", page.body);
    let detail = ui.get(&format!("/verifications/{run_id}")).await;
    assert_status(&detail, 200);
    assert!(detail.body.contains("<dt>Restored</dt><dd>1</dd>"), "{}", detail.body);
    let drift = row_with(&detail.body, "Heat (1995).nfo");
    assert!(drift.contains("data-state=\"missing\"") && drift.contains("restored"), "{drift}");
    assert!(drift.contains(&format!("href=\"/movies/{}\"", heat.id)), "{drift}");
    assert!(heat.nfo.exists(), "verification put the NFO back");
    assert!(Path::new(&heat.nfo).is_file());

    assert_status(&ui.get("/verifications/999999").await, 404);
    assert_status(&ui.get("/verifications/abc").await, 400);
    assert_status(&ui.get("/verifications?page=0").await, 400);
    app.stop().await;
}
