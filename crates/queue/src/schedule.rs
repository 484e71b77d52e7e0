//! Cron schedules: parsing, finding the slot that is due, and the job a slot enqueues.
//!
//! A slot is an instant the expression matches. Firing a slot is a compare-and-set on the
//! schedule's `last_slot` in the store, so one slot fires once however many processes run.

use crate::error::{QueueError, Result};
use crate::job::NewJob;
use crate::store::Schedule;
use chrono::{DateTime, Local, Utc};
use croner::Cron;

/// Missed slots are coalesced into the latest; stop looking after this many.
const MAX_SLOTS_SCANNED: usize = 100_000;

/// Parses a 5-field crontab expression (or an `@daily`-style nickname).
pub fn parse(expression: &str) -> Result<Cron> {
    let invalid = |reason: String| QueueError::InvalidCron { expression: expression.to_owned(), reason };
    let fields = expression.split_whitespace().count();
    if !expression.trim_start().starts_with('@') && fields != 5 {
        return Err(invalid(format!("expected 5 fields (minute hour day-of-month month day-of-week), found {fields}")));
    }
    Cron::new(expression).parse().map_err(|err| invalid(err.to_string()))
}

/// The next instant after `after` that the schedule matches, in the server's local time zone.
pub fn next_after(cron: &Cron, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    cron.find_next_occurrence(&after.with_timezone(&Local), false).ok().map(|t| t.with_timezone(&Utc))
}

/// The latest slot at or before `now` that has not fired yet, if any.
///
/// Slots before the schedule's last change never fire: editing a schedule does not
/// replay what it would have done before.
pub fn due_slot(schedule: &Schedule, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
    let cron = parse(&schedule.cron)?;
    let start = schedule.last_slot.map_or(schedule.updated_at, |last| last.max(schedule.updated_at));
    let mut due = None;
    let mut cursor = start;
    for _ in 0..MAX_SLOTS_SCANNED {
        match next_after(&cron, cursor) {
            Some(slot) if slot <= now => {
                due = Some(slot);
                cursor = slot;
            }
            _ => break,
        }
    }
    Ok(due)
}

/// The job a schedule enqueues. Its unique key keeps one run of a schedule active at a time.
pub fn job_for(schedule: &Schedule, slot: Option<DateTime<Utc>>) -> NewJob {
    NewJob::raw(schedule.kind.clone(), serde_json::json!({ "schedule": schedule.name, "slot": slot }))
        .priority(8)
        .max_attempts(3)
        .unique_key(format!("schedule:{}", schedule.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn schedule(cron: &str, updated_at: DateTime<Utc>, last_slot: Option<DateTime<Utc>>) -> Schedule {
        Schedule {
            name: "cleanup".into(),
            kind: "scheduled-cleanup".into(),
            cron: cron.into(),
            enabled: true,
            last_slot,
            last_job_id: None,
            updated_at,
        }
    }

    #[test]
    fn rejects_expressions_with_wrong_field_count_or_values() {
        let err = parse("* * * *").expect_err("4 fields");
        assert!(err.to_string().contains("expected 5 fields"), "{err}");
        assert!(parse("0 0 * * * *").is_err(), "6 fields (seconds) are not crontab");
        let err = parse("61 * * * *").expect_err("minute 61");
        assert!(err.to_string().contains("61 * * * *"), "{err}");
        assert!(parse("*/15 3 * * 1-5").is_ok());
        assert!(parse("@daily").is_ok());
    }

    #[test]
    fn due_slot_is_the_latest_unfired_one() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 30).single().expect("valid date");
        let every_minute = schedule("* * * * *", t0, None);
        assert_eq!(due_slot(&every_minute, t0).expect("parses"), None);
        let now = t0 + chrono::Duration::seconds(200);
        let due = due_slot(&every_minute, now).expect("parses").expect("three slots passed");
        assert_eq!(due, Utc.with_ymd_and_hms(2026, 1, 1, 0, 3, 0).single().expect("valid date"));
        let fired = schedule("* * * * *", t0, Some(due));
        assert_eq!(due_slot(&fired, now).expect("parses"), None, "a fired slot never fires again");
    }
}
