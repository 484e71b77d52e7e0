//! What a TMDB movie and an OMDb answer give a movie's fields, and how providers' ratings join
//! the ones already stored.

use crate::catalogue::movies::{Actor, CountryCertification, Fields, MovieSet, Rating, UniqueId};
use metarr_providers::tmdb::{Collection, MovieDetails};
use metarr_providers::{OmdbMovie, RatingSource, TmdbClient};

/// The cast kept from TMDB, in billing order (the largest ensembles list hundreds).
const MAX_CAST: usize = 150;

/// Kodi's names for TMDB's rating and OMDb's three.
pub const TMDB_RATING: &str = "themoviedb";
pub const IMDB_RATING: &str = "imdb";
pub const ROTTEN_TOMATOES_RATING: &str = "tomatometerallcritics";
pub const METACRITIC_RATING: &str = "metacritic";

/// The fields a TMDB movie gives. `country` picks the certification shown as `mpaa`;
/// `collection` (fetched apart) gives the set's overview.
pub fn from_tmdb(movie: &MovieDetails, collection: Option<&Collection>, country: &str, client: &TmdbClient) -> Fields {
    let names = |items: Vec<String>| Some(items).filter(|items| !items.is_empty());
    let credits = movie.credits.as_ref();
    let imdb_id = movie
        .imdb_id
        .clone()
        .or_else(|| movie.external_ids.as_ref().and_then(|ids| ids.imdb_id.clone()))
        .map(|id| id.as_str().to_owned());
    let mut uniqueids = vec![UniqueId { kind: "tmdb".into(), value: movie.id.to_string(), default: true }];
    if let Some(imdb_id) = &imdb_id {
        uniqueids.push(UniqueId { kind: "imdb".into(), value: imdb_id.clone(), default: false });
    }
    if let Some(wikidata) = movie.external_ids.as_ref().and_then(|ids| ids.wikidata_id.clone()) {
        uniqueids.push(UniqueId { kind: "wikidata".into(), value: wikidata, default: false });
    }
    let certifications: Vec<CountryCertification> = movie
        .release_dates
        .iter()
        .flat_map(|dates| {
            dates.results.iter().filter_map(|entry| {
                let certification = dates.certification(&entry.iso_3166_1)?.trim();
                (!certification.is_empty()).then(|| CountryCertification {
                    country: entry.iso_3166_1.clone(),
                    certification: certification.to_owned(),
                })
            })
        })
        .collect();
    let certification = certifications
        .iter()
        .find(|entry| entry.country.eq_ignore_ascii_case(country))
        .map(|entry| entry.certification.clone());
    let ratings = (movie.vote_count > 0).then(|| {
        vec![Rating {
            source: TMDB_RATING.into(),
            value: movie.vote_average,
            max: 10.0,
            votes: Some(i64::from(movie.vote_count)),
            default: true,
        }]
    });
    let actors: Vec<Actor> = credits
        .map(|credits| {
            let mut cast: Vec<_> = credits.cast.iter().collect();
            cast.sort_by_key(|member| member.order);
            cast.into_iter()
                .take(MAX_CAST)
                .map(|member| Actor {
                    name: member.name.clone(),
                    role: member.character.clone().filter(|role| !role.is_empty()),
                    order: Some(i64::from(member.order)),
                    tmdb_id: Some(i64::from(member.id.0)),
                    profile: member.profile_path.as_deref().map(|path| client.image_url("w185", path)),
                })
                .collect()
        })
        .unwrap_or_default();
    let set = movie.belongs_to_collection.as_ref().map(|reference| MovieSet {
        name: reference.name.clone(),
        overview: collection.and_then(|collection| collection.overview.clone()).filter(|text| !text.is_empty()),
        tmdb_collection_id: Some(i64::from(reference.id.0)),
    });
    let mut fields = Fields {
        title: Some(movie.title.clone()).filter(|title| !title.is_empty()),
        original_title: movie.original_title.clone().filter(|title| !title.is_empty()),
        year: movie.year().map(i64::from),
        tmdb_id: Some(i64::from(movie.id.0)),
        imdb_id,
        plot: movie.overview.clone().filter(|text| !text.is_empty()),
        tagline: movie.tagline.clone().filter(|text| !text.is_empty()),
        runtime: movie.runtime.filter(|minutes| *minutes > 0).map(i64::from),
        premiered: movie.release_date.map(|date| date.format("%Y-%m-%d").to_string()),
        genres: names(movie.genres.iter().map(|genre| genre.name.clone()).collect()),
        certification,
        certifications: Some(certifications).filter(|list| !list.is_empty()),
        ratings,
        uniqueids: Some(uniqueids),
        studios: names(movie.production_companies.iter().map(|company| company.name.clone()).collect()),
        countries: names(movie.production_countries.iter().map(|country| country.name.clone()).collect()),
        tags: names(
            movie
                .keywords
                .as_ref()
                .map(|keywords| keywords.keywords.iter().map(|keyword| keyword.name.clone()).collect())
                .unwrap_or_default(),
        ),
        set,
        directors: names(
            credits.map(|c| c.directors().map(|person| person.name.clone()).collect()).unwrap_or_default(),
        ),
        writers: names(credits.map(|c| c.writers().map(|person| person.name.clone()).collect()).unwrap_or_default()),
        actors: Some(actors).filter(|actors| !actors.is_empty()),
        trailer: movie.videos.as_ref().and_then(|videos| videos.trailer()).and_then(|video| video.url()),
        ..Fields::default()
    };
    // Writers appear once per credit ("Screenplay", "Novel"): keep each name once.
    for names in [&mut fields.writers, &mut fields.directors].into_iter().flatten() {
        let mut seen = std::collections::HashSet::new();
        names.retain(|name| seen.insert(name.clone()));
    }
    fields
}

/// The ratings an OMDb answer gives, in Kodi's names.
pub fn omdb_ratings(movie: &OmdbMovie) -> Vec<Rating> {
    let mut ratings = Vec::new();
    if let Some(value) = movie.imdb_rating {
        ratings.push(Rating {
            source: IMDB_RATING.into(),
            value,
            max: 10.0,
            votes: movie.imdb_votes.and_then(|votes| i64::try_from(votes).ok()),
            default: false,
        });
    }
    for rating in &movie.ratings {
        let source = match rating.source {
            RatingSource::RottenTomatoes => ROTTEN_TOMATOES_RATING,
            RatingSource::Metacritic => METACRITIC_RATING,
            // IMDb's comes with its votes above; other sources are not Kodi's.
            RatingSource::Imdb | RatingSource::Other(_) => continue,
        };
        ratings.push(Rating {
            source: source.into(),
            value: rating.value,
            max: rating.max,
            votes: None,
            default: false,
        });
    }
    if !ratings.iter().any(|rating| rating.source == METACRITIC_RATING)
        && let Some(score) = movie.metascore
    {
        ratings.push(Rating {
            source: METACRITIC_RATING.into(),
            value: f64::from(score),
            max: 100.0,
            votes: None,
            default: false,
        });
    }
    ratings
}

/// `current` with the sources `new` gives replaced by `new`'s entries, so that TMDB's and
/// OMDb's ratings live side by side whichever came last. One rating is the default: IMDb's
/// when there is one (Kodi's and most users' choice), else the one that was, else the first.
pub fn merge_ratings(current: &[Rating], new: Vec<Rating>) -> Vec<Rating> {
    let mut merged: Vec<Rating> =
        current.iter().filter(|old| !new.iter().any(|rating| rating.source == old.source)).cloned().collect();
    merged.extend(new);
    let default = merged
        .iter()
        .position(|rating| rating.source == IMDB_RATING)
        .or_else(|| {
            current
                .iter()
                .find(|rating| rating.default)
                .and_then(|old| merged.iter().position(|r| r.source == old.source))
        })
        .unwrap_or(0);
    for (index, rating) in merged.iter_mut().enumerate() {
        rating.default = index == default;
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(source: &str, value: f64, default: bool) -> Rating {
        Rating { source: source.into(), value, max: 10.0, votes: None, default }
    }

    #[test]
    fn ratings_of_several_providers_live_side_by_side() {
        let tmdb = vec![rating(TMDB_RATING, 8.2, true)];
        let with_omdb =
            merge_ratings(&tmdb, vec![rating(IMDB_RATING, 8.7, false), rating(METACRITIC_RATING, 73.0, false)]);
        let sources: Vec<&str> = with_omdb.iter().map(|r| r.source.as_str()).collect();
        assert_eq!(sources, [TMDB_RATING, IMDB_RATING, METACRITIC_RATING]);
        assert_eq!(with_omdb.iter().filter(|r| r.default).count(), 1);
        assert!(with_omdb[1].default, "IMDb's is the default");
        // TMDB again: its own entry is replaced, OMDb's stay.
        let again = merge_ratings(&with_omdb, vec![rating(TMDB_RATING, 8.3, true)]);
        assert_eq!(again.len(), 3);
        assert_eq!(again.iter().find(|r| r.source == TMDB_RATING).map(|r| r.value), Some(8.3));
        assert!(again.iter().find(|r| r.source == IMDB_RATING).is_some_and(|r| r.default));
    }
}
