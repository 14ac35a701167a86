//! GraphSense's vocabularies: the concepts taxonomy (categories and abuses) and confidence levels.

use chainward_primitives::Category;

/// Maps a GraphSense concept (category or abuse word, already lower-cased) to our category.
///
/// The words are the concept ids of GraphSense's concepts taxonomy (derived from the INTERPOL
/// Darknet and Cryptocurrencies Working Group taxonomy, graphsense-lib `tagpack/db/concepts.yaml`
/// and the older `abuses.yaml`), plus a few spellings seen in the wild. `None` means the word is
/// not a known concept.
pub(crate) fn concept_category(word: &str) -> Option<Category> {
    use Category as C;
    Some(match word {
        // Sanctions lists and governmental blacklists.
        "sanction" | "sanctioned" | "sanctions" | "gov_black_list" => C::Sanctioned,
        "terrorism" | "terrorism_financing" | "terrorist_financing" => C::TerroristFinancing,
        "ransomware" => C::Ransomware,
        // Hacks and theft: the thief's addresses hold stolen funds.
        "service_hack" | "hacking" | "hack" | "account_hack" | "exploit" | "data_breach"
        | "malware" | "theft" | "heist" | "stolen_funds" => C::StolenFunds,
        "scam" | "phishing" | "ponzi_scheme" | "pyramid_scheme" | "investment_fraud"
        | "fake_investment" | "sextortion" | "extortion" | "payment_card_fraud"
        | "social_engineering" | "fraud" => C::Scam,
        // `market` is GraphSense's word for Hydra and the darknet markets WalletExplorer lists;
        // see `market_category` for the Etherscan exception.
        "dark_web" | "darknet" | "darkweb" | "market" | "darknet_market" | "drugs" | "weapons"
        | "counterfeit" => C::Darknet,
        "mixing_service" | "mixing" | "mixer" | "coinjoin" => C::Mixer,
        "exchange" | "atm" | "otc" => C::Exchange,
        "defi_bridge" | "bridge" => C::Bridge,
        "defi" | "defi_dex" | "defi_dex_pair" | "defi_lending" | "defi_derivative"
        | "defi_derivatives" | "defi_dao" | "defi_staking" | "defi_custody" | "defi_token"
        | "dex" => C::Defi,
        "gambling" => C::Gambling,
        "miner" | "mining_service" | "mining_pool" => C::Miner,
        "service" | "organization" | "wallet_service" | "escrow_wallet" | "ico_wallet"
        | "payment_processor" | "shop" | "hosting" | "vpn" | "nameservice" | "faucet"
        | "filesharing" | "index" | "messaging_service" | "search_engine" => C::Service,
        // Known concepts without a category of their own: kept as labels, mapped to Other.
        // Harmful ones among them (extremism, abuse of persons) are flagged in the labels; the
        // category enum has no place for them yet.
        "user" | "perpetrator" | "victim" | "donation" | "unknown" | "entity" | "concept"
        | "behaviour" | "abuse" | "gray_usage" | "white_usage" | "cold_wallet" | "hot_wallet"
        | "warm_wallet" | "white_list" | "gov_white_list" | "black_list" | "extremism"
        | "financial_crime" | "money_laundering" | "sexual_abuse" | "child_sexual_abuse"
        | "human_trafficking" | "violence" | "murder" | "torture" | "item" | "collectible"
        | "deployer" | "funder" | "source" | "mention" | "website_mention" | "forum_mention" => {
            C::Other
        }
        _ => return None,
    })
}

/// `market` under an Etherscan source means Etherscan's "Market" label (NFT and token
/// marketplaces such as Axie Infinity's contracts), not a darknet market: calling those
/// darknet would flag ordinary token transfers.
pub(crate) fn market_category(source: Option<&str>) -> Category {
    let etherscan = source.is_some_and(|s| {
        let s = s.to_ascii_lowercase();
        let host = s.split("://").nth(1).unwrap_or(&s);
        let host = host.split(['/', '?', '#']).next().unwrap_or_default();
        host == "etherscan.io" || host.ends_with(".etherscan.io")
    });
    if etherscan { Category::Service } else { Category::Darknet }
}

/// Whether a source URL is OFAC's SDN list itself (as `ofac.yaml`'s `sdnlist.txt`), rather than
/// a press release about one designation.
///
/// A pack copied from the SDN list is a sanctions list whatever its category says (`ofac.yaml`
/// says `user`). Packs that cite a Treasury press release (Tornado Cash, Blender, Hydra) keep the
/// category they state: designations change (Tornado Cash was delisted in 2025) and the OFAC
/// importers are the authority on what is listed today.
pub(crate) fn is_ofac_sdn_source(source: &str) -> bool {
    let s = source.to_ascii_lowercase();
    ["/ofac/downloads/", "sdnlist", "sdn_advanced", "sdn_enhanced", "sdn.xml", "sdn.csv"]
        .iter()
        .any(|needle| s.contains(needle))
        || s.contains("sanctionssearch.ofac.treas.gov")
}

/// GraphSense's confidence levels (graphsense-tagpack-tool `tagpack/db/confidence.csv`, the
/// version with `ledger_immanent` and `forensic_investigation`): how the tag's creator came to
/// know the attribution, and the score 0–100 GraphSense gives it.
pub(crate) const CONFIDENCE_LEVELS: [(&str, u8); 14] = [
    ("override", 100),
    ("ownership", 100),
    ("ledger_immanent", 100),
    ("manual_transaction", 90),
    ("service_api", 70),
    ("forensic_investigation", 70),
    ("authority_data", 60),
    ("trusted_provider", 50),
    ("service_data", 50),
    ("forensic", 50),
    ("untrusted_transaction", 40),
    ("web_crawl", 20),
    ("heuristic", 10),
    ("unknown", 5),
];

/// The score of a confidence name (lower-cased), if GraphSense defines it.
pub(crate) fn confidence_level(name: &str) -> Option<u8> {
    CONFIDENCE_LEVELS.iter().find(|(n, _)| *n == name).map(|&(_, level)| level)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_examples() {
        assert_eq!(concept_category("mixing_service"), Some(Category::Mixer));
        assert_eq!(concept_category("coinjoin"), Some(Category::Mixer));
        assert_eq!(concept_category("sextortion"), Some(Category::Scam));
        assert_eq!(concept_category("service_hack"), Some(Category::StolenFunds));
        assert_eq!(concept_category("sanction"), Some(Category::Sanctioned));
        assert_eq!(concept_category("defi_bridge"), Some(Category::Bridge));
        assert_eq!(concept_category("user"), Some(Category::Other));
        assert_eq!(concept_category("nonsense"), None);
    }

    #[test]
    fn market_depends_on_source() {
        assert_eq!(
            market_category(Some("https://etherscan.io/accounts/label/market")),
            Category::Service
        );
        assert_eq!(market_category(Some("https://www.walletexplorer.com/x")), Category::Darknet);
        assert_eq!(market_category(Some("https://notetherscan.io.evil/x")), Category::Darknet);
        assert_eq!(market_category(None), Category::Darknet);
    }

    #[test]
    fn sdn_sources() {
        assert!(is_ofac_sdn_source("https://www.treasury.gov/ofac/downloads/sdnlist.txt"));
        assert!(!is_ofac_sdn_source(
            "https://home.treasury.gov/policy-issues/financial-sanctions/recent-actions/20220808"
        ));
    }

    #[test]
    fn confidence_values() {
        assert_eq!(confidence_level("authority_data"), Some(60));
        assert_eq!(confidence_level("web_crawl"), Some(20));
        assert_eq!(confidence_level("ledger_immanent"), Some(100));
        assert_eq!(confidence_level("bogus"), None);
    }
}
