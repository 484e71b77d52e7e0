//! Whose artwork a candidate is: a movie, a TV series, one season of a series, or an episode.
//! One type names the owner in the database (`owner` column), in lock lists and in messages, so
//! that selection, choices, uploads and blocks are one code path for all four.

use crate::db::Param;
use crate::ids::{EpisodeId, MovieId, SeriesId};
use metarr_artwork::Slot;
use std::fmt;

/// The owner of a slot's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ArtOwner {
    Movie(MovieId),
    Series(SeriesId),
    /// A season of a series, by its number (0 for specials).
    Season(SeriesId, i64),
    Episode {
        series_id: SeriesId,
        episode_id: EpisodeId,
    },
}

impl ArtOwner {
    /// The `owner` column's value: `movie:12`, `series:3`, `season:3:1`, `episode:55`.
    pub fn key(self) -> String {
        match self {
            ArtOwner::Movie(id) => format!("movie:{id}"),
            ArtOwner::Series(id) => format!("series:{id}"),
            ArtOwner::Season(id, number) => format!("season:{id}:{number}"),
            ArtOwner::Episode { episode_id, .. } => format!("episode:{episode_id}"),
        }
    }

    /// The slots it has, in the order they are listed.
    pub fn slots(self) -> &'static [Slot] {
        match self {
            ArtOwner::Movie(_) => &Slot::MOVIE,
            ArtOwner::Series(_) => &Slot::SERIES,
            ArtOwner::Season(..) => &Slot::SEASON,
            ArtOwner::Episode { .. } => &Slot::EPISODE,
        }
    }

    /// Whether the slot is one of its slots.
    pub fn has(self, slot: Slot) -> bool {
        self.slots().contains(&slot)
    }

    /// The series it belongs to, for TV owners.
    pub fn series_id(self) -> Option<SeriesId> {
        match self {
            ArtOwner::Movie(_) => None,
            ArtOwner::Series(id) | ArtOwner::Season(id, _) | ArtOwner::Episode { series_id: id, .. } => Some(id),
        }
    }

    /// The values of `owner, movie_id, series_id, season, episode_id`, in that order.
    pub fn columns(self) -> [Param; 5] {
        let (movie, series, season, episode): (Option<MovieId>, Option<SeriesId>, Option<i64>, Option<EpisodeId>) =
            match self {
                ArtOwner::Movie(id) => (Some(id), None, None, None),
                ArtOwner::Series(id) => (None, Some(id), None, None),
                ArtOwner::Season(id, number) => (None, Some(id), Some(number), None),
                ArtOwner::Episode { series_id, episode_id } => (None, Some(series_id), None, Some(episode_id)),
            };
        [
            self.key().into(),
            movie.map(MovieId::get).into(),
            series.map(SeriesId::get).into(),
            season.into(),
            episode.map(EpisodeId::get).into(),
        ]
    }

    /// The owner a row's id columns name (`None` for a row no owner fits, which the table's
    /// CHECK keeps out).
    pub fn from_columns(
        movie_id: Option<MovieId>,
        series_id: Option<SeriesId>,
        season: Option<i64>,
        episode_id: Option<EpisodeId>,
    ) -> Option<ArtOwner> {
        match (movie_id, series_id, season, episode_id) {
            (Some(id), None, None, None) => Some(ArtOwner::Movie(id)),
            (None, Some(id), None, None) => Some(ArtOwner::Series(id)),
            (None, Some(id), Some(number), None) => Some(ArtOwner::Season(id, number)),
            (None, Some(series_id), None, Some(episode_id)) => Some(ArtOwner::Episode { series_id, episode_id }),
            _ => None,
        }
    }

    /// The name of a slot's lock in its owner's `locks` (`artwork.poster`).
    pub fn lock_name(slot: Slot) -> String {
        format!("artwork.{}", slot.as_str())
    }

    /// The table whose `locks` column holds its slots' locks, and the row's id.
    pub(crate) fn lock_row(self) -> LockRow {
        match self {
            ArtOwner::Movie(id) => LockRow::Movie(id),
            ArtOwner::Series(id) => LockRow::Series(id),
            ArtOwner::Season(id, number) => LockRow::Season(id, number),
            ArtOwner::Episode { episode_id, .. } => LockRow::Episode(episode_id),
        }
    }
}

/// Where an owner's locks live.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LockRow {
    Movie(MovieId),
    Series(SeriesId),
    Season(SeriesId, i64),
    Episode(EpisodeId),
}

impl LockRow {
    /// `SELECT locks FROM …` / `UPDATE … SET locks` for this row: the table, the condition and
    /// its parameters (numbered from `first`).
    pub(crate) fn locate(self, first: usize) -> (&'static str, String, Vec<Param>) {
        match self {
            LockRow::Movie(id) => ("movies", format!("id = ${first}"), vec![id.into()]),
            LockRow::Series(id) => ("series", format!("id = ${first}"), vec![id.into()]),
            LockRow::Season(id, number) => {
                ("seasons", format!("series_id = ${first} AND number = ${}", first + 1), vec![id.into(), number.into()])
            }
            LockRow::Episode(id) => ("episodes", format!("id = ${first}"), vec![id.into()]),
        }
    }
}

impl fmt::Display for ArtOwner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtOwner::Movie(id) => write!(f, "movie {id}"),
            ArtOwner::Series(id) => write!(f, "series {id}"),
            ArtOwner::Season(id, 0) => write!(f, "the specials of series {id}"),
            ArtOwner::Season(id, number) => write!(f, "season {number} of series {id}"),
            ArtOwner::Episode { episode_id, .. } => write!(f, "episode {episode_id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_round_trip_through_their_columns_and_keys_tell_them_apart() {
        let owners = [
            ArtOwner::Movie(MovieId(7)),
            ArtOwner::Series(SeriesId(7)),
            ArtOwner::Season(SeriesId(7), 0),
            ArtOwner::Season(SeriesId(7), 1),
            ArtOwner::Episode { series_id: SeriesId(7), episode_id: EpisodeId(7) },
        ];
        let keys: std::collections::BTreeSet<String> = owners.iter().map(|o| o.key()).collect();
        assert_eq!(keys.len(), owners.len());
        assert_eq!(owners[3].key(), "season:7:1");
        for owner in owners {
            let (movie, series, season, episode) = match owner {
                ArtOwner::Movie(id) => (Some(id), None, None, None),
                ArtOwner::Series(id) => (None, Some(id), None, None),
                ArtOwner::Season(id, n) => (None, Some(id), Some(n), None),
                ArtOwner::Episode { series_id, episode_id } => (None, Some(series_id), None, Some(episode_id)),
            };
            assert_eq!(ArtOwner::from_columns(movie, series, season, episode), Some(owner));
        }
        assert_eq!(ArtOwner::from_columns(Some(MovieId(1)), Some(SeriesId(1)), None, None), None);
        assert_eq!(ArtOwner::Season(SeriesId(3), 0).to_string(), "the specials of series 3");
        assert!(ArtOwner::Episode { series_id: SeriesId(1), episode_id: EpisodeId(2) }.has(Slot::Thumb));
        assert!(!ArtOwner::Movie(MovieId(1)).has(Slot::Thumb));
        assert!(!ArtOwner::Season(SeriesId(1), 1).has(Slot::Clearlogo));
    }
}
