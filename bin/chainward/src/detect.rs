//! `chainward model train|info` (the learned risk model) and `chainward eval amlsim` (the rules
//! measured on AMLSim's ground truth).

use crate::cli::{EvalArgs, EvalCommand, ModelArgs, ModelCommand};
use crate::{cli, data_dir};
use anyhow::Context;
use chainward_model::{Model, TrainOptions, train_fdgnn};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Where `model train` writes and `monitor --model` reads by default.
pub(crate) fn default_model_path(global: &cli::Global) -> anyhow::Result<PathBuf> {
    Ok(data_dir(global)?.join("models").join("risk-model.json"))
}

/// The shared public data folder: `CHAINWARD_SHARED_DATA`, else `../shared/data`.
fn shared_data() -> PathBuf {
    std::env::var_os("CHAINWARD_SHARED_DATA")
        .map_or_else(|| PathBuf::from("../shared/data"), PathBuf::from)
}

pub(crate) fn model(global: &cli::Global, args: ModelArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ModelCommand::Train { data, out, seed, trees, json } => {
            let data = data.unwrap_or_else(|| {
                shared_data().join("labeled_tx_graphs").join("fdgnn_ethereum_cybercrime")
            });
            anyhow::ensure!(
                data.is_dir(),
                "no training data at {} (set CHAINWARD_SHARED_DATA to the shared data folder, or \
                 pass --data DIR with fdgnn_labeled_addresses.csv and \
                 fdgnn_first_order_transactions.csv.gz)",
                data.display()
            );
            let mut options = TrainOptions { seed, ..TrainOptions::default() };
            if let Some(trees) = trees {
                options.iterations = trees;
            }
            let started = Instant::now();
            tracing::info!(data = %data.display(), "training the risk model");
            let (model, report) = train_fdgnn(&data, &options)
                .with_context(|| format!("training on {}", data.display()))?;
            let out = match out {
                Some(out) => out,
                None => default_model_path(global)?,
            };
            if let Some(parent) = out.parent() {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            model.save(&out).with_context(|| format!("cannot write {}", out.display()))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "model": out,
                        "seconds": started.elapsed().as_secs_f64(),
                        "report": report,
                    })
                );
            } else {
                println!("{report}");
                println!(
                    "model written to {} ({:.1} s)",
                    out.display(),
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        ModelCommand::Info { model, json } => {
            let path = match model {
                Some(p) => p,
                None => default_model_path(global)?,
            };
            let loaded =
                Model::load(&path).with_context(|| format!("cannot load {}", path.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(loaded.metadata())?);
            } else {
                println!("{}: {:#?}", path.display(), loaded.metadata());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) fn eval(_global: &cli::Global, args: EvalArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EvalCommand::Amlsim { dir, rules, json, engine_only } => {
            let dir = dir.unwrap_or_else(|| shared_data().join("amlsim").join("dev-10k-seed0"));
            anyhow::ensure!(
                dir.is_dir(),
                "no AMLSim output at {} (set CHAINWARD_SHARED_DATA, or pass the directory holding \
                 transactions.csv(.gz) and sar_accounts.csv(.gz))",
                dir.display()
            );
            // The live defaults use chain-time windows (hours, days); AMLSim steps are whole
            // days over two years, so its own profile is the default here.
            let rules = match rules.as_deref() {
                Some(path) => crate::monitor::load_rules(Some(path))?,
                None => chainward_rules::RuleSet::amlsim_profile(),
            };
            let started = Instant::now();
            let report = if engine_only {
                chainward_rules::eval::evaluate(&dir, rules).map_err(|e| anyhow::anyhow!("{e}"))
            } else {
                amlsim_through_monitor(&dir, rules)
            }
            .with_context(|| format!("evaluating on {}", dir.display()))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
                eprintln!("({:.1} s)", started.elapsed().as_secs_f64());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// AMLSim's account ids and transaction ids, spelled as an EVM chain: account N is the address
/// whose last 8 bytes are N, transaction T the hash whose last 8 bytes are T (the marker bytes in
/// front keep them apart from real ones). The replay chain's id is `AMLSIM_CHAIN_ID`.
mod amlsim_chain {
    use alloy_primitives::{Address, B256, U256};
    use chainward_primitives::ledger::{
        Asset, Block, BlockRef, Transaction, Transfer, TransferKind, TxStatus,
    };
    use chainward_primitives::{Address as LedgerAddress, Chain};
    use chainward_rules::FlowBatch;

    /// The EVM chain id of the replay (ASCII "AML").
    pub(super) const AMLSIM_CHAIN_ID: u64 = 0x41_4d_4c;
    const ADDRESS_MARK: [u8; 4] = *b"AMLa";
    const TX_MARK: [u8; 8] = *b"AMLSIMtx";
    const BLOCK_MARK: [u8; 8] = *b"AMLSIMbk";

    /// `mark`, zeros, then `n` big-endian in the last 8 bytes.
    fn marked<const N: usize>(mark: &[u8], n: u64) -> [u8; N] {
        let mut bytes = [0u8; N];
        bytes[..mark.len()].copy_from_slice(mark);
        bytes[N - 8..].copy_from_slice(&n.to_be_bytes());
        bytes
    }

    /// The `n` of [`marked`] bytes; `None` for bytes not made by it with `mark`.
    fn unmarked(bytes: &[u8], mark: &[u8]) -> Option<u64> {
        let (head, id) = bytes.split_at(bytes.len().checked_sub(8)?);
        let zeros = head.strip_prefix(mark)?;
        zeros.iter().all(|&b| b == 0).then(|| u64::from_be_bytes(id.try_into().unwrap_or_default()))
    }

    pub(super) fn address(account: u64) -> Address {
        Address::from(marked::<20>(&ADDRESS_MARK, account))
    }

    /// The account id of an address spelled by the store; `None` for any other address.
    pub(super) fn account(text: &str) -> Option<u64> {
        unmarked(text.parse::<Address>().ok()?.as_slice(), &ADDRESS_MARK)
    }

    fn marked_hash(mark: [u8; 8], n: u64) -> B256 {
        B256::from(marked::<32>(&mark, n))
    }

    /// The transaction id of a hash spelled by the store; `None` for any other hash.
    pub(super) fn transaction(text: &str) -> Option<u64> {
        unmarked(text.parse::<B256>().ok()?.as_slice(), &TX_MARK)
    }

    /// One block per AMLSim step, each payment one transaction moving `base_amt` of the native
    /// coin.
    pub(super) fn blocks(batches: &[FlowBatch]) -> Vec<Block> {
        let mut parent = B256::ZERO;
        batches
            .iter()
            .enumerate()
            .map(|(height, batch)| {
                let hash = marked_hash(BLOCK_MARK, height as u64 + 1);
                let transactions = batch
                    .flows
                    .iter()
                    .enumerate()
                    .map(|(index, flow)| Transaction {
                        hash: marked_hash(TX_MARK, flow.tx),
                        index: index as u32,
                        status: TxStatus::Success,
                        fee: None,
                        inputs: Vec::new(),
                        outputs: Vec::new(),
                        transfers: vec![Transfer {
                            kind: TransferKind::Native,
                            from: LedgerAddress::evm(address(flow.from).into_array()),
                            to: LedgerAddress::evm(address(flow.to).into_array()),
                            asset: Asset::Native,
                            // whole units to wei, rounded to the cent AMLSim writes
                            amount: U256::from((flow.amount * 100.0).round() as u128)
                                * U256::from(10_000_000_000_000_000u128),
                            token_id: None,
                            log_index: None,
                            trace_address: None,
                        }],
                    })
                    .collect();
                let block = Block {
                    chain: Chain::Evm,
                    evm_chain_id: Some(AMLSIM_CHAIN_ID),
                    block: BlockRef { height: height as u64, hash },
                    parent_hash: parent,
                    timestamp: batch.time,
                    transactions,
                };
                parent = hash;
                block
            })
            .collect()
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn ids_survive_the_spelling_and_others_are_refused() {
            for n in [0u64, 1, 12_042, u64::MAX] {
                assert_eq!(account(&address(n).to_checksum(None)), Some(n));
                assert_eq!(account(&address(n).to_string().to_lowercase()), Some(n));
                assert_eq!(transaction(&marked_hash(TX_MARK, n).to_string()), Some(n));
            }
            assert_eq!(account("0x00000000219ab540356cbb839cbe05303d7705fa"), None);
            assert_eq!(account("not an address"), None);
            assert_eq!(transaction(&marked_hash(BLOCK_MARK, 5).to_string()), None);
        }
    }
}

/// `eval amlsim` through the monitor: the AMLSim steps become blocks of an EVM replay chain,
/// are ingested into a fresh store in a temporary folder, and `chainward monitor`'s evaluator
/// evaluates them from genesis and stores the alerts, which are then read back and scored. After
/// the last step one empty block far enough ahead lets judgments that wait for later activity
/// complete, as later blocks would on a live chain.
fn amlsim_through_monitor(
    dir: &std::path::Path,
    rules: chainward_rules::RuleSet,
) -> anyhow::Result<chainward_rules::eval::EvalReport> {
    use chainward_ingest::memory::MemorySource;
    use chainward_ingest::{IngestOptions, ingest};
    use chainward_monitor::{Evaluator, MonitorOptions, Start, catch_up};
    use chainward_rules::eval::{ScoredFinding, end_of_replay, score};
    use chainward_store_api::{AlertFilter, AlertStore};

    let batches = chainward_rules::amlsim::read_batches(dir).map_err(|e| anyhow::anyhow!("{e}"))?;
    let flows: usize = batches.iter().map(|b| b.flows.len()).sum();
    let lookback = rules.lookback_seconds();
    let mut replay = batches.clone();
    replay.extend(end_of_replay(&batches, lookback));
    let blocks = amlsim_chain::blocks(&replay);
    let scratch = tempfile::tempdir().context("creating a scratch store")?;
    let mut store = chainward_store::SqliteStore::open(scratch.path())?;

    let started = Instant::now();
    let (mut source, feed) = MemorySource::new("amlsim");
    for block in blocks {
        feed.push(block);
    }
    let options = IngestOptions { follow: false, ..IngestOptions::default() };
    ingest(&mut store, &mut source, &options, &mut |_| {})?;
    tracing::info!(
        blocks = replay.len(),
        transfers = flows,
        seconds = started.elapsed().as_secs_f64(),
        "AMLSim steps ingested as blocks"
    );
    eprintln!(
        "ingested {} steps ({flows} transfers) into a scratch store in {:.1} s; evaluating them with the monitor …",
        replay.len(),
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let mut evaluator = Evaluator::new(&store, rules, None)?;
    let options = MonitorOptions {
        name: "eval-amlsim".into(),
        start: Start::Genesis,
        ..MonitorOptions::default()
    };
    let summary = catch_up(&mut evaluator, &mut store, &options, &mut |_| {})?;
    eprintln!(
        "the monitor evaluated {} blocks and stored {} alerts in {:.1} s",
        summary.blocks,
        summary.alerts,
        started.elapsed().as_secs_f64()
    );

    let mut found = Vec::new();
    for record in store.alerts(&AlertFilter::default())? {
        let alert = record.alert;
        let detector: chainward_rules::DetectorKind =
            serde_json::from_value(serde_json::Value::String(alert.detector.clone()))
                .with_context(|| format!("alert {} has an unknown detector", alert.key))?;
        let subjects = alert
            .subjects
            .iter()
            .map(|s| {
                amlsim_chain::account(s)
                    .with_context(|| format!("subject {s} is not an AMLSim account"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let evidence: serde_json::Value = serde_json::from_str(&alert.evidence)?;
        let txs = evidence["evidence"]["txs"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t.as_str().and_then(amlsim_chain::transaction))
            .collect();
        found.push(ScoredFinding { rule: alert.rule, detector, subjects, txs });
    }
    score(dir, batches.len(), flows, &found).map_err(|e| anyhow::anyhow!("{e}"))
}
