//! Account-chain (EVM-like) blocks built in code, with laundering shapes planted among ordinary
//! payments: for the monitor's tests and its throughput/latency benchmark, where a real node
//! cannot produce thousands of transactions per second on demand.
//!
//! Background payments go between a fixed population of accounts with random amounts. Every
//! `pattern_every` blocks a new laundering shape starts on fresh addresses, rotating through
//! fan-out (one source splits to many), fan-in (many pay one, which forwards the total), a
//! cycle (funds go round and come back, about 90 % per hop) and a rapid pass-through. Each
//! shape's transfers are spread over the next blocks, so window rules see them arrive.
//!
//! ```
//! use chainward_ingest::synthetic_account::AccountChainBuilder;
//!
//! let mut chain = AccountChainBuilder::new(7, 12);
//! let blocks = chain.mine(5, 100);
//! assert_eq!(blocks.len(), 5);
//! assert!(blocks.iter().all(|b| b.transactions.len() >= 100));
//! assert_eq!(blocks[1].parent_hash, blocks[0].block.hash);
//! ```

use alloy_primitives::{B256, U256};
use chainward_primitives::ledger::{
    Asset, Block, BlockRef, Transaction, Transfer, TransferKind, TxStatus,
};
use chainward_primitives::{Address, Chain};
use std::collections::VecDeque;

/// The chain id the synthetic chain claims.
pub const SYNTHETIC_CHAIN_ID: u64 = 0x00c4_a1d0;

/// A planted shape, for tests that check what was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlantedPattern {
    /// `fan_out`, `fan_in`, `cycle` or `pass_through`.
    pub kind: &'static str,
    /// The height its first transfer is in.
    pub first_height: u64,
    /// The accounts taking part.
    pub members: Vec<Address>,
}

/// Builds a chain block by block.
#[derive(Clone, Debug)]
pub struct AccountChainBuilder {
    rng: u64,
    height: u64,
    time: u64,
    tip: B256,
    population: Vec<Address>,
    fresh: u64,
    pending: VecDeque<Vec<(Address, Address, U256)>>,
    /// Start a new laundering shape every this many blocks (0: never).
    pub pattern_every: u64,
    /// Seconds between blocks.
    pub block_seconds: u64,
    planted: Vec<PlantedPattern>,
    next_kind: usize,
}

const WEI: u128 = 1_000_000_000_000_000_000;

impl AccountChainBuilder {
    /// A builder whose background payments go between `seed`-dependent accounts, with a
    /// laundering shape every `pattern_every` blocks.
    pub fn new(seed: u64, pattern_every: u64) -> Self {
        let mut builder = Self {
            rng: seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1,
            height: 0,
            time: 1_700_000_000,
            tip: B256::ZERO,
            population: Vec::new(),
            fresh: 0,
            pending: VecDeque::new(),
            pattern_every,
            block_seconds: 12,
            planted: Vec::new(),
            next_kind: 0,
        };
        builder.population = (0..2_000).map(|_| builder.random_address()).collect();
        builder
    }

    /// The shapes planted so far.
    pub fn planted(&self) -> &[PlantedPattern] {
        &self.planted
    }

    /// The next block's height.
    pub fn height(&self) -> u64 {
        self.height
    }

    fn next_random(&mut self) -> u64 {
        // splitmix64: deterministic per seed, no dependency.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn random_hash(&mut self) -> B256 {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            chunk.copy_from_slice(&self.next_random().to_le_bytes());
        }
        B256::from(bytes)
    }

    fn random_address(&mut self) -> Address {
        let mut bytes = [0u8; 20];
        bytes[..8].copy_from_slice(&self.next_random().to_le_bytes());
        bytes[8..16].copy_from_slice(&self.next_random().to_le_bytes());
        bytes[16..].copy_from_slice(&self.next_random().to_le_bytes()[..4]);
        Address::evm(bytes)
    }

    fn random_member(&mut self) -> Address {
        let index = (self.next_random() % self.population.len() as u64) as usize;
        self.population[index].clone()
    }

    fn fresh_address(&mut self) -> Address {
        self.fresh += 1;
        self.random_address()
    }

    fn eth(&mut self, low: u64, high: u64) -> U256 {
        let milli = low * 1000 + self.next_random() % ((high - low).max(1) * 1000);
        U256::from(milli as u128 * WEI / 1000)
    }

    /// Schedules a laundering shape starting in the next block.
    fn plant(&mut self) {
        let kind = ["fan_out", "fan_in", "cycle", "pass_through"][self.next_kind % 4];
        self.next_kind += 1;
        let mut steps: Vec<Vec<(Address, Address, U256)>> = Vec::new();
        let members: Vec<Address>;
        match kind {
            "fan_out" => {
                let source = self.fresh_address();
                let funder = self.random_member();
                let total = self.eth(200, 400);
                steps.push(vec![(funder, source.clone(), total)]);
                let sinks: Vec<Address> = (0..12).map(|_| self.fresh_address()).collect();
                let share = total / U256::from(13u64);
                for chunk in sinks.chunks(4) {
                    steps.push(chunk.iter().map(|s| (source.clone(), s.clone(), share)).collect());
                }
                members = std::iter::once(source).chain(sinks).collect();
            }
            "fan_in" => {
                let target = self.fresh_address();
                let feeders: Vec<Address> = (0..12).map(|_| self.fresh_address()).collect();
                let mut total = U256::ZERO;
                for chunk in feeders.chunks(4) {
                    let mut step = Vec::new();
                    for f in chunk {
                        let amount = self.eth(15, 25);
                        total += amount;
                        step.push((f.clone(), target.clone(), amount));
                    }
                    steps.push(step);
                }
                let exit = self.fresh_address();
                steps.push(vec![(
                    target.clone(),
                    exit.clone(),
                    total * U256::from(95u64) / U256::from(100u64),
                )]);
                members =
                    std::iter::once(target).chain(feeders).chain(std::iter::once(exit)).collect();
            }
            "cycle" => {
                let ring: Vec<Address> = (0..5).map(|_| self.fresh_address()).collect();
                let mut amount = self.eth(100, 150);
                for i in 0..ring.len() {
                    let next = ring[(i + 1) % ring.len()].clone();
                    steps.push(vec![(ring[i].clone(), next, amount)]);
                    amount = amount * U256::from(9u64) / U256::from(10u64);
                }
                members = ring;
            }
            _ => {
                let mule = self.fresh_address();
                let from = self.random_member();
                let to = self.fresh_address();
                let amount = self.eth(50, 90);
                steps.push(vec![(from.clone(), mule.clone(), amount)]);
                steps.push(vec![(
                    mule.clone(),
                    to.clone(),
                    amount * U256::from(98u64) / U256::from(100u64),
                )]);
                members = vec![mule, from, to];
            }
        }
        self.planted.push(PlantedPattern { kind, first_height: self.height, members });
        for (i, step) in steps.into_iter().enumerate() {
            while self.pending.len() <= i {
                self.pending.push_back(Vec::new());
            }
            self.pending[i].extend(step);
        }
    }

    /// Mines `count` blocks of at least `payments` background transactions each (plus the
    /// planted shapes' transfers).
    pub fn mine(&mut self, count: u64, payments: usize) -> Vec<Block> {
        (0..count).map(|_| self.mine_one(payments)).collect()
    }

    fn transfer(from: Address, to: Address, amount: U256) -> Transfer {
        Transfer {
            kind: TransferKind::Native,
            from,
            to,
            asset: Asset::Native,
            amount,
            token_id: None,
            log_index: None,
            trace_address: None,
        }
    }

    fn mine_one(&mut self, payments: usize) -> Block {
        if self.pattern_every > 0 && self.height.is_multiple_of(self.pattern_every) {
            self.plant();
        }
        let mut transfers: Vec<(Address, Address, U256)> = Vec::with_capacity(payments + 16);
        for _ in 0..payments {
            let a = (self.next_random() % self.population.len() as u64) as usize;
            let mut b = (self.next_random() % self.population.len() as u64) as usize;
            if a == b {
                b = (b + 1) % self.population.len();
            }
            let amount = self.eth(0, 3);
            transfers.push((self.population[a].clone(), self.population[b].clone(), amount));
        }
        transfers.extend(self.pending.pop_front().unwrap_or_default());
        let transactions = transfers
            .into_iter()
            .enumerate()
            .map(|(index, (from, to, amount))| Transaction {
                hash: self.random_hash(),
                index: index as u32,
                status: TxStatus::Success,
                fee: Some(U256::from(21_000u64 * 1_000_000_000)),
                inputs: Vec::new(),
                outputs: Vec::new(),
                transfers: vec![Self::transfer(from, to, amount)],
            })
            .collect();
        let hash = self.random_hash();
        let block = Block {
            chain: Chain::Evm,
            evm_chain_id: Some(SYNTHETIC_CHAIN_ID),
            block: BlockRef { height: self.height, hash },
            parent_hash: self.tip,
            timestamp: self.time,
            transactions,
        };
        self.tip = hash;
        self.height += 1;
        self.time += self.block_seconds;
        block
    }
}
