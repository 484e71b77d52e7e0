//! Id newtypes of the catalogue, so that a movie's id is never passed where a scan's belongs.
//!
//! Each is an `i64` underneath: stored as BIGINT/INTEGER, shown as a JSON number, parsed from a
//! path segment, exactly as the bare integers were.

metarr_db::id_type! {
    /// A library (`libraries.id`).
    LibraryId;
    /// A scan of a library (`scans.id`).
    ScanId;
    /// A movie (`movies.id`).
    MovieId;
    /// A TV series (`series.id`).
    SeriesId;
    /// A season of a series (`seasons.id`).
    SeasonId;
    /// An episode of a series (`episodes.id`).
    EpisodeId;
}
