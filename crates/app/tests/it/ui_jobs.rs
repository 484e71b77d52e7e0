//! The jobs pages over HTTP: the list's filters, counts and cursor paging, its live fragment, a
//! job's page (fields, payload, correlation siblings, escaping), and retry, cancel and clear
//! through the pages' forms, checked against the API afterwards.

use crate::helpers::{Backend, TestApp};
use crate::ui::{Page, UiClient};
use metarr_queue::{JobEventKind, JobId, JobState, NewJob};
use serde_json::{Value, json};
use std::time::Duration;

/// Jobs of a kind no worker handles stay pending, which keeps lists deterministic.
async fn enqueue_idle(app: &TestApp, kind: &str, correlation_id: Option<&str>) -> JobId {
    let mut job = NewJob::raw(kind, json!({ "n": 1 }));
    if let Some(id) = correlation_id {
        job = job.correlation_id(id);
    }
    app.queue.enqueue(job).await.expect("enqueue").job.id
}

/// A `debug-sleep` job whose `ms` does not decode fails at once, for good.
async fn failed_sleep(app: &TestApp, ms: Value) -> JobId {
    let job = app.queue.enqueue(NewJob::raw("debug-sleep", json!({ "ms": ms }))).await.expect("enqueue").job;
    app.wait_for_state(job.id, JobState::Failed).await.id
}

/// The job ids of the table rows in a page, top to bottom.
fn row_ids(body: &str) -> Vec<JobId> {
    body.split("<tr data-job-id=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().and_then(|id| id.parse().ok()).expect("a numeric row id"))
        .collect()
}

/// HTML text with the character references the templates write turned back into characters.
fn text(html: &str) -> String {
    [("&#34;", "\""), ("&#39;", "'"), ("&#60;", "<"), ("&#62;", ">"), ("&quot;", "\""), ("&lt;", "<"), ("&gt;", ">")]
        .iter()
        .fold(html.to_owned(), |text, (reference, character)| text.replace(reference, character))
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// The `href` of the link with this element id, unescaped.
fn link(body: &str, element_id: &str) -> Option<String> {
    let (before, _) = body.split_once(&format!("id=\"{element_id}\""))?;
    let href = before.rsplit_once("href=\"")?.1.split('"').next()?;
    Some(text(href))
}

async fn api_state(app: &TestApp, id: JobId) -> String {
    let (status, body) = app.get(&format!("/jobs/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["state"].as_str().expect("a state").to_owned()
}

fn assert_page(page: &Page, status: u16) {
    assert_eq!(page.status, status, "{}", page.body);
    assert!(page.body.contains("<html"), "a whole page: {}", page.body);
}

app_test!(jobs_list_filters_by_state_kind_and_correlation);
async fn jobs_list_filters_by_state_kind_and_correlation(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let alpha_one = enqueue_idle(&app, "test-alpha", Some("batch-7")).await;
    let alpha_two = enqueue_idle(&app, "test-alpha", None).await;
    let beta = enqueue_idle(&app, "test-beta", Some("batch-7")).await;
    let done = app.enqueue_sleep(0).await.id;
    app.wait_for_state(done, JobState::Completed).await;
    let failed = failed_sleep(&app, json!("soon")).await;

    let page = ui.get("/jobs").await;
    assert_page(&page, 200);
    assert!(page.body.contains("href=\"/jobs\" aria-current=\"page\""), "the nav marks Jobs");
    assert_eq!(row_ids(&page.body), vec![failed, done, beta, alpha_two, alpha_one], "newest first");
    // Counts per state, linking to the state, with the current filter marked.
    assert!(page.body.contains("data-state-count=\"pending\""), "{}", page.body);
    assert!(page.body.contains("<span class=\"muted\">pending</span><strong>3</strong>"), "{}", page.body);
    assert!(page.body.contains("<span class=\"muted\">all</span><strong>5</strong>"), "{}", page.body);
    // The kind select offers the kinds the queue knows.
    for kind in ["test-alpha", "test-beta", "debug-sleep"] {
        assert!(page.body.contains(&format!("<option value=\"{kind}\">{kind}</option>")), "{kind}: {}", page.body);
    }
    // The first page refreshes itself on job events.
    assert!(page.body.contains("hx-get=\"/jobs\" hx-trigger=\"metarr-job from:body throttle:1s"), "{}", page.body);

    let page = ui.get("/jobs?state=failed").await;
    assert_page(&page, 200);
    assert_eq!(row_ids(&page.body), vec![failed]);
    assert!(page.body.contains("<span class=\"badge failed\">failed</span>"));
    assert!(page.body.contains("does not decode"), "the error excerpt: {}", page.body);
    assert!(page.body.contains("<option value=\"failed\" selected>"), "the form keeps the filter");
    assert!(page.body.contains("data-state-count=\"failed\" aria-current=\"true\""), "{}", page.body);

    let page = ui.get("/jobs?state=pending").await;
    assert_eq!(row_ids(&page.body), vec![beta, alpha_two, alpha_one]);
    let page = ui.get("/jobs?state=all&kind=test-alpha").await;
    assert_eq!(row_ids(&page.body), vec![alpha_two, alpha_one]);
    assert!(page.body.contains("<option value=\"test-alpha\" selected>"), "{}", page.body);
    // With a kind, the counts are that kind's and their links keep it.
    assert!(page.body.contains("<span class=\"muted\">all</span><strong>2</strong>"), "{}", page.body);
    assert!(text(&page.body).contains("href=\"/jobs?state=pending&kind=test-alpha\""), "{}", page.body);
    let page = ui.get("/jobs?state=completed&kind=debug-sleep").await;
    assert_eq!(row_ids(&page.body), vec![done]);
    let page = ui.get("/jobs?state=completed&kind=test-alpha").await;
    assert_eq!(row_ids(&page.body), Vec::<JobId>::new());
    assert!(page.body.contains("No job matches these filters."));
    let page = ui.get("/jobs?correlation_id=batch-7").await;
    assert_eq!(row_ids(&page.body), vec![beta, alpha_one]);
    assert!(page.body.contains("value=\"batch-7\""), "the form keeps the correlation id");
    // A bookmarked kind with no jobs stays selectable.
    let page = ui.get("/jobs?kind=gone-kind").await;
    assert_page(&page, 200);
    assert!(page.body.contains("<option value=\"gone-kind\" selected>"), "{}", page.body);

    let page = ui.get("/jobs?state=sleeping").await;
    assert_page(&page, 400);
    assert!(page.body.contains("sleeping"), "{}", page.body);

    // htmx refreshing the live region gets it alone; a boosted navigation gets the page.
    let fragment = ui.htmx_get("/jobs?state=pending").await;
    assert_eq!(fragment.status, 200);
    assert!(
        !fragment.body.contains("<html") && fragment.body.starts_with("<div id=\"jobs-live\""),
        "{}",
        fragment.body
    );
    assert_eq!(row_ids(&fragment.body), vec![beta, alpha_two, alpha_one]);
    let vary = fragment.headers.get("vary").and_then(|value| value.to_str().ok()).unwrap_or_default();
    assert!(vary.to_ascii_lowercase().contains("hx-request"), "{vary}");
    let boosted = ui
        .send(
            app.client
                .get(format!("{}/jobs?state=pending", app.address))
                .header("hx-request", "true")
                .header("hx-boosted", "true"),
        )
        .await;
    assert_page(&boosted, 200);
    app.stop().await;
}

app_test!(jobs_list_pages_older_and_newest_with_before);
async fn jobs_list_pages_older_and_newest_with_before(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let jobs: Vec<NewJob> = (0..70).map(|n| NewJob::raw("test-page", json!({ "n": n }))).collect();
    let mut ids: Vec<JobId> = app.queue.enqueue_many(jobs).await.expect("enqueue").iter().map(|e| e.job.id).collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    enqueue_idle(&app, "test-other", None).await;

    let first = ui.get("/jobs?kind=test-page").await;
    assert_page(&first, 200);
    assert_eq!(row_ids(&first.body), ids[..50].to_vec(), "the 50 newest");
    assert!(link(&first.body, "jobs-newest").is_none(), "already the newest page");
    let older = link(&first.body, "jobs-older").expect("an Older link");
    assert_eq!(older, format!("/jobs?kind=test-page&before={}", ids[49]));

    let second = ui.get(&older).await;
    assert_page(&second, 200);
    assert_eq!(row_ids(&second.body), ids[50..].to_vec(), "the 20 oldest");
    assert!(link(&second.body, "jobs-older").is_none(), "the last page");
    assert_eq!(link(&second.body, "jobs-newest").as_deref(), Some("/jobs?kind=test-page"));
    // Only the first page is live: an older page does not move under its reader.
    assert!(!second.body.contains("hx-trigger=\"metarr-job"), "{}", second.body);

    for bad in ["/jobs?before=abc", "/jobs?before=0"] {
        let page = ui.get(bad).await;
        assert_page(&page, 400);
        assert!(page.body.contains("before must be a job id"), "{bad}: {}", page.body);
    }
    app.stop().await;
}

app_test!(job_page_shows_fields_payload_parent_and_correlation_siblings);
async fn job_page_shows_fields_payload_parent_and_correlation_siblings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let parent = app
        .queue
        .enqueue(
            NewJob::raw("test-alpha", json!({ "movie": "Heat", "year": 1995 }))
                .correlation_id("batch-9")
                .unique_key("heat-1995")
                .priority(3),
        )
        .await
        .expect("enqueue")
        .job;
    let child =
        app.queue.enqueue(NewJob::raw("test-beta", json!({ "n": 2 })).child_of(&parent)).await.expect("enqueue").job;
    let sibling = enqueue_idle(&app, "test-gamma", Some("batch-9")).await;
    let stranger = enqueue_idle(&app, "test-gamma", Some("batch-other")).await;

    let page = ui.get(&format!("/jobs/{}", parent.id)).await;
    assert_page(&page, 200);
    assert!(page.body.contains(&format!("Job #{}", parent.id)), "{}", page.body);
    assert!(page.body.contains("data-job-state=\"pending\""));
    assert!(text(&page.body).contains("\"movie\": \"Heat\""), "the payload, pretty: {}", page.body);
    assert!(text(&page.body).contains("\"year\": 1995"));
    assert!(page.body.contains("<span class=\"mono\">heat-1995</span>"), "the unique key");
    assert!(page.body.contains("<dd>3 <span"), "the priority: {}", page.body);
    assert!(page.body.contains("0 of 5"), "attempt of max attempts: {}", page.body);
    assert_eq!(row_ids(&page.body), vec![sibling, child.id], "the other jobs of batch-9, newest first");
    assert!(page.body.contains(&format!("href=\"/jobs/{}\"", child.id)));
    assert!(!page.body.contains(&format!("href=\"/jobs/{stranger}\"")));
    assert!(page.body.contains("href=\"/jobs?correlation_id=batch-9\""), "{}", page.body);
    // A pending job can be cancelled, not retried, and its part refreshes while it may change.
    assert!(page.body.contains(&format!("action=\"/jobs/{}/cancel\"", parent.id)));
    assert!(!page.body.contains(&format!("action=\"/jobs/{}/retry\"", parent.id)));
    assert!(page.body.contains(&format!("hx-get=\"/jobs/{}\" hx-trigger=\"metarr-job", parent.id)));

    let page = ui.get(&format!("/jobs/{}", child.id)).await;
    assert!(page.body.contains(&format!("<a href=\"/jobs/{}\" id=\"job-parent\">", parent.id)), "{}", page.body);
    assert_eq!(row_ids(&page.body), vec![sibling, parent.id]);

    let fragment = ui.htmx_get(&format!("/jobs/{}", parent.id)).await;
    assert_eq!(fragment.status, 200);
    assert!(
        fragment.body.starts_with("<div id=\"job-detail\"") && !fragment.body.contains("<html"),
        "{}",
        fragment.body
    );

    // A finished job's page no longer refreshes itself.
    let done = app.enqueue_sleep(0).await.id;
    app.wait_for_state(done, JobState::Completed).await;
    let page = ui.get(&format!("/jobs/{done}")).await;
    assert!(page.body.contains("data-job-state=\"completed\""));
    assert!(!page.body.contains("hx-trigger=\"metarr-job"), "{}", page.body);
    assert!(!page.body.contains("/cancel\"") && !page.body.contains("/retry\""), "nothing to do on a completed job");
    assert!(!page.body.contains("id=\"job-siblings-heading\""), "no correlation id, no siblings");

    let page = ui.get("/jobs/987654321").await;
    assert_page(&page, 404);
    assert!(page.body.contains("job 987654321 not found"), "{}", page.body);
    let page = ui.get("/jobs/not-a-number").await;
    assert_page(&page, 400);
    assert!(page.body.contains("job ids are numbers"), "{}", page.body);
    app.stop().await;
}

app_test!(hostile_job_text_is_escaped_on_the_jobs_pages);
async fn hostile_job_text_is_escaped_on_the_jobs_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let hostile = "<script>alert(1)</script>";
    let failed = failed_sleep(&app, json!(hostile)).await;
    let correlated = app
        .queue
        .enqueue(NewJob::raw("test-<b>", json!({ "title": hostile })).correlation_id("\"><img src=x>"))
        .await
        .expect("enqueue")
        .job
        .id;

    for path in [format!("/jobs/{failed}"), format!("/jobs/{correlated}"), "/jobs".to_owned()] {
        let page = ui.get(&path).await;
        assert_page(&page, 200);
        assert!(!page.body.contains(hostile), "{path} shows markup as text: {}", page.body);
        assert!(!page.body.contains("<img src=x>") && !page.body.contains("<b>"), "{path}: {}", page.body);
    }
    let page = ui.get(&format!("/jobs/{failed}")).await;
    let payload = page.body.split("<pre id=\"job-payload\">").nth(1).expect("a payload block");
    assert!(
        text(payload).starts_with(&format!("{{\n  \"ms\": \"{hostile}\"\n}}</pre>")),
        "the payload as text: {payload}"
    );
    assert!(page.body.contains("id=\"job-last-error\""), "the error is shown: {}", page.body);
    let page = ui.get(&format!("/jobs/{correlated}")).await;
    // The correlation link is URL-encoded, then HTML-escaped.
    assert!(page.body.contains("href=\"/jobs?correlation_id=%22%3E%3Cimg+src%3Dx%3E\""), "{}", page.body);
    assert!(text(&page.body).contains("\"><img src=x></a>"), "the id itself is shown as text: {}", page.body);
    app.stop().await;
}

app_test!(cancel_and_retry_from_the_job_page);
async fn cancel_and_retry_from_the_job_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let id = enqueue_idle(&app, "test-alpha", None).await;

    // Without the CSRF token nothing happens.
    let refused = ui.post_raw(&format!("/jobs/{id}/cancel"), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(api_state(&app, id).await, "pending");

    let page = ui.post_form(&format!("/jobs/{id}/cancel"), &[]).await;
    assert_eq!((page.status, page.location.clone()), (303, Some(format!("/jobs/{id}"))), "{}", page.body);
    assert_eq!(api_state(&app, id).await, "cancelled");
    let page = ui.get(&format!("/jobs/{id}")).await;
    assert!(page.body.contains(&format!("action=\"/jobs/{id}/retry\"")), "a cancelled job can be retried");
    assert!(!page.body.contains(&format!("action=\"/jobs/{id}/cancel\"")));

    // A finished job cannot be cancelled again: the page says why, at the API's status.
    let page = ui.post_form(&format!("/jobs/{id}/cancel"), &[]).await;
    assert_page(&page, 409);
    assert!(page.body.contains(&format!("job {id} is cancelled: cannot cancel")), "{}", page.body);
    assert!(page.body.contains(&format!("Job #{id}")), "the job is shown with the message");

    let page = ui.post_form(&format!("/jobs/{id}/retry"), &[]).await;
    assert_eq!((page.status, page.location.clone()), (303, Some(format!("/jobs/{id}"))), "{}", page.body);
    assert_eq!(api_state(&app, id).await, "pending");
    let page = ui.post_form(&format!("/jobs/{id}/retry"), &[]).await;
    assert_page(&page, 409);
    assert!(page.body.contains(&format!("job {id} is pending: cannot retry")), "{}", page.body);

    // A running job: retry is refused, cancel asks its handler to stop.
    let sleeper = app.enqueue_sleep(60_000).await.id;
    app.wait_for_state(sleeper, JobState::Running).await;
    let page = ui.get(&format!("/jobs/{sleeper}")).await;
    assert!(page.body.contains("data-job-state=\"running\""));
    assert!(page.body.contains("id=\"job-fields-heading\""));
    assert!(page.body.contains("Lease expires"), "a running job shows its lease: {}", page.body);
    let page = ui.post_form(&format!("/jobs/{sleeper}/retry"), &[]).await;
    assert_page(&page, 409);
    assert!(page.body.contains(&format!("job {sleeper} is running: cannot retry")), "{}", page.body);
    let page = ui.post_form(&format!("/jobs/{sleeper}/cancel"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    app.wait_for_state(sleeper, JobState::Cancelled).await;
    assert_eq!(api_state(&app, sleeper).await, "cancelled");

    let page = ui.post_form("/jobs/987654321/retry", &[]).await;
    assert_page(&page, 404);
    let page = ui.post_form("/jobs/abc/cancel", &[]).await;
    assert_page(&page, 400);
    app.stop().await;
}

app_test!(retrying_a_failed_job_from_its_page_runs_it_again);
async fn retrying_a_failed_job_from_its_page_runs_it_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let id = failed_sleep(&app, json!("never")).await;
    let page = ui.get(&format!("/jobs/{id}")).await;
    assert!(page.body.contains(&format!("action=\"/jobs/{id}/retry\"")), "{}", page.body);
    assert!(page.body.contains("1 of 5"), "{}", page.body);

    // The bad payload fails again at once, so watch the queue's events rather than poll.
    let mut events = app.queue.subscribe();
    let page = ui.post_form(&format!("/jobs/{id}/retry"), &[]).await;
    assert_eq!((page.status, page.location.clone()), (303, Some(format!("/jobs/{id}"))), "{}", page.body);
    let requeued = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let event = events.recv().await.expect("queue events");
            if event.job.id == id && event.kind == JobEventKind::Created {
                return event.job;
            }
        }
    })
    .await
    .expect("the retry re-queues the job");
    assert_eq!(requeued.state, JobState::Pending);
    assert_eq!(requeued.attempt, 0, "fresh attempts");
    // It ran again: claimed and failed a second time, with its attempt counted afresh.
    let job = app.wait_for_state(id, JobState::Failed).await;
    assert_eq!(job.attempt, 1);
    app.stop().await;
}

app_test!(clear_finished_jobs_from_the_list);
async fn clear_finished_jobs_from_the_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ui = UiClient::new(&app);
    let done = app.enqueue_sleep(0).await.id;
    app.wait_for_state(done, JobState::Completed).await;
    let pending = enqueue_idle(&app, "test-alpha", None).await;

    let page = ui.get("/jobs").await;
    assert!(page.body.contains("action=\"/jobs/clear\"") && page.body.contains("data-confirm="), "{}", page.body);

    // Nothing finished a week ago yet.
    let page = ui.post_form("/jobs/clear", &[("older_than_days", "7")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/jobs?cleared=0")), "{}", page.body);
    assert_eq!(api_state(&app, done).await, "completed");

    let page = ui.post_form("/jobs/clear", &[("older_than_days", "0")]).await;
    assert_eq!((page.status, page.location.as_deref()), (303, Some("/jobs?cleared=1")), "{}", page.body);
    let (status, _) = app.get(&format!("/jobs/{done}")).await;
    assert_eq!(status, 404, "the finished job is gone");
    assert_eq!(api_state(&app, pending).await, "pending", "pending jobs stay");
    let page = ui.get("/jobs?cleared=1").await;
    assert!(page.body.contains("Cleared 1 finished job."), "{}", page.body);
    assert_eq!(row_ids(&page.body), vec![pending]);

    let page = ui.post_form("/jobs/clear", &[("older_than_days", "5")]).await;
    assert_page(&page, 400);
    app.stop().await;
}
