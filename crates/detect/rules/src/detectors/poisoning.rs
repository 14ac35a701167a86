//! Address poisoning (R16): a zero or dust transfer into a victim from a look-alike of an
//! address the victim paid before (same first and last characters, another address), and
//! any later payment by the victim to that look-alike.
//!
//! Needs the context's address text hook; without it the detector does nothing. State per
//! victim: its last `max_payees` payees with their look-alike signature, and the poisoners
//! seen (bounded by the same cap).

use super::Detector;
use crate::config::{PoisoningParams, Severity};
use crate::engine::Batch;
use crate::finding::{Evidence, Finding};
use crate::flows::AssetKey;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// `poisoning`.
pub(crate) struct Poisoning {
    p: PoisoningParams,
    payees: FxHashMap<u64, VecDeque<(u64, String)>>,
    poisoners: FxHashMap<u64, VecDeque<(u64, u64)>>,
}

impl Poisoning {
    pub(crate) fn new(p: PoisoningParams) -> Self {
        Self { p, payees: FxHashMap::default(), poisoners: FxHashMap::default() }
    }

    fn signature(&self, text: &str) -> Option<String> {
        let t = text.strip_prefix("0x").unwrap_or(text).to_ascii_lowercase();
        if t.len() < self.p.prefix + self.p.suffix || !t.is_char_boundary(self.p.prefix) {
            return None;
        }
        let cut = t.len() - self.p.suffix;
        if !t.is_char_boundary(cut) {
            return None;
        }
        Some(format!("{}…{}", &t[..self.p.prefix], &t[cut..]))
    }
}

impl Detector for Poisoning {
    fn observe(&mut self, batch: &Batch<'_, '_>, out: &mut Vec<Finding>) {
        let Some(text) = batch.context.address_text else { return };
        for v in batch.views {
            let fl = &v.flow;
            if fl.from == fl.to {
                continue;
            }
            let dust = match fl.asset {
                AssetKey::Native => fl.amount <= self.p.dust_native,
                AssetKey::Token(_) => fl.amount <= self.p.dust_token,
            };
            // A payment to a known poisoner of this payer.
            if let Some(list) = self.poisoners.get(&fl.from)
                && let Some(&(_, lure_tx)) = list.iter().find(|x| x.0 == fl.to)
                && !dust
            {
                let mut ev = Evidence {
                    txs: vec![lure_tx, fl.tx],
                    addresses: vec![fl.to],
                    ..Default::default()
                };
                ev.add_amount(fl.asset, fl.amount);
                let summary = format!(
                    "poisoning: account ⟨{}⟩ paid {} {} to look-alike address ⟨{}⟩ that sent it dust before",
                    fl.from, fl.amount, fl.asset, fl.to
                );
                out.push(batch.finding_with(
                    Severity::Severe,
                    vec![fl.from, fl.to],
                    &format!("paid:{}", fl.tx),
                    summary,
                    ev,
                ));
            }
            // An incoming dust transfer from a look-alike of a payee.
            if dust
                && let Some(list) = self.payees.get(&fl.to)
                && let Some(sig) = text.address_text(fl.from).and_then(|t| self.signature(&t))
                && let Some(&(real, _)) = list.iter().find(|(id, s)| *id != fl.from && *s == sig)
            {
                {
                    let entry = self.poisoners.entry(fl.to).or_default();
                    if !entry.iter().any(|x| x.0 == fl.from) {
                        if entry.len() == self.p.max_payees {
                            entry.pop_front();
                        }
                        entry.push_back((fl.from, fl.tx));
                    }
                    let mut ev = Evidence {
                        txs: vec![fl.tx],
                        addresses: vec![fl.from, real],
                        ..Default::default()
                    };
                    ev.add_amount(fl.asset, fl.amount);
                    let summary = format!(
                        "poisoning: account ⟨{}⟩ received dust from ⟨{}⟩, a look-alike ({sig}) of its payee ⟨{real}⟩",
                        fl.to, fl.from
                    );
                    out.push(batch.finding(
                        vec![fl.to, fl.from],
                        &format!("lure:{}:{}", fl.tx, fl.from),
                        summary,
                        ev,
                    ));
                }
            }
            // Remember real payments (not dust) with their signature.
            if !dust {
                let known =
                    self.payees.get(&fl.from).is_some_and(|l| l.iter().any(|x| x.0 == fl.to));
                if !known
                    && let Some(sig) = text.address_text(fl.to).and_then(|t| self.signature(&t))
                {
                    let list = self.payees.entry(fl.from).or_default();
                    if list.len() == self.p.max_payees {
                        list.pop_front();
                    }
                    list.push_back((fl.to, sig));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use crate::config::{DetectorConfig, PoisoningParams, Severity};
    use crate::engine::Context;
    use chainward_graph::NodeLabels;

    fn text(id: u64) -> Option<String> {
        Some(match id {
            1 => "0x1111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2222".into(),
            2 => "0xabcd000000000000000000000000000000001234".into(),
            3 => "0xabcd999999999999999999999999999999991234".into(), // look-alike of 2
            4 => "0xabce999999999999999999999999999999991234".into(), // not a look-alike
            _ => return None,
        })
    }

    #[test]
    fn lure_then_payment() {
        let l = NodeLabels::new();
        let hook = text;
        let cx = Context { labels: &l, graph: None, address_text: Some(&hook) };
        let mut e = engine(DetectorConfig::Poisoning(PoisoningParams::default()));
        let flows = vec![
            f(1, 1, 2, 5.0, 10), // victim pays the real address
            f(2, 3, 1, 0.0, 20), // dust from the look-alike
            f(3, 4, 1, 0.0, 25), // dust from an address that is not a look-alike
            f(4, 1, 3, 5.0, 30), // victim pays the poisoner
        ];
        let found = run_ctx(&mut e, &flows, &cx);
        assert_eq!(found.len(), 2, "{found:#?}");
        assert_eq!(found[1].severity, Severity::Severe);
        // without the hook: nothing
        let mut e = engine(DetectorConfig::Poisoning(PoisoningParams::default()));
        assert!(run(&mut e, &flows, &l).is_empty());
    }
}
