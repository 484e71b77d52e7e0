//! Deserialisers that accept what providers really send: `null` where a list or number is
//! documented, `""` for "unknown", dates that are empty, numbers as strings. A field that
//! cannot be read becomes "absent", so one odd value does not cost the whole answer.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::ids::{ImdbId, TmdbId, TvdbId};

/// `null` (or a missing field, with `#[serde(default)]`) as the type's default.
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// A string that is absent when `null`, empty or only whitespace.
pub(crate) fn non_empty_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.filter(|text| !text.trim().is_empty()))
}

/// A `YYYY-MM-DD` date; `null`, `""` and anything unparseable are absent.
pub(crate) fn date<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<NaiveDate>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text.and_then(|text| NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()))
}

/// An RFC 3339 timestamp (`1999-10-15T00:00:00.000Z`); anything else is absent.
pub(crate) fn timestamp<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text.and_then(|text| DateTime::parse_from_rfc3339(text.trim()).ok()).map(|time| time.with_timezone(&Utc)))
}

/// An IMDb id; `null`, `""` and malformed ids are absent.
pub(crate) fn imdb_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ImdbId>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    Ok(text.and_then(|text| ImdbId::parse(&text).ok()))
}

/// A non-negative integer sent as a number or as a string (Fanart.tv's `"likes": "12"`).
pub(crate) fn number_or_string(value: &Value) -> Option<u64> {
    match value {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A count sent as a number or a string; anything else (garbage, negative, `null`) is 0.
pub(crate) fn count<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(number_or_string(&value).and_then(|count| u32::try_from(count).ok()).unwrap_or(0))
}

/// A number sent as a number or a string; anything else is absent.
pub(crate) fn optional_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(number_or_string(&value).and_then(|number| u32::try_from(number).ok()))
}

/// A TMDB id sent as a number or a string (Fanart.tv sends `"tmdb_id": "550"`); `0` and
/// anything unparseable are absent.
pub(crate) fn tmdb_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<TmdbId>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(number_or_string(&value).and_then(|id| u32::try_from(id).ok()).filter(|id| *id > 0).map(TmdbId))
}

/// A TheTVDB id sent as a number (TMDB) or a string (Fanart.tv's `"thetvdb_id": "81189"`);
/// `0`, `null` and anything unparseable are absent.
pub(crate) fn tvdb_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<TvdbId>, D::Error> {
    Ok(optional_number(deserializer)?.filter(|id| *id > 0).map(TvdbId))
}

/// A list of numbers, each sent as a number or a string; `null` is empty and an item that
/// is not a number is dropped, so one odd entry keeps the rest.
pub(crate) fn numbers<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u32>, D::Error> {
    let items = Option::<Vec<Value>>::deserialize(deserializer)?.unwrap_or_default();
    Ok(items.iter().filter_map(|item| number_or_string(item).and_then(|number| u32::try_from(number).ok())).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a failed unwrap is a clear test failure")]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "count")]
        likes: u32,
        #[serde(default, deserialize_with = "tmdb_id")]
        tmdb: Option<TmdbId>,
        #[serde(default, deserialize_with = "date")]
        date: Option<NaiveDate>,
        #[serde(default, deserialize_with = "non_empty_string")]
        text: Option<String>,
        #[serde(default, deserialize_with = "null_as_default")]
        list: Vec<u32>,
        #[serde(default, deserialize_with = "tvdb_id")]
        tvdb: Option<TvdbId>,
        #[serde(default, deserialize_with = "numbers")]
        minutes: Vec<u32>,
    }

    fn sample(json: &str) -> Sample {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn counts_accept_strings_numbers_and_garbage() {
        assert_eq!(sample(r#"{"likes":"12"}"#).likes, 12);
        assert_eq!(sample(r#"{"likes":7}"#).likes, 7);
        for garbage in [r#""lots""#, r#""-3""#, "-3", "null", "1.5", r#""99999999999""#, "[]", "{}", r#""""#] {
            assert_eq!(sample(&format!(r#"{{"likes":{garbage}}}"#)).likes, 0, "{garbage}");
        }
        assert_eq!(sample("{}").likes, 0);
    }

    #[test]
    fn ids_dates_texts_and_lists() {
        assert_eq!(sample(r#"{"tmdb":"550"}"#).tmdb, Some(TmdbId(550)));
        assert_eq!(sample(r#"{"tmdb":"0"}"#).tmdb, None);
        assert_eq!(sample(r#"{"date":"1999-10-15"}"#).date, NaiveDate::from_ymd_opt(1999, 10, 15));
        assert_eq!(sample(r#"{"date":""}"#).date, None);
        assert_eq!(sample(r#"{"date":"1999"}"#).date, None);
        assert_eq!(sample(r#"{"text":"  "}"#).text, None);
        assert_eq!(sample(r#"{"list":null}"#).list, Vec::<u32>::new());
    }

    #[test]
    fn tvdb_ids_and_number_lists() {
        assert_eq!(sample(r#"{"tvdb":81189}"#).tvdb, Some(TvdbId(81189)));
        assert_eq!(sample(r#"{"tvdb":"81189"}"#).tvdb, Some(TvdbId(81189)));
        for absent in ["0", "null", r#""""#, r#""n/a""#, "-1"] {
            assert_eq!(sample(&format!(r#"{{"tvdb":{absent}}}"#)).tvdb, None, "{absent}");
        }
        assert_eq!(sample(r#"{"minutes":[45,"47",null,"x",-3]}"#).minutes, [45, 47]);
        assert_eq!(sample(r#"{"minutes":null}"#).minutes, Vec::<u32>::new());
        assert_eq!(sample("{}").minutes, Vec::<u32>::new());
    }
}
