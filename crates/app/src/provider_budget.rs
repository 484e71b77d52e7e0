//! The providers' budgets that hold across every process sharing the database: one rate limit
//! per provider, the provider's own `Retry-After`, and an optional daily quota, behind the
//! [`Gate`] every provider client is made with.
//!
//! A request is let through only after it reserved a slot in its provider's row of
//! `provider_budgets` (migration 20017): one statement checks the block and the quota, counts the
//! request and moves the next free slot one interval on, so two processes can never hand out the
//! same slot and the quota can never be exceeded, however many workers ask at once. Requests are
//! spaced rather than bursted, with a small margin, so that no one-second window holds more than
//! the limit even when a sleeper wakes a little late; a burst on an idle provider starts a moment
//! after its first reservation, once the workers that start it at once are done reserving.

use std::num::NonZeroU32;
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use metarr_db::Backend;
use metarr_providers::{Gate, Provider, ProvidersSettings, Refusal, until_next_utc_midnight};
use serde::Serialize;
use tokio::time::Instant;

use crate::db::{Db, DbError, Param};

/// How much longer than `1 / requests_per_second` the interval between two requests is, in
/// thousandths. A request goes out when its sleep ends, which can be later than its slot: on a
/// busy two-core machine, two worker processes sharing a limit were measured sending one 48 ms
/// late, which a 3 % margin let into the same one-second window as eight others. 8 % of a
/// second absorbs 80 ms without letting an extra request into any one-second window.
const MARGIN_PER_MILLE: u64 = 80;

/// How long a request is held back when the database cannot be asked: the budget cannot be
/// checked, so nothing goes out, and the job snoozes instead of failing.
const UNAVAILABLE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// How often a refused reservation is tried again when the refusal's reason has cleared by the
/// time it is looked up (a block that just ended, a day that just began).
const RESERVE_ATTEMPTS: usize = 3;

/// How long after its reservation the first request of a burst goes out, and how long a
/// provider must have had no request for the next one to count as such a first request.
///
/// When a batch of jobs starts, its workers reserve their slots and open their connections at
/// once, and the first requests would go out in the middle of that work, which delays them more
/// than the ones that follow; a request later than the next ones shortens the gap to them and
/// eats the margin. Starting the burst a little later lets that work finish first. A request
/// within a busy second is not delayed, so a worker calling one provider after another does not
/// pay this on every call; a lone request after a quiet second pays it once.
const IDLE_LEAD_US: i64 = 50_000;
const IDLE_AFTER_US: i64 = 1_000_000;

/// The longest block [`DbGate::note_retry_after`] records.
const LONGEST_BLOCK: Duration = Duration::from_secs(366 * 24 * 60 * 60);

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// A budget operation that failed in the database.
#[derive(Debug, thiserror::Error)]
#[error("{operation} for {provider}")]
pub struct BudgetError {
    /// The provider whose budget was being read or written.
    pub provider: Provider,
    /// What was being done, such as "reserving a request slot".
    pub operation: &'static str,
    #[source]
    pub source: DbError,
}

/// Result of budget operations.
pub type Result<T, E = BudgetError> = std::result::Result<T, E>;

/// What a provider's budget looks like now, for the API and the UI ("calls used today and
/// quota").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderUsage {
    pub provider: Provider,
    /// Requests let through since the last midnight UTC, by every process.
    pub used_today: u64,
    /// The daily quota in force, if any.
    pub daily_quota: Option<u32>,
    /// The rate limit in force.
    pub requests_per_second: u32,
    /// Until when the provider asked us to wait (milliseconds since the epoch), while it does.
    pub blocked_until_ms: Option<i64>,
}

/// One provider's limits, as configured or as changed at run time.
#[derive(Debug, Clone, Copy)]
struct Limits {
    requests_per_second: NonZeroU32,
    daily_quota: Option<NonZeroU32>,
}

impl Limits {
    /// The time between two requests, margin included, rounded up to a whole microsecond.
    fn interval_us(self) -> i64 {
        let per_second = u64::from(self.requests_per_second.get());
        let interval = (1_000_000 * (1000 + MARGIN_PER_MILLE)).div_ceil(1000 * per_second);
        i64::try_from(interval).expect("at most 1.03 s in microseconds fits in i64")
    }

    /// The quota as the reservation compares it; no quota is one no day can reach.
    fn quota_param(self) -> i64 {
        self.daily_quota.map_or(i64::MAX, |quota| i64::from(quota.get()))
    }
}

/// The gate in front of every provider request: the cross-process rate limit, the provider's
/// `Retry-After` and the daily quota, kept in the database.
pub struct DbGate {
    db: Db,
    /// The current clock, as SQL: see [`clock_us`].
    clock: &'static str,
    /// Indexed by [`index`]; changed at run time by [`DbGate::set_limits`].
    limits: RwLock<[Limits; 3]>,
}

impl std::fmt::Debug for DbGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbGate").field("limits", &self.limits).finish_non_exhaustive()
    }
}

/// A provider's row as read when a reservation was refused, to say why.
#[derive(Debug, sqlx::FromRow)]
struct BudgetRow {
    blocked_until_ms: i64,
    usage_day: i64,
    used_today: i64,
    now_us: i64,
}

impl BudgetRow {
    fn used_today(&self) -> i64 {
        if self.usage_day == self.now_us.div_euclid(MICROS_PER_DAY) { self.used_today } else { 0 }
    }

    fn now_ms(&self) -> i64 {
        self.now_us.div_euclid(1000)
    }
}

impl DbGate {
    /// A gate over `db` with the limits of `settings`.
    pub fn new(db: Db, settings: &ProvidersSettings) -> DbGate {
        let clock = clock_us(db.queue().database().backend());
        let limits = Provider::ALL.map(|provider| match provider {
            Provider::Tmdb => Limits {
                requests_per_second: settings.tmdb.requests_per_second,
                daily_quota: settings.tmdb.daily_quota,
            },
            Provider::Fanart => Limits {
                requests_per_second: settings.fanart.requests_per_second,
                daily_quota: settings.fanart.daily_quota,
            },
            Provider::Omdb => Limits {
                requests_per_second: settings.omdb.requests_per_second,
                daily_quota: settings.omdb.daily_quota,
            },
        });
        DbGate { db, clock, limits: RwLock::new(limits) }
    }

    /// Changes a provider's limits for every request from now on (settings changed at run
    /// time). Slots already reserved keep their times.
    pub fn set_limits(&self, provider: Provider, requests_per_second: NonZeroU32, daily_quota: Option<NonZeroU32>) {
        // A poisoned lock only means a panic between two plain assignments of `Copy` values.
        let mut limits = self.limits.write().unwrap_or_else(PoisonError::into_inner);
        limits[index(provider)] = Limits { requests_per_second, daily_quota };
    }

    fn limits(&self, provider: Provider) -> Limits {
        self.limits.read().unwrap_or_else(PoisonError::into_inner)[index(provider)]
    }

    /// Records a provider's "not before": until `retry_after` from now, every process's
    /// requests to it are refused with the time left. A shorter wait never shortens a longer
    /// one already recorded.
    pub async fn note_retry_after(&self, provider: Provider, retry_after: Duration) -> Result<()> {
        // Providers cap their waits at a day; a year keeps any sum with the clock far from
        // overflowing.
        let wait_ms = i64::try_from(retry_after.min(LONGEST_BLOCK).as_millis()).unwrap_or(i64::MAX / 4);
        let now_ms = format!("({} / 1000)", self.clock);
        let sql = format!(
            "UPDATE provider_budgets SET blocked_until_ms = CASE WHEN blocked_until_ms > {now_ms} + $2 \
             THEN blocked_until_ms ELSE {now_ms} + $2 END WHERE provider = $1"
        );
        let params = [Param::from(provider.as_str()), Param::Int(wait_ms)];
        let operation = "recording a provider's Retry-After";
        if self.db.execute(&sql, &params).await.map_err(failed(provider, operation))? == 0 {
            self.ensure_row(provider).await?;
            self.db.execute(&sql, &params).await.map_err(failed(provider, operation))?;
        }
        Ok(())
    }

    /// The provider's usage today, its limits and its block, if any.
    pub async fn usage(&self, provider: Provider) -> Result<ProviderUsage> {
        let limits = self.limits(provider);
        let row = self.read(provider).await?;
        let (used_today, blocked_until_ms) = match &row {
            Some(row) => (row.used_today(), Some(row.blocked_until_ms).filter(|until| *until > row.now_ms())),
            None => (0, None),
        };
        Ok(ProviderUsage {
            provider,
            used_today: u64::try_from(used_today).unwrap_or(0),
            daily_quota: limits.daily_quota.map(NonZeroU32::get),
            requests_per_second: limits.requests_per_second.get(),
            blocked_until_ms,
        })
    }

    /// Reserves the next slot for a request to `provider`, or says why not.
    async fn admit(&self, provider: Provider) -> Result<Admission> {
        for _ in 0..RESERVE_ATTEMPTS {
            let limits = self.limits(provider);
            if let Some(slot) = self.reserve(provider, limits).await? {
                return Ok(Admission::Slot(slot));
            }
            let Some(row) = self.read(provider).await? else {
                self.ensure_row(provider).await?;
                continue;
            };
            if row.blocked_until_ms > row.now_ms() {
                let left_ms = u64::try_from(row.blocked_until_ms - row.now_ms()).unwrap_or(1);
                return Ok(Admission::Refused(Refusal { retry_after: Duration::from_millis(left_ms) }));
            }
            if row.used_today() >= limits.quota_param() {
                let now = DateTime::<Utc>::from_timestamp_micros(row.now_us).unwrap_or_else(Utc::now);
                return Ok(Admission::Refused(Refusal { retry_after: until_next_utc_midnight(now) }));
            }
            // The reason cleared in between (the block ended, a new day began, the limits
            // changed): try again.
        }
        Ok(Admission::Refused(Refusal { retry_after: Duration::from_secs(1) }))
    }

    /// The one statement of a reservation: when the provider is not blocked and its quota
    /// is not spent, counts the request and takes the next slot. Answers when the request may
    /// go out, or `None` when it was refused.
    ///
    /// The clock is read after the row is locked (PostgreSQL re-evaluates the statement on
    /// the row it waited for). The slot is turned into this process's time from the moment the
    /// statement's answer arrived, before the commit: that moment is after the row was reserved,
    /// so a request may go out late, never early, and it is late by one answer's trip rather
    /// than by a commit, whose duration varies from request to request when many reserve at
    /// once (a request later than the next one shortens the gap between them).
    async fn reserve(&self, provider: Provider, limits: Limits) -> Result<Option<Instant>> {
        let now = self.clock;
        let sql = format!(
            "UPDATE provider_budgets SET \
               reserved_at_us = {now}, \
               next_slot_us = CASE WHEN next_slot_us > {now} THEN next_slot_us \
                 WHEN next_slot_us > {now} - {IDLE_AFTER_US} THEN {now} ELSE {now} + $4 END + $2, \
               used_today = CASE WHEN usage_day = {now} / {MICROS_PER_DAY} THEN used_today + 1 ELSE 1 END, \
               usage_day = {now} / {MICROS_PER_DAY} \
             WHERE provider = $1 \
               AND blocked_until_ms <= {now} / 1000 \
               AND (usage_day <> {now} / {MICROS_PER_DAY} OR used_today < $3) \
             RETURNING next_slot_us - $2, reserved_at_us"
        );
        let params = [
            Param::from(provider.as_str()),
            Param::Int(limits.interval_us()),
            Param::Int(limits.quota_param()),
            Param::Int(IDLE_LEAD_US),
        ];
        let operation = "reserving a request slot";
        let mut tx = self.db.begin().await.map_err(failed(provider, operation))?;
        let reserved: Option<(i64, i64)> =
            tx.fetch_optional(&sql, &params).await.map_err(failed(provider, operation))?;
        let answered_at = Instant::now();
        tx.commit().await.map_err(failed(provider, operation))?;
        Ok(reserved.map(|(slot_us, reserved_at_us)| {
            answered_at + Duration::from_micros(u64::try_from(slot_us - reserved_at_us).unwrap_or(0))
        }))
    }

    async fn read(&self, provider: Provider) -> Result<Option<BudgetRow>> {
        let sql = format!(
            "SELECT blocked_until_ms, usage_day, used_today, {} AS now_us FROM provider_budgets WHERE provider = $1",
            self.clock
        );
        self.db
            .fetch_optional(&sql, &[Param::from(provider.as_str())])
            .await
            .map_err(failed(provider, "reading a provider's budget"))
    }

    /// Puts back a provider's row (the migration made one per provider; a provider added later
    /// or a row deleted by hand gets one here).
    async fn ensure_row(&self, provider: Provider) -> Result<()> {
        self.db
            .execute(
                "INSERT INTO provider_budgets (provider) VALUES ($1) ON CONFLICT (provider) DO NOTHING",
                &[Param::from(provider.as_str())],
            )
            .await
            .map_err(failed(provider, "creating a provider's budget"))?;
        Ok(())
    }
}

/// A mapper from the database's error to a [`BudgetError`] naming the provider and operation.
fn failed(provider: Provider, operation: &'static str) -> impl FnOnce(DbError) -> BudgetError {
    move |source| BudgetError { provider, operation, source }
}

/// A reservation's answer.
enum Admission {
    /// A slot was reserved; the request goes out at this moment.
    Slot(Instant),
    Refused(Refusal),
}

#[async_trait]
impl Gate for DbGate {
    async fn before_request(&self, provider: Provider) -> std::result::Result<(), Refusal> {
        match self.admit(provider).await {
            Ok(Admission::Slot(slot)) => {
                let wait = slot.saturating_duration_since(Instant::now());
                metrics::histogram!("metarr_provider_rate_limit_wait_seconds", "provider" => provider.as_str())
                    .record(wait.as_secs_f64());
                metrics::counter!("metarr_provider_requests_total", "provider" => provider.as_str(), "result" => "sent")
                    .increment(1);
                // A caller dropped while it sleeps leaves its slot (and its count) unused, which
                // only makes the limit stricter.
                tokio::time::sleep_until(slot).await;
                Ok(())
            }
            Ok(Admission::Refused(refusal)) => {
                metrics::counter!("metarr_provider_requests_total", "provider" => provider.as_str(), "result" => "held_back")
                    .increment(1);
                Err(refusal)
            }
            Err(err) => {
                // The gate answers only "go" or "not now"; a budget it cannot check is "not now".
                tracing::warn!(%provider, error = %metarr_errors::Chain(&err), "holding a provider request back");
                Err(Refusal { retry_after: UNAVAILABLE_RETRY_AFTER })
            }
        }
    }
}

/// Each provider's place in [`DbGate::limits`].
fn index(provider: Provider) -> usize {
    match provider {
        Provider::Tmdb => 0,
        Provider::Fanart => 1,
        Provider::Omdb => 2,
    }
}

/// The time now in microseconds since the epoch, as SQL: the database's clock on PostgreSQL,
/// shared by every machine using it; on SQLite, whose processes share one machine, that
/// machine's clock (`'now'` is the same throughout one statement).
fn clock_us(backend: Backend) -> &'static str {
    match backend {
        Backend::Postgres => "(extract(epoch from clock_timestamp()) * 1000000)::bigint",
        Backend::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use super::*;

    fn limits(requests_per_second: u32) -> Limits {
        Limits { requests_per_second: NonZeroU32::new(requests_per_second).unwrap(), daily_quota: None }
    }

    #[test]
    fn the_interval_is_the_rate_plus_the_margin() {
        assert_eq!(limits(1).interval_us(), 1_080_000);
        assert_eq!(limits(20).interval_us(), 54_000);
        assert_eq!(limits(40).interval_us(), 27_000);
        assert_eq!(limits(3).interval_us(), 360_000);
        assert_eq!(limits(7).interval_us(), 154_286, "rounded up, never down");
        // N intervals always span more than one second, so N + 1 requests never fit in one.
        for rate in [1, 3, 7, 40, 999, 100_000] {
            assert!(i64::from(rate) * limits(rate).interval_us() >= 1_080_000, "{rate}");
        }
    }

    #[test]
    fn no_quota_is_one_no_day_reaches() {
        assert_eq!(limits(5).quota_param(), i64::MAX);
        let quota = Limits { daily_quota: NonZeroU32::new(1000), ..limits(5) };
        assert_eq!(quota.quota_param(), 1000);
    }
}
