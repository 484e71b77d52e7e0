//! `/jobs` and `/jobs/{id}`: the queue's live list and history (filters, cursor paging, counts per
//! state), one job's detail with the other jobs of its correlation id, and retry, cancel and clear.
//!
//! The actions call the queue exactly as `routes/jobs.rs` does, so the UI refuses the same
//! transitions with the same messages (retrying a running job is a 409 here as in the API).

use super::{Ui, UiError, render, render_html, render_with, see_other, vary_on_htmx, wants_fragment, when};
use crate::routes::AppState;
use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, TimeDelta, Utc};
use metarr_queue::{Job, JobId, JobState, ListFilter, QueueError, Stats};
use serde::Deserialize;
use std::collections::BTreeSet;

/// Jobs per page of the list.
const PAGE_SIZE: usize = 50;
/// Correlation siblings shown on a job's page; the list filtered by the id shows them all.
const SIBLINGS_SHOWN: usize = 100;
/// Characters of an error shown in the list; the job's page shows all of it.
const ERROR_EXCERPT_CHARS: usize = 120;
/// The choices of the "clear finished" form, in days; 0 clears every finished job.
const CLEAR_CHOICES: [i64; 5] = [0, 1, 7, 30, 90];

/// The jobs pages' routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(list))
        .route("/jobs/clear", post(clear))
        .route("/jobs/{id}", get(detail))
        .route("/jobs/{id}/retry", post(retry))
        .route("/jobs/{id}/cancel", post(cancel))
}

/// The list's filters as read from the query string; bad values get our own 400 page.
#[derive(Debug, Default, Clone)]
struct Filters {
    state: Option<JobState>,
    kind: String,
    correlation_id: String,
    before: Option<JobId>,
}

impl Filters {
    /// Reads `state`, `kind`, `correlation_id` and `before`; the last of repeated names wins.
    fn parse(query: &str) -> Result<Filters, UiError> {
        let mut filters = Filters::default();
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            let value = value.trim();
            match &*name {
                "state" => {
                    filters.state = match value {
                        "" | "all" => None,
                        state => Some(state.parse::<JobState>().map_err(|err| UiError::BadRequest(err.to_string()))?),
                    }
                }
                "kind" => filters.kind = value.to_owned(),
                "correlation_id" => filters.correlation_id = value.to_owned(),
                "before" => {
                    filters.before = match value {
                        "" => None,
                        before => {
                            Some(before.parse::<JobId>().ok().filter(|id| id.get() > 0).ok_or_else(|| {
                                UiError::BadRequest(format!("before must be a job id, got {before:?}"))
                            })?)
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(filters)
    }

    /// True when some jobs are left out (paging aside).
    fn is_filtering(&self) -> bool {
        self.state.is_some() || !self.kind.is_empty() || !self.correlation_id.is_empty()
    }

    /// The list's URL with these filters, another state and another page.
    fn href(&self, state: Option<JobState>, before: Option<JobId>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(state) = state {
            query.append_pair("state", state.as_str());
        }
        if !self.kind.is_empty() {
            query.append_pair("kind", &self.kind);
        }
        if !self.correlation_id.is_empty() {
            query.append_pair("correlation_id", &self.correlation_id);
        }
        if let Some(before) = before {
            query.append_pair("before", &before.to_string());
        }
        match query.finish() {
            query if query.is_empty() => "/jobs".to_owned(),
            query => format!("/jobs?{query}"),
        }
    }

    fn list_filter(&self) -> ListFilter {
        ListFilter {
            state: self.state,
            kind: (!self.kind.is_empty()).then(|| self.kind.clone()),
            correlation_id: (!self.correlation_id.is_empty()).then(|| self.correlation_id.clone()),
            before_id: self.before,
            limit: PAGE_SIZE,
        }
    }
}

/// A time as a page shows it, with its machine-readable form for `<time datetime>`.
pub struct Stamp {
    pub iso: String,
    pub text: String,
}

impl Stamp {
    /// Minutes, for the list.
    fn short(time: Option<&DateTime<Utc>>) -> Stamp {
        Stamp { iso: time.map(DateTime::to_rfc3339).unwrap_or_default(), text: time.map(when).unwrap_or_default() }
    }

    /// Seconds, for a job's page, where the order of its steps matters.
    fn exact(time: Option<&DateTime<Utc>>) -> Stamp {
        Stamp {
            iso: time.map(DateTime::to_rfc3339).unwrap_or_default(),
            text: time.map(|time| time.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_default(),
        }
    }
}

/// One job as a table line.
pub struct JobRow {
    pub id: JobId,
    pub kind: String,
    pub state: &'static str,
    pub attempt: i32,
    pub max_attempts: i32,
    pub running: bool,
    pub percent: u32,
    pub created: Stamp,
    pub started: Stamp,
    pub finished: Stamp,
    /// The first line of the last error, shortened.
    pub error: String,
    /// The whole error, for the tooltip.
    pub full_error: String,
}

impl JobRow {
    fn of(job: &Job) -> JobRow {
        let full_error = job.last_error.clone().unwrap_or_default();
        JobRow {
            id: job.id,
            kind: job.kind.clone(),
            state: job.state.as_str(),
            attempt: job.attempt,
            max_attempts: job.max_attempts,
            running: job.state == JobState::Running,
            percent: percent(job),
            created: Stamp::short(Some(&job.created_at)),
            started: Stamp::short(job.started_at.as_ref()),
            finished: Stamp::short(job.finished_at.as_ref()),
            error: excerpt(&full_error),
            full_error,
        }
    }
}

pub(super) fn percent(job: &Job) -> u32 {
    job.progress.as_ref().map_or(0, |progress| progress.percent.clamp(0.0, 100.0).round() as u32)
}

/// The first line of an error, cut at a character boundary.
fn excerpt(error: &str) -> String {
    let line = error.lines().next().unwrap_or_default();
    if line.chars().count() <= ERROR_EXCERPT_CHARS && line.len() == error.trim_end().len() {
        return line.to_owned();
    }
    let mut short: String = line.chars().take(ERROR_EXCERPT_CHARS).collect();
    short.push('…');
    short
}

/// A count per state above the list, linking to that state.
pub struct StateCount {
    pub label: &'static str,
    pub count: i64,
    pub href: String,
    pub current: bool,
}

/// An option of a `<select>`.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The live part of the list: counts, the table and the pager. Served alone for htmx refreshes.
#[derive(Template)]
#[template(path = "jobs_table.html")]
pub struct JobsTable {
    /// What the counts count: all jobs, or one kind's.
    counts_of: String,
    counts: Vec<StateCount>,
    rows: Vec<JobRow>,
    /// Where the region refreshes itself from; only the first page is live, so that a page
    /// being read does not shift under the reader.
    live_url: Option<String>,
    older_url: Option<String>,
    newest_url: Option<String>,
    filtered: bool,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    ui: Ui,
    states: Vec<Choice>,
    kinds: Vec<Choice>,
    correlation_id: String,
    filtered: bool,
    clear_choices: Vec<Choice>,
    /// What the last "clear finished" did.
    cleared: Option<String>,
    /// The rendered live region.
    table: String,
}

/// `GET /jobs?state=&kind=&correlation_id=&before=`: the whole page, or its live region alone
/// when htmx refreshes it.
pub async fn list(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, UiError> {
    let query = query.unwrap_or_default();
    let filters = Filters::parse(&query)?;
    let stats = state.queue.stats().await?;
    let table = jobs_table(&state, &filters, &stats).await?;
    if wants_fragment(&headers) {
        return Ok(vary_on_htmx(render(&table)));
    }
    let cleared = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "cleared")
        .and_then(|(_, value)| value.parse::<u64>().ok())
        .map(|count| match count {
            1 => "Cleared 1 finished job.".to_owned(),
            count => format!("Cleared {count} finished jobs."),
        });
    let all =
        std::iter::once(Choice { value: "all".into(), label: "All states".into(), selected: filters.state.is_none() });
    let states = all
        .chain(JobState::ALL.into_iter().map(|job_state| Choice {
            value: job_state.as_str().into(),
            label: job_state.as_str().into(),
            selected: filters.state == Some(job_state),
        }))
        .collect();
    // A bookmarked kind that has no jobs any more stays selectable.
    let mut known: BTreeSet<String> = stats.kinds.keys().cloned().collect();
    if !filters.kind.is_empty() {
        known.insert(filters.kind.clone());
    }
    let kinds =
        std::iter::once(Choice { value: String::new(), label: "All kinds".into(), selected: filters.kind.is_empty() })
            .chain(known.into_iter().map(|kind| Choice {
                selected: kind == filters.kind,
                label: kind.clone(),
                value: kind,
            }))
            .collect();
    let clear_choices = CLEAR_CHOICES
        .iter()
        .map(|days| Choice {
            value: days.to_string(),
            label: match days {
                0 => "all finished jobs".to_owned(),
                1 => "finished more than a day ago".to_owned(),
                days => format!("finished more than {days} days ago"),
            },
            selected: *days == 7,
        })
        .collect();
    let page = JobsPage {
        ui: ui.at("jobs"),
        states,
        kinds,
        correlation_id: filters.correlation_id.clone(),
        filtered: filters.is_filtering(),
        clear_choices,
        cleared,
        table: render_html(&table)?,
    };
    Ok(vary_on_htmx(render(&page)))
}

async fn jobs_table(state: &AppState, filters: &Filters, stats: &Stats) -> Result<JobsTable, UiError> {
    let page = state.queue.list(&filters.list_filter()).await?;
    // The counts follow the kind filter when there is one; a correlation id has no counts.
    let per_state = if filters.kind.is_empty() { Some(&stats.states) } else { stats.kinds.get(&filters.kind) };
    let count_of =
        |job_state: JobState| per_state.and_then(|counts| counts.get(job_state.as_str())).copied().unwrap_or(0);
    let mut counts = vec![StateCount {
        label: "all",
        count: JobState::ALL.into_iter().map(count_of).sum(),
        href: filters.href(None, None),
        current: filters.state.is_none(),
    }];
    counts.extend(JobState::ALL.into_iter().map(|job_state| StateCount {
        label: job_state.as_str(),
        count: count_of(job_state),
        href: filters.href(Some(job_state), None),
        current: filters.state == Some(job_state),
    }));
    let counts_of =
        if filters.kind.is_empty() { "all jobs".to_owned() } else { format!("jobs of kind {}", filters.kind) };
    Ok(JobsTable {
        counts_of,
        counts,
        rows: page.items.iter().map(JobRow::of).collect(),
        live_url: filters.before.is_none().then(|| filters.href(filters.state, None)),
        older_url: page.next_before_id.map(|before| filters.href(filters.state, Some(before))),
        newest_url: filters.before.is_some().then(|| filters.href(filters.state, None)),
        filtered: filters.is_filtering(),
    })
}

/// The "clear finished" form.
#[derive(Debug, Deserialize)]
pub struct ClearForm {
    #[serde(default)]
    older_than_days: String,
}

/// `POST /jobs/clear`: deletes finished jobs, as `DELETE /api/v1/jobs?finished_before=` does.
pub async fn clear(State(state): State<AppState>, Form(form): Form<ClearForm>) -> Result<Response, UiError> {
    let days = form.older_than_days.trim().parse::<i64>().ok().filter(|days| CLEAR_CHOICES.contains(days)).ok_or_else(
        || UiError::BadRequest(format!("choose how old the jobs to clear are, got {:?}", form.older_than_days)),
    )?;
    // "All" reaches a minute ahead: on PostgreSQL jobs finish on the database's clock, which may
    // run slightly ahead of ours, and no job can have finished in the future.
    let before = match days {
        0 => Utc::now() + TimeDelta::minutes(1),
        days => Utc::now() - TimeDelta::try_days(days).ok_or_else(|| UiError::BadRequest("too many days".into()))?,
    };
    let deleted = state.queue.delete_finished_before(before).await?;
    Ok(see_other(&format!("/jobs?cleared={deleted}")))
}

/// A job's live part: state, actions, fields, error, payload and correlation siblings. Served
/// alone for htmx refreshes while the job is not finished.
#[derive(Template)]
#[template(path = "job_detail.html")]
pub struct JobDetail {
    csrf: String,
    id: JobId,
    kind: String,
    state: &'static str,
    /// Refresh on job events while the job can still change by itself.
    live: bool,
    can_cancel: bool,
    can_retry: bool,
    cancel_requested: bool,
    running: bool,
    percent: u32,
    progress_message: String,
    priority: i16,
    attempt: i32,
    max_attempts: i32,
    run_at: Stamp,
    created: Stamp,
    started: Stamp,
    finished: Stamp,
    lease_expires: Stamp,
    locked_by: String,
    parent_id: Option<JobId>,
    correlation_id: String,
    correlation_href: String,
    unique_key: String,
    last_error: String,
    payload: String,
    siblings: Vec<JobRow>,
    /// More siblings exist than are shown.
    more_siblings: bool,
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    ui: Ui,
    id: JobId,
    kind: String,
    /// Why an action was refused, shown above the job.
    error: Option<String>,
    /// The rendered live part.
    detail: String,
}

/// `GET /jobs/{id}`: the whole page, or its live part alone when htmx refreshes it.
pub async fn detail(
    State(state): State<AppState>,
    ui: Ui,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = parse_id(&id)?;
    let detail = job_detail(&state, &ui.csrf, id).await?;
    if wants_fragment(&headers) {
        return Ok(vary_on_htmx(render(&detail)));
    }
    Ok(vary_on_htmx(job_page(ui, detail, None, StatusCode::OK)?))
}

/// `POST /jobs/{id}/retry`: failed or cancelled → pending, as `POST /api/v1/jobs/{id}/retry`.
pub async fn retry(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_id(&id)?;
    match state.queue.retry(id).await {
        Ok(_) => Ok(see_other(&format!("/jobs/{id}"))),
        Err(err) => refused(&state, ui, id, err).await,
    }
}

/// `POST /jobs/{id}/cancel`: as `POST /api/v1/jobs/{id}/cancel`; a running job is asked to stop.
pub async fn cancel(State(state): State<AppState>, ui: Ui, Path(id): Path<String>) -> Result<Response, UiError> {
    let id = parse_id(&id)?;
    match state.queue.cancel(id).await {
        Ok(_) => Ok(see_other(&format!("/jobs/{id}"))),
        Err(err) => refused(&state, ui, id, err).await,
    }
}

/// A refused transition shows the job as it is now with the reason, at the API's status (409);
/// other errors (an unknown job) are the plain error page.
async fn refused(state: &AppState, ui: Ui, id: JobId, err: QueueError) -> Result<Response, UiError> {
    match UiError::from(err) {
        UiError::Conflict(message) => {
            let detail = job_detail(state, &ui.csrf, id).await?;
            job_page(ui, detail, Some(message), StatusCode::CONFLICT)
        }
        other => Err(other),
    }
}

fn parse_id(raw: &str) -> Result<JobId, UiError> {
    raw.parse::<JobId>().map_err(|_| UiError::BadRequest(format!("job ids are numbers, got {raw:?}")))
}

fn job_page(ui: Ui, detail: JobDetail, error: Option<String>, status: StatusCode) -> Result<Response, UiError> {
    let page =
        JobPage { ui: ui.at("jobs"), id: detail.id, kind: detail.kind.clone(), error, detail: render_html(&detail)? };
    Ok(render_with(status, &page))
}

async fn job_detail(state: &AppState, csrf: &str, id: JobId) -> Result<JobDetail, UiError> {
    let job = state.queue.get(id).await?;
    let (siblings, more_siblings) = match &job.correlation_id {
        Some(correlation_id) => {
            // One more than shown tells whether there are more, the job itself aside.
            let filter = ListFilter {
                correlation_id: Some(correlation_id.clone()),
                limit: SIBLINGS_SHOWN + 1,
                ..ListFilter::default()
            };
            let page = state.queue.list(&filter).await?;
            let more = page.next_before_id.is_some();
            let others: Vec<JobRow> =
                page.items.iter().filter(|other| other.id != job.id).take(SIBLINGS_SHOWN).map(JobRow::of).collect();
            (others, more)
        }
        None => (Vec::new(), false),
    };
    let correlation_id = job.correlation_id.clone().unwrap_or_default();
    let correlation_href = Filters { correlation_id: correlation_id.clone(), ..Filters::default() }.href(None, None);
    Ok(JobDetail {
        csrf: csrf.to_owned(),
        id: job.id,
        kind: job.kind.clone(),
        state: job.state.as_str(),
        live: !job.state.is_finished(),
        can_cancel: matches!(job.state, JobState::Pending | JobState::Running) && !job.cancel_requested,
        can_retry: matches!(job.state, JobState::Failed | JobState::Cancelled),
        cancel_requested: job.cancel_requested,
        running: job.state == JobState::Running,
        percent: percent(&job),
        progress_message: job.progress.as_ref().and_then(|progress| progress.message.clone()).unwrap_or_default(),
        priority: job.priority,
        attempt: job.attempt,
        max_attempts: job.max_attempts,
        run_at: Stamp::exact(Some(&job.run_at)),
        created: Stamp::exact(Some(&job.created_at)),
        started: Stamp::exact(job.started_at.as_ref()),
        finished: Stamp::exact(job.finished_at.as_ref()),
        lease_expires: Stamp::exact(job.lease_expires_at.as_ref()),
        locked_by: job.locked_by.clone().unwrap_or_default(),
        parent_id: job.parent_id,
        correlation_id,
        correlation_href,
        unique_key: job.unique_key.clone().unwrap_or_default(),
        last_error: job.last_error.clone().unwrap_or_default(),
        payload: serde_json::to_string_pretty(&job.payload).unwrap_or_else(|_| job.payload.to_string()),
        siblings,
        more_siblings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_the_query_and_write_it_back_encoded() {
        let filters = Filters::parse("state=failed&kind=scan+movie&correlation_id=a%26b&before=42").expect("valid");
        assert_eq!(filters.state, Some(JobState::Failed));
        assert_eq!(filters.kind, "scan movie");
        assert_eq!(filters.correlation_id, "a&b");
        assert_eq!(filters.before, Some(JobId(42)));
        assert_eq!(filters.href(filters.state, None), "/jobs?state=failed&kind=scan+movie&correlation_id=a%26b");
        assert_eq!(Filters::default().href(None, Some(JobId(7))), "/jobs?before=7");
        assert_eq!(Filters::default().href(None, None), "/jobs");
        let all = Filters::parse("state=all&kind=&before=").expect("valid");
        assert_eq!((all.state, all.kind.as_str(), all.before), (None, "", None));
        for bad in ["state=sleeping", "before=x", "before=0", "before=-3"] {
            assert!(matches!(Filters::parse(bad), Err(UiError::BadRequest(_))), "{bad}");
        }
    }

    #[test]
    fn error_excerpts_keep_the_first_line_and_cut_on_characters() {
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt("first\nsecond"), "first…");
        let long = "é".repeat(ERROR_EXCERPT_CHARS + 5);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), ERROR_EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
    }
}
