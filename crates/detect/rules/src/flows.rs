//! Flows: value movements address → address, the detectors' only input, and the conversion
//! of the store's rows ([`GraphBlockRows`]) into them.

use chainward_primitives::Chain;
use chainward_store_api::{GraphBlockRows, GraphEnd};
use rustc_hash::FxHashMap;
use serde::Serialize;

/// The asset a flow moves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetKey {
    /// The network's native coin.
    Native,
    /// A token: the store address id of its contract.
    Token(u64),
}

impl std::fmt::Display for AssetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Native => f.write_str("native"),
            Self::Token(id) => write!(f, "token ⟨{id}⟩"),
        }
    }
}

/// One value movement as detectors see it (address → address).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Flow {
    /// The store's transaction id.
    pub tx: u64,
    /// Payer (store address id).
    pub from: u64,
    /// Payee (store address id).
    pub to: u64,
    /// The asset.
    pub asset: AssetKey,
    /// Native coin in whole units (base units / 10^8 or 10^18 by chain); tokens in base units.
    pub amount: f64,
    /// Unix seconds.
    pub time: u64,
}

/// All flows of one block (or of one AMLSim time step), in transaction order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FlowBatch {
    /// The store's network id.
    pub network: u32,
    /// Block height (or step number).
    pub height: u64,
    /// Block time, Unix seconds.
    pub time: u64,
    /// The flows.
    pub flows: Vec<Flow>,
}

/// Decimals of a chain's native coin: 18 for EVM chains, 8 for the Bitcoin family (and as the
/// fallback for others).
pub fn native_decimals(chain: Chain) -> i32 {
    match chain {
        Chain::Evm => 18,
        _ => 8,
    }
}

/// Inputs and outputs (address, amount) of one UTXO transaction, and its asset.
type UtxoTx = (Vec<(u64, f64)>, Vec<(u64, f64)>, AssetKey);

/// Turns the store's rows of one block into address → address flows.
///
/// - Account transfers (address → address rows) map one to one.
/// - A UTXO transaction (rows into and out of [`GraphEnd::Transaction`]) becomes flows from
///   each input address to each output address, the output's amount split in proportion to
///   the input values (haircut). Outputs paying back to one of the transaction's input
///   addresses are change and give no flow. Several inputs of one address are summed.
/// - Native amounts are converted to whole coins ([`native_decimals`]); token amounts stay in
///   base units (the store does not know token decimals).
pub fn flows_from_rows(rows: &GraphBlockRows, chain: Chain) -> FlowBatch {
    let scale = 10f64.powi(native_decimals(chain));
    let mut flows = Vec::with_capacity(rows.edges.len());
    // UTXO transactions: inputs and outputs per transaction id, in first-seen order.
    let mut utxo: FxHashMap<u64, UtxoTx> = FxHashMap::default();
    let mut order = Vec::new();
    for row in &rows.edges {
        let asset = row.token.map_or(AssetKey::Native, AssetKey::Token);
        let raw = f64::from(row.amount);
        let amount = if asset == AssetKey::Native { raw / scale } else { raw };
        match (row.from, row.to) {
            (GraphEnd::Address(from), GraphEnd::Address(to)) => {
                flows.push(Flow { tx: row.tx_id, from, to, asset, amount, time: rows.time })
            }
            (GraphEnd::Address(from), GraphEnd::Transaction(tx)) => {
                let entry = utxo.entry(tx).or_insert_with(|| {
                    order.push(tx);
                    (Vec::new(), Vec::new(), asset)
                });
                match entry.0.iter_mut().find(|(a, _)| *a == from) {
                    Some(input) => input.1 += amount,
                    None => entry.0.push((from, amount)),
                }
            }
            (GraphEnd::Transaction(tx), GraphEnd::Address(to)) => {
                let entry = utxo.entry(tx).or_insert_with(|| {
                    order.push(tx);
                    (Vec::new(), Vec::new(), asset)
                });
                entry.1.push((to, amount));
            }
            (GraphEnd::Transaction(_), GraphEnd::Transaction(_)) => {}
        }
    }
    for tx in order {
        let (inputs, outputs, asset) = &utxo[&tx];
        let total_in: f64 = inputs.iter().map(|(_, v)| v).sum();
        if inputs.is_empty() {
            continue;
        }
        for &(to, value) in outputs {
            if inputs.iter().any(|&(a, _)| a == to) {
                continue; // change back to an input address
            }
            for &(from, input) in inputs {
                let share =
                    if total_in > 0.0 { input / total_in } else { 1.0 / inputs.len() as f64 };
                flows.push(Flow {
                    tx,
                    from,
                    to,
                    asset: *asset,
                    amount: value * share,
                    time: rows.time,
                });
            }
        }
    }
    FlowBatch { network: rows.network_id, height: rows.height, time: rows.time, flows }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{B256, U256};
    use chainward_store_api::GraphEdgeRow;

    fn row(tx: u64, from: GraphEnd, to: GraphEnd, amount: u64) -> GraphEdgeRow {
        GraphEdgeRow { tx_id: tx, from, to, token: None, amount: U256::from(amount) }
    }

    #[test]
    fn utxo_haircut_and_change() {
        use GraphEnd::{Address as A, Transaction as T};
        let rows = GraphBlockRows {
            network_id: 1,
            height: 7,
            hash: B256::ZERO,
            time: 1000,
            edges: vec![
                row(5, A(1), T(5), 300_000_000),
                row(5, A(2), T(5), 100_000_000),
                row(5, T(5), A(3), 200_000_000),
                row(5, T(5), A(1), 190_000_000), // change
                row(6, A(8), A(9), 10u64.pow(18)),
            ],
        };
        let batch = flows_from_rows(&rows, Chain::Bitcoin);
        assert_eq!(batch.flows.len(), 3);
        let f13 = batch.flows.iter().find(|f| f.from == 1 && f.to == 3).unwrap();
        assert!((f13.amount - 1.5).abs() < 1e-12);
        let f23 = batch.flows.iter().find(|f| f.from == 2 && f.to == 3).unwrap();
        assert!((f23.amount - 0.5).abs() < 1e-12);
        let eth = flows_from_rows(&rows, Chain::Evm);
        let f89 = eth.flows.iter().find(|f| f.from == 8).unwrap();
        assert!((f89.amount - 1.0).abs() < 1e-12);
    }
}
