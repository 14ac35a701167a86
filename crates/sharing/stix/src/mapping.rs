//! Category ↔ `indicator_types`/`labels`: the one table both directions use (STIX.md shows it).

use chainward_primitives::Category;

/// The `indicator_types` (STIX `indicator-type-ov`) written for a category.
pub fn indicator_types(category: Category) -> &'static [&'static str] {
    match category {
        Category::Sanctioned | Category::TerroristFinancing => {
            &["malicious-activity", "attribution"]
        }
        Category::StolenFunds | Category::Ransomware | Category::Darknet | Category::Scam => {
            &["malicious-activity"]
        }
        Category::Mixer => &["anonymization"],
        Category::Gambling => &["anomalous-activity"],
        Category::Exchange
        | Category::Bridge
        | Category::Miner
        | Category::Defi
        | Category::Service => &["benign"],
        _ => &["unknown"],
    }
}

/// The label written for a category: its name with `-` for `_` (`stolen-funds`).
pub fn category_label(category: Category) -> String {
    category.as_str().replace('_', "-")
}

/// Label words read as each category, in priority order (the most severe category a label
/// names wins).
const LABEL_WORDS: [(Category, &[&str]); 13] = [
    (Category::Sanctioned, &["sanctioned", "sanctions", "sanction", "ofac", "sdn"]),
    (Category::TerroristFinancing, &["terrorist-financing", "terrorism", "terrorist"]),
    (Category::Ransomware, &["ransomware"]),
    (
        Category::StolenFunds,
        &["stolen-funds", "stolen", "theft", "hack", "hacker", "exploit", "heist"],
    ),
    (Category::Darknet, &["darknet", "darknet-market", "dark-market"]),
    (Category::Mixer, &["mixer", "mixing", "mixing-service", "tumbler"]),
    (Category::Scam, &["scam", "phishing", "fraud", "drainer", "ponzi"]),
    (Category::Gambling, &["gambling", "casino"]),
    (Category::Exchange, &["exchange", "cex", "otc"]),
    (Category::Bridge, &["bridge"]),
    (Category::Miner, &["miner", "mining", "mining-pool"]),
    (Category::Defi, &["defi"]),
    (Category::Service, &["service"]),
];

/// The category of a foreign indicator: from its labels when one names a category, else from
/// its `indicator_types` (`anonymization` → mixer; `malicious-activity`, `attribution`,
/// `compromised` → stolen funds; anything else → other).
pub fn category_of(labels: &[String], indicator_types: &[String]) -> Category {
    let words: Vec<String> =
        labels.iter().map(|l| l.trim().to_ascii_lowercase().replace(['_', ' '], "-")).collect();
    for (category, names) in LABEL_WORDS {
        if words.iter().any(|w| names.contains(&w.as_str())) {
            return category;
        }
    }
    let has = |t: &str| indicator_types.iter().any(|i| i.eq_ignore_ascii_case(t));
    if has("anonymization") {
        Category::Mixer
    } else if has("malicious-activity") || has("attribution") || has("compromised") {
        Category::StolenFunds
    } else {
        Category::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_survives_its_own_label() {
        for category in Category::ALL {
            let labels = vec![category_label(category)];
            let types: Vec<String> =
                indicator_types(category).iter().map(|t| (*t).to_owned()).collect();
            assert_eq!(category_of(&labels, &types), category, "{category}");
        }
        assert_eq!(category_of(&[], &["malicious-activity".into()]), Category::StolenFunds);
        assert_eq!(
            category_of(&["aml-watchlist".into(), "Sanctioned".into()], &[]),
            Category::Sanctioned
        );
        assert_eq!(category_of(&[], &["benign".into()]), Category::Other);
    }
}
