//! Properties of the score over any input, including hostile ones.

use metarr_artwork::score::{ArtLanguage, Candidate, RankKey, Source, rank, score};
use metarr_artwork::slot::Slot;
use proptest::prelude::*;

fn slot() -> impl Strategy<Value = Slot> {
    prop::sample::select(Slot::ALL.to_vec())
}

fn source() -> impl Strategy<Value = Source> {
    prop::sample::select(Source::ALL.to_vec())
}

fn language() -> impl Strategy<Value = ArtLanguage> {
    prop_oneof![
        Just(ArtLanguage::Textless),
        Just(ArtLanguage::Unknown),
        prop::sample::select(vec!["en", "fr", "de", "ja", "", "EN"]).prop_map(|tag| ArtLanguage::Tagged(tag.into())),
    ]
}

fn size() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        Just(None),
        Just(Some(0)),
        Just(Some(u32::MAX)),
        (0u32..10_000).prop_map(Some),
        any::<u32>().prop_map(Some)
    ]
}

fn average() -> impl Strategy<Value = Option<f64>> {
    prop_oneof![Just(None), (-5.0f64..15.0).prop_map(Some), any::<f64>().prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_part_stays_within_its_maximum(
        slot in slot(),
        source in source(),
        width in size(),
        height in size(),
        language in language(),
        vote_average in average(),
        votes in prop::option::of(any::<u64>()),
        likes in prop::option::of(any::<u64>()),
        preferred in prop::sample::select(vec!["en", "fr", "", "de-AT"]),
    ) {
        let candidate = Candidate { slot, source, width, height, language: &language, vote_average, votes, likes };
        let score = score(&candidate, preferred);
        let parts = [
            (score.total, 100.0),
            (score.resolution, 30.0),
            (score.aspect, 20.0),
            (score.language, 20.0),
            (score.community, 20.0),
            (score.source, 10.0),
        ];
        for (part, max) in parts {
            prop_assert!(part.is_finite() && (0.0..=max).contains(&part), "{score:?}");
        }
        let sum = score.resolution + score.aspect + score.language + score.community + score.source;
        prop_assert!((score.total - sum.min(100.0)).abs() < 1e-9);
    }

    #[test]
    fn ranking_is_a_total_order(keys in prop::collection::vec(
        (any::<f64>(), prop::sample::select(vec![5.0, 9.0, 10.0]), 0u64..3, prop::option::of(0u64..3), 0i64..4),
        0..12,
    )) {
        let keys: Vec<RankKey> = keys
            .into_iter()
            .map(|(total, source_points, votes, file_size, id)| RankKey { total, source_points, votes, file_size, id })
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_by(rank);
        for pair in sorted.windows(2) {
            prop_assert!(rank(&pair[0], &pair[1]).is_le());
        }
        for a in &keys {
            for b in &keys {
                prop_assert_eq!(rank(a, b), rank(b, a).reverse());
            }
        }
    }
}
