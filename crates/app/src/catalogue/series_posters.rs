//! The cached poster of each series of a list page, in one query: the TV shows page asks for
//! its own page's posters only, as the movies page does with `movies::posters`.
//!
//! Kept apart from `series.rs` only so that the TV UI landed without touching the series
//! repository; it reads the same `series_files` rows `series::detail` reads.

use super::Result;
use super::movies::placeholders;
use crate::db::{Db, Param};
use crate::ids::SeriesId;
use std::collections::HashMap;

/// The cached series-level poster of each of the given series, by series id: `poster.jpg`
/// before `poster1.jpg`, a series without a cached poster left out.
pub async fn posters(db: &Db, series_ids: &[SeriesId]) -> Result<HashMap<SeriesId, String>> {
    let mut posters: HashMap<SeriesId, (i64, String)> = HashMap::with_capacity(series_ids.len());
    for chunk in series_ids.chunks(500) {
        let params: Vec<Param> = chunk.iter().map(|id| Param::from(*id)).collect();
        let rows: Vec<(SeriesId, Option<i64>, String)> = db
            .fetch_all(
                &format!(
                    "SELECT f.series_id, f.slot_index, f.sha256 FROM series_files f JOIN assets a ON a.sha256 = f.sha256 \
                     WHERE f.scope = 'series' AND f.category = 'artwork' AND f.slot = 'poster' AND f.series_id IN {}",
                    placeholders(1, chunk.len())
                ),
                &params,
            )
            .await?;
        for (series_id, slot_index, sha256) in rows {
            let rank = slot_index.unwrap_or(-1);
            let entry = posters.entry(series_id).or_insert((rank, sha256.clone()));
            if rank < entry.0 || (rank == entry.0 && sha256 < entry.1) {
                *entry = (rank, sha256);
            }
        }
    }
    Ok(posters.into_iter().map(|(id, (_, sha256))| (id, sha256)).collect())
}
