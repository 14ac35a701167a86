//! The chain tables: networks, interned addresses, blocks, transactions, UTXO inputs and
//! outputs, account transfers, and ingest checkpoints.
//!
//! Encodings (documented in `docs/schema.md`): hashes are 32-byte BLOBs in display order;
//! satoshi values are INTEGERs; EVM amounts and fees, which can exceed 64 bits, are BLOBs of
//! their minimal big-endian bytes (`X''` for zero). Addresses are interned: every row refers to
//! `addresses.id`, and the table keeps the 32-byte [`AddressKey`] and the canonical spelling.

use crate::{SqliteStore, backend};
use alloy_primitives::{B256, U256};
use chainward_primitives::ledger::{
    Asset, Block, BlockRef, Network, OutPoint, ScriptType, Transaction, Transfer, TransferKind,
    TxInput, TxOutput, TxStatus,
};
use chainward_primitives::{Address, AddressKey, Chain};
use chainward_store_api::{
    ApplyOutcome, ChainBatch, ChainStats, ChainStore, Checkpoint, NetworkStats, StoreError,
};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// Interned address ids kept in memory across batches. Bounded: a full cache is dropped and
/// refilled from the store as addresses recur. While it holds every stored address
/// (`complete`), a miss means a new address and costs one INSERT, not a SELECT and an INSERT.
const ADDRESS_CACHE_LIMIT: usize = 4_000_000;

/// In-memory caches of the chain tables, valid only for committed data.
#[derive(Debug, Default)]
pub(crate) struct ChainCache {
    addresses: HashMap<AddressKey, i64, foldhash::fast::RandomState>,
    /// Whether `addresses` holds every row of the `addresses` table.
    complete: bool,
    /// Whether loading the table was tried since the cache was last invalidated.
    loaded: bool,
    networks: HashMap<Network, i64>,
}

impl ChainCache {
    fn invalidate(&mut self) {
        self.addresses.clear();
        self.complete = false;
        self.loaded = false;
    }
}

fn transfer_kind_code(kind: TransferKind) -> i64 {
    match kind {
        TransferKind::Native => 0,
        TransferKind::Internal => 1,
        TransferKind::Erc20 => 2,
        TransferKind::Erc721 => 3,
    }
}

fn transfer_kind_from_code(code: i64) -> Result<TransferKind, StoreError> {
    Ok(match code {
        0 => TransferKind::Native,
        1 => TransferKind::Internal,
        2 => TransferKind::Erc20,
        3 => TransferKind::Erc721,
        _ => return Err(StoreError::Corrupt(format!("transfers.kind: unknown kind {code}"))),
    })
}

fn script_type_from_code(code: i64) -> ScriptType {
    match code {
        0 => ScriptType::P2pk,
        1 => ScriptType::P2pkh,
        2 => ScriptType::P2sh,
        3 => ScriptType::P2wpkh,
        4 => ScriptType::P2wsh,
        5 => ScriptType::P2tr,
        6 => ScriptType::Multisig,
        7 => ScriptType::NullData,
        8 => ScriptType::WitnessUnknown,
        _ => ScriptType::NonStandard,
    }
}

pub(crate) fn amount_from_bytes(bytes: &[u8], what: &str) -> Result<U256, StoreError> {
    U256::try_from_be_slice(bytes)
        .ok_or_else(|| StoreError::Corrupt(format!("{what}: more than 32 bytes")))
}

fn transfer_kind_name(code: i64) -> &'static str {
    match code {
        0 => "native",
        1 => "internal",
        2 => "erc20",
        3 => "erc721",
        _ => "unknown",
    }
}

fn script_type_code(script: ScriptType) -> i64 {
    match script {
        ScriptType::P2pk => 0,
        ScriptType::P2pkh => 1,
        ScriptType::P2sh => 2,
        ScriptType::P2wpkh => 3,
        ScriptType::P2wsh => 4,
        ScriptType::P2tr => 5,
        ScriptType::Multisig => 6,
        ScriptType::NullData => 7,
        ScriptType::WitnessUnknown => 8,
        _ => 9,
    }
}

fn amount_bytes(amount: U256) -> Vec<u8> {
    amount.to_be_bytes_trimmed_vec()
}

fn sql_u64(value: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(value)
        .map_err(|_| StoreError::Rejected(format!("{what} {value} does not fit the store")))
}

pub(crate) fn hash_from_blob(bytes: &[u8], what: &str) -> Result<B256, StoreError> {
    B256::try_from(bytes).map_err(|_| StoreError::Corrupt(format!("{what}: not a 32-byte hash")))
}

impl SqliteStore {
    fn network_id(&mut self, network: Network) -> Result<i64, StoreError> {
        if let Some(&id) = self.chain_cache.networks.get(&network) {
            return Ok(id);
        }
        let path = self.path.clone();
        let name = network.to_string();
        self.conn
            .execute(
                "INSERT INTO networks (chain, evm_chain_id, name) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO NOTHING",
                params![network.chain.id(), network.evm_chain_id.map(|id| id as i64), name],
            )
            .map_err(|e| backend(&path, e))?;
        let id = self
            .conn
            .query_row("SELECT id FROM networks WHERE name = ?1", [&name], |row| row.get(0))
            .map_err(|e| backend(&path, e))?;
        self.chain_cache.networks.insert(network, id);
        Ok(id)
    }

    /// Fills the address cache with the whole table when it fits, so that misses need no
    /// lookup.
    fn load_address_cache(&mut self) -> Result<(), StoreError> {
        let err = |e: rusqlite::Error| backend(&self.path, e);
        self.chain_cache.loaded = true;
        let count: i64 = self
            .conn
            .query_row("SELECT count(*) FROM addresses", [], |row| row.get(0))
            .map_err(err)?;
        if count as usize > ADDRESS_CACHE_LIMIT / 2 {
            return Ok(());
        }
        let mut statement = self.conn.prepare("SELECT key, id FROM addresses").map_err(err)?;
        let mut rows = statement.query([]).map_err(err)?;
        let cache = &mut self.chain_cache.addresses;
        cache.clear();
        while let Some(row) = rows.next().map_err(err)? {
            let key: Vec<u8> = row.get(0).map_err(err)?;
            let key: [u8; 32] = key
                .try_into()
                .map_err(|_| StoreError::Corrupt("addresses.key: not 32 bytes".into()))?;
            cache.insert(AddressKey::from_bytes(key), row.get(1).map_err(err)?);
        }
        self.chain_cache.complete = true;
        Ok(())
    }

    fn existing_network_id(&self, network: Network) -> Result<Option<i64>, StoreError> {
        if let Some(&id) = self.chain_cache.networks.get(&network) {
            return Ok(Some(id));
        }
        self.conn
            .query_row("SELECT id FROM networks WHERE name = ?1", [network.to_string()], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| backend(&self.path, e))
    }
}

/// Writes one batch inside an open transaction; the caller commits.
struct BatchWriter<'t, 'c> {
    tx: &'t rusqlite::Transaction<'c>,
    network_id: i64,
    addresses: &'t mut HashMap<AddressKey, i64, foldhash::fast::RandomState>,
    complete: &'t mut bool,
    outcome: ApplyOutcome,
}

impl BatchWriter<'_, '_> {
    fn address_id(&mut self, address: &Address) -> rusqlite::Result<i64> {
        let key = address.key();
        if let Some(&id) = self.addresses.get(&key) {
            return Ok(id);
        }
        let stored = if *self.complete {
            None
        } else {
            self.tx
                .prepare_cached("SELECT id FROM addresses WHERE key = ?1")?
                .query_row([key.as_bytes().as_slice()], |row| row.get(0))
                .optional()?
        };
        let id = match stored {
            Some(id) => id,
            None => {
                // Another process writing the same store may have added it since the cache
                // was filled: then the insert does nothing and the stored id is read.
                let inserted = self
                    .tx
                    .prepare_cached(
                        "INSERT INTO addresses (key, address) VALUES (?1, ?2)
                         ON CONFLICT (key) DO NOTHING",
                    )?
                    .execute(params![key.as_bytes().as_slice(), address.canonical()])?;
                if inserted == 1 {
                    self.outcome.new_addresses += 1;
                    self.tx.last_insert_rowid()
                } else {
                    self.tx
                        .prepare_cached("SELECT id FROM addresses WHERE key = ?1")?
                        .query_row([key.as_bytes().as_slice()], |row| row.get(0))?
                }
            }
        };
        if self.addresses.len() >= ADDRESS_CACHE_LIMIT {
            self.addresses.clear();
            *self.complete = false;
        }
        self.addresses.insert(key, id);
        Ok(id)
    }

    fn unwind_from(&mut self, height: u64) -> Result<(), StoreError> {
        let height = sql_u64(height, "height")?;
        let tx = self.tx;
        let run = |sql: &str| tx.execute(sql, params![self.network_id, height]);
        let sql_error = |e: rusqlite::Error| StoreError::Backend(format!("unwind: {e}"));
        let doomed = "SELECT id FROM transactions WHERE network_id = ?1 AND height >= ?2";
        run(&format!("DELETE FROM transfers WHERE tx_id IN ({doomed})")).map_err(sql_error)?;
        run(&format!("DELETE FROM tx_outputs WHERE tx_id IN ({doomed})")).map_err(sql_error)?;
        run(&format!("DELETE FROM tx_inputs WHERE tx_id IN ({doomed})")).map_err(sql_error)?;
        run("DELETE FROM transactions WHERE network_id = ?1 AND height >= ?2")
            .map_err(sql_error)?;
        let blocks =
            run("DELETE FROM blocks WHERE network_id = ?1 AND height >= ?2").map_err(sql_error)?;
        self.outcome.unwound_blocks = blocks as u64;
        Ok(())
    }

    fn insert_block(&mut self, block: &Block) -> Result<(), StoreError> {
        let height = sql_u64(block.block.height, "block height")?;
        let sql = |e: rusqlite::Error| {
            StoreError::Backend(format!("block {} ({}): {e}", block.block.height, block.block.hash))
        };
        self.tx
            .prepare_cached(
                "INSERT INTO blocks (network_id, height, hash, parent_hash, time, tx_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    self.network_id,
                    height,
                    block.block.hash.as_slice(),
                    block.parent_hash.as_slice(),
                    block.timestamp as i64,
                    block.transactions.len() as i64,
                ])
            })
            .map_err(sql)?;
        for transaction in &block.transactions {
            self.insert_transaction(height, transaction).map_err(sql)?;
        }
        self.outcome.blocks += 1;
        Ok(())
    }

    fn insert_transaction(
        &mut self,
        height: i64,
        transaction: &Transaction,
    ) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO transactions (network_id, height, position, hash, failed, fee)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                self.network_id,
                height,
                transaction.index,
                transaction.hash.as_slice(),
                matches!(transaction.status, TxStatus::Failed),
                transaction.fee.map(amount_bytes),
            ])?;
        let tx_id = self.tx.last_insert_rowid();
        self.outcome.transactions += 1;

        for (position, input) in transaction.inputs.iter().enumerate() {
            let (mut value, mut address_id) = (input.value.map(|v| v as i64), None);
            if let Some(address) = &input.address {
                address_id = Some(self.address_id(address)?);
            }
            if let Some(previous) = input.previous
                && (value.is_none() || address_id.is_none())
            {
                // The spent output was stored by an earlier block (or earlier in this one):
                // copying its value and address here makes every input an edge of the graph.
                let mut spent = self.tx.prepare_cached(
                    "SELECT o.value, o.address_id FROM transactions t
                     JOIN tx_outputs o ON o.tx_id = t.id AND o.position = ?3
                     WHERE t.hash = ?1 AND t.network_id = ?2
                     ORDER BY t.id DESC LIMIT 1",
                )?;
                let found = spent
                    .query_row(
                        params![previous.txid.as_slice(), self.network_id, previous.vout],
                        |row| Ok((row.get::<_, i64>(0)?, row.get::<_, Option<i64>>(1)?)),
                    )
                    .optional()?;
                if let Some((spent_value, spent_address)) = found {
                    value = value.or(Some(spent_value));
                    address_id = address_id.or(spent_address);
                    self.outcome.inputs_resolved += 1;
                }
            }
            self.tx
                .prepare_cached(
                    "INSERT INTO tx_inputs (tx_id, position, prev_txid, prev_vout, value, address_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    tx_id,
                    position as i64,
                    input.previous.map(|p| p.txid.to_vec()),
                    input.previous.map(|p| p.vout),
                    value,
                    address_id,
                ])?;
            self.outcome.inputs += 1;
        }

        for output in &transaction.outputs {
            let address_id = match &output.address {
                Some(address) => Some(self.address_id(address)?),
                None => None,
            };
            self.tx
                .prepare_cached(
                    "INSERT INTO tx_outputs (tx_id, position, value, script_type, address_id)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    tx_id,
                    output.index,
                    output.value as i64,
                    script_type_code(output.script_type),
                    address_id,
                ])?;
            self.outcome.outputs += 1;
        }

        for (position, transfer) in transaction.transfers.iter().enumerate() {
            let from_id = self.address_id(&transfer.from)?;
            let to_id = self.address_id(&transfer.to)?;
            let token_id = match &transfer.asset {
                Asset::Native => None,
                Asset::Token { contract } => Some(self.address_id(contract)?),
            };
            let trace_address = transfer
                .trace_address
                .as_ref()
                .map(|path| path.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
            self.tx
                .prepare_cached(
                    "INSERT INTO transfers (tx_id, position, kind, from_id, to_id, token_id, amount,
                                            nft_id, log_index, trace_address)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )?
                .execute(params![
                    tx_id,
                    position as i64,
                    transfer_kind_code(transfer.kind),
                    from_id,
                    to_id,
                    token_id,
                    amount_bytes(transfer.amount),
                    transfer.token_id.map(amount_bytes),
                    transfer.log_index,
                    trace_address,
                ])?;
            self.outcome.transfers += 1;
        }
        Ok(())
    }
}

fn tip_of(
    conn: &rusqlite::Connection,
    network_id: i64,
) -> rusqlite::Result<Option<(i64, Vec<u8>)>> {
    conn.prepare_cached(
        "SELECT height, hash FROM blocks WHERE network_id = ?1 ORDER BY height DESC LIMIT 1",
    )?
    .query_row([network_id], |row| Ok((row.get(0)?, row.get(1)?)))
    .optional()
}

fn check_links(batch: &ChainBatch<'_>, below: Option<(u64, B256)>) -> Result<(), StoreError> {
    let Some(first) = batch.blocks.first() else { return Ok(()) };
    if let Some((height, hash)) = below {
        if first.block.height != height + 1 {
            return Err(StoreError::Rejected(format!(
                "{}: the store's tip is block {height}, the batch starts at {} (a {}); unwind \
                 first or start at {}",
                batch.network,
                first.block.height,
                if first.block.height > height + 1 { "gap" } else { "height already stored" },
                height + 1
            )));
        }
        if first.parent_hash != hash {
            return Err(StoreError::Rejected(format!(
                "{}: block {} ({}) has parent {}, but the stored block {height} is {hash}",
                batch.network, first.block.height, first.block.hash, first.parent_hash
            )));
        }
    }
    for pair in batch.blocks.windows(2) {
        let (parent, child) = (&pair[0], &pair[1]);
        if child.block.height != parent.block.height + 1 || child.parent_hash != parent.block.hash {
            return Err(StoreError::Rejected(format!(
                "{}: block {} ({}) does not follow block {} ({})",
                batch.network,
                child.block.height,
                child.block.hash,
                parent.block.height,
                parent.block.hash
            )));
        }
    }
    for block in batch.blocks {
        if Network::of(block) != batch.network {
            return Err(StoreError::Rejected(format!(
                "block {} belongs to {}, not to {}",
                block.block.height,
                Network::of(block),
                batch.network
            )));
        }
    }
    Ok(())
}

impl ChainStore for SqliteStore {
    fn block_at(&self, network: Network, height: u64) -> Result<Option<BlockRef>, StoreError> {
        let Some(network_id) = self.existing_network_id(network)? else { return Ok(None) };
        let Ok(sql_height) = i64::try_from(height) else { return Ok(None) };
        let hash: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT hash FROM blocks WHERE network_id = ?1 AND height = ?2")
            .and_then(|mut s| {
                s.query_row(params![network_id, sql_height], |row| row.get(0)).optional()
            })
            .map_err(|e| backend(&self.path, e))?;
        hash.map(|hash| Ok(BlockRef { height, hash: hash_from_blob(&hash, "blocks.hash")? }))
            .transpose()
    }

    fn tip(&self, network: Network) -> Result<Option<BlockRef>, StoreError> {
        let Some(network_id) = self.existing_network_id(network)? else { return Ok(None) };
        let tip = tip_of(&self.conn, network_id).map_err(|e| backend(&self.path, e))?;
        tip.map(|(height, hash)| {
            Ok(BlockRef { height: height as u64, hash: hash_from_blob(&hash, "blocks.hash")? })
        })
        .transpose()
    }

    fn checkpoint(&self, source: &str) -> Result<Option<Checkpoint>, StoreError> {
        let row = self
            .conn
            .query_row(
                "SELECT n.chain, n.evm_chain_id, c.height, c.hash, c.updated_at
                 FROM ingest_checkpoints c JOIN networks n ON n.id = c.network_id
                 WHERE c.source = ?1",
                [source],
                |row| {
                    Ok((
                        row.get::<_, u8>(0)?,
                        row.get::<_, Option<i64>>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, Vec<u8>>(3)?,
                        row.get::<_, String>(4)?,
                    ))
                },
            )
            .optional()
            .map_err(|e| backend(&self.path, e))?;
        row.map(|(chain, evm_chain_id, height, hash, updated_at)| {
            checkpoint_from_parts(source.to_owned(), chain, evm_chain_id, height, &hash, updated_at)
        })
        .transpose()
    }

    fn apply(&mut self, batch: &ChainBatch<'_>) -> Result<ApplyOutcome, StoreError> {
        let network_id = self.network_id(batch.network)?;
        if !self.chain_cache.loaded {
            self.load_address_cache()?;
        }
        let path = self.path.clone();
        let err = |e: rusqlite::Error| backend(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let result = (|| {
            let mut writer = BatchWriter {
                tx: &tx,
                network_id,
                addresses: &mut self.chain_cache.addresses,
                complete: &mut self.chain_cache.complete,
                outcome: ApplyOutcome::default(),
            };
            if let Some(height) = batch.unwind_from {
                writer.unwind_from(height)?;
            }
            let below = tip_of(&tx, network_id)
                .map_err(err)?
                .map(|(height, hash)| {
                    Ok::<_, StoreError>((height as u64, hash_from_blob(&hash, "blocks.hash")?))
                })
                .transpose()?;
            check_links(batch, below)?;
            for block in batch.blocks {
                writer.insert_block(block)?;
            }
            let checkpoint = batch
                .blocks
                .last()
                .map(|b| b.block)
                .or(below.map(|(height, hash)| BlockRef { height, hash }));
            match checkpoint {
                Some(block) => {
                    tx.execute(
                        "INSERT INTO ingest_checkpoints (source, network_id, height, hash, updated_at)
                         VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (source) DO UPDATE SET network_id = excluded.network_id,
                             height = excluded.height, hash = excluded.hash,
                             updated_at = excluded.updated_at",
                        params![
                            batch.source,
                            network_id,
                            sql_u64(block.height, "height")?,
                            block.hash.as_slice(),
                            batch.written_at
                        ],
                    )
                    .map_err(err)?;
                }
                None => {
                    tx.execute("DELETE FROM ingest_checkpoints WHERE source = ?1", [batch.source])
                        .map_err(err)?;
                }
            }
            Ok::<_, StoreError>(writer.outcome)
        })();
        match result {
            Ok(outcome) => {
                tx.commit().map_err(err)?;
                Ok(outcome)
            }
            Err(e) => {
                // Ids handed out inside the rolled-back transaction are void.
                self.chain_cache.invalidate();
                drop(tx);
                Err(e)
            }
        }
    }

    fn transaction(
        &self,
        network: Network,
        hash: B256,
    ) -> Result<Option<(BlockRef, Transaction)>, StoreError> {
        let err = |e: rusqlite::Error| backend(&self.path, e);
        let Some(network_id) = self.existing_network_id(network)? else { return Ok(None) };
        let row = self
            .conn
            .query_row(
                "SELECT t.id, t.height, b.hash, t.position, t.failed, t.fee
                 FROM transactions t JOIN blocks b ON b.network_id = t.network_id AND b.height = t.height
                 WHERE t.network_id = ?1 AND t.hash = ?2 ORDER BY t.id DESC LIMIT 1",
                params![network_id, hash.as_slice()],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, Vec<u8>>(2)?,
                        row.get::<_, u32>(3)?,
                        row.get::<_, bool>(4)?,
                        row.get::<_, Option<Vec<u8>>>(5)?,
                    ))
                },
            )
            .optional()
            .map_err(err)?;
        let Some((tx_id, height, block_hash, index, failed, fee)) = row else { return Ok(None) };
        let address = |id: Option<i64>| -> Result<Option<Address>, StoreError> {
            let Some(id) = id else { return Ok(None) };
            let (key, text): (Vec<u8>, String) = self
                .conn
                .query_row("SELECT key, address FROM addresses WHERE id = ?1", [id], |row| {
                    Ok((row.get(0)?, row.get(1)?))
                })
                .map_err(err)?;
            let chain = key.first().and_then(|&id| Chain::from_id(id)).ok_or_else(|| {
                StoreError::Corrupt(format!("addresses.key of {id}: unknown chain"))
            })?;
            Address::parse(chain, &text)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("addresses.address of {id}: {e}")))
        };

        let mut inputs = Vec::new();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT prev_txid, prev_vout, value, address_id FROM tx_inputs
                 WHERE tx_id = ?1 ORDER BY position",
            )
            .map_err(err)?;
        let rows: Vec<InputRow> = statement
            .query_map([tx_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        for (txid, vout, value, address_id) in rows {
            let previous = match (txid, vout) {
                (Some(txid), Some(vout)) => {
                    Some(OutPoint { txid: hash_from_blob(&txid, "tx_inputs.prev_txid")?, vout })
                }
                _ => None,
            };
            inputs.push(TxInput {
                previous,
                value: value.map(|v| v as u64),
                address: address(address_id)?,
            });
        }

        let mut outputs = Vec::new();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT position, value, script_type, address_id FROM tx_outputs
                 WHERE tx_id = ?1 ORDER BY position",
            )
            .map_err(err)?;
        let rows: Vec<(u32, i64, i64, Option<i64>)> = statement
            .query_map([tx_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        for (index, value, script_type, address_id) in rows {
            outputs.push(TxOutput {
                index,
                value: value as u64,
                script_type: script_type_from_code(script_type),
                address: address(address_id)?,
            });
        }

        let mut transfers = Vec::new();
        let mut statement = self
            .conn
            .prepare_cached(
                "SELECT kind, from_id, to_id, token_id, amount, nft_id, log_index, trace_address
                 FROM transfers WHERE tx_id = ?1 ORDER BY position",
            )
            .map_err(err)?;
        let rows: Vec<TransferRow> = statement
            .query_map([tx_id], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                    row.get(7)?,
                ))
            })
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        for (kind, from, to, token, amount, nft, log_index, trace_address) in rows {
            let missing =
                || StoreError::Corrupt(format!("transfer of tx {tx_id}: missing address"));
            transfers.push(Transfer {
                kind: transfer_kind_from_code(kind)?,
                from: address(Some(from))?.ok_or_else(missing)?,
                to: address(Some(to))?.ok_or_else(missing)?,
                asset: match address(token)? {
                    Some(contract) => Asset::Token { contract },
                    None => Asset::Native,
                },
                amount: amount_from_bytes(&amount, "transfers.amount")?,
                token_id: nft.map(|b| amount_from_bytes(&b, "transfers.nft_id")).transpose()?,
                log_index,
                trace_address: trace_address
                    .map(|text| {
                        text.split(',')
                            .filter(|part| !part.is_empty())
                            .map(|part| {
                                part.parse::<u32>().map_err(|_| {
                                    StoreError::Corrupt(format!(
                                        "transfers.trace_address '{text}' of tx {tx_id}"
                                    ))
                                })
                            })
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .transpose()?,
            });
        }
        let block =
            BlockRef { height: height as u64, hash: hash_from_blob(&block_hash, "blocks.hash")? };
        let transaction = Transaction {
            hash,
            index,
            status: if failed { TxStatus::Failed } else { TxStatus::Success },
            fee: fee.map(|b| amount_from_bytes(&b, "transactions.fee")).transpose()?,
            inputs,
            outputs,
            transfers,
        };
        Ok(Some((block, transaction)))
    }

    fn chain_stats(&self) -> Result<ChainStats, StoreError> {
        let err = |e: rusqlite::Error| backend(&self.path, e);
        let mut networks = Vec::new();
        let mut statement = self
            .conn
            .prepare("SELECT id, chain, evm_chain_id, name FROM networks ORDER BY name")
            .map_err(err)?;
        let rows: Vec<(i64, u8, Option<i64>, String)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        for (id, chain, evm_chain_id, name) in rows {
            let network = network_from_parts(chain, evm_chain_id)?;
            let count = |sql: &str| -> Result<u64, StoreError> {
                self.conn
                    .query_row(sql, [id], |row| row.get::<_, i64>(0))
                    .map(|n| n as u64)
                    .map_err(err)
            };
            let blocks = count("SELECT count(*) FROM blocks WHERE network_id = ?1")?;
            let first_height: Option<i64> = self
                .conn
                .query_row("SELECT min(height) FROM blocks WHERE network_id = ?1", [id], |row| {
                    row.get(0)
                })
                .map_err(err)?;
            let tip = self.tip(network)?;
            let transactions = count("SELECT count(*) FROM transactions WHERE network_id = ?1")?;
            let failed_transactions =
                count("SELECT count(*) FROM transactions WHERE network_id = ?1 AND failed")?;
            let outputs = count(
                "SELECT count(*) FROM tx_outputs WHERE tx_id IN
                 (SELECT id FROM transactions WHERE network_id = ?1)",
            )?;
            let inputs = count(
                "SELECT count(*) FROM tx_inputs WHERE tx_id IN
                 (SELECT id FROM transactions WHERE network_id = ?1)",
            )?;
            let mut by_kind = self
                .conn
                .prepare(
                    "SELECT kind, count(*) FROM transfers WHERE tx_id IN
                     (SELECT id FROM transactions WHERE network_id = ?1) GROUP BY kind ORDER BY kind",
                )
                .map_err(err)?;
            let transfers = by_kind
                .query_map([id], |row| {
                    Ok((transfer_kind_name(row.get(0)?).to_owned(), row.get::<_, i64>(1)? as u64))
                })
                .map_err(err)?
                .collect::<Result<_, _>>()
                .map_err(err)?;
            networks.push(NetworkStats {
                network,
                name,
                blocks,
                first_height: first_height.map(|h| h as u64),
                tip,
                transactions,
                failed_transactions,
                transfers,
                outputs,
                inputs,
            });
        }
        let addresses: i64 = self
            .conn
            .query_row("SELECT count(*) FROM addresses", [], |row| row.get(0))
            .map_err(err)?;
        let mut statement = self
            .conn
            .prepare(
                "SELECT c.source, n.chain, n.evm_chain_id, c.height, c.hash, c.updated_at
                 FROM ingest_checkpoints c JOIN networks n ON n.id = c.network_id ORDER BY c.source",
            )
            .map_err(err)?;
        let rows: Vec<CheckpointRow> = statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
            })
            .map_err(err)?
            .collect::<Result<_, _>>()
            .map_err(err)?;
        let checkpoints = rows
            .into_iter()
            .map(|(source, chain, evm, height, hash, at)| {
                checkpoint_from_parts(source, chain, evm, height, &hash, at)
            })
            .collect::<Result<_, _>>()?;
        Ok(ChainStats { networks, addresses: addresses as u64, checkpoints })
    }
}

/// `prev_txid, prev_vout, value, address_id` of `tx_inputs`.
type InputRow = (Option<Vec<u8>>, Option<u32>, Option<i64>, Option<i64>);

/// `kind, from_id, to_id, token_id, amount, nft_id, log_index, trace_address` of `transfers`.
type TransferRow =
    (i64, i64, i64, Option<i64>, Vec<u8>, Option<Vec<u8>>, Option<u32>, Option<String>);

/// `source, chain, evm_chain_id, height, hash, updated_at` of `ingest_checkpoints`.
type CheckpointRow = (String, u8, Option<i64>, i64, Vec<u8>, String);

pub(crate) fn network_from_parts(
    chain: u8,
    evm_chain_id: Option<i64>,
) -> Result<Network, StoreError> {
    let chain = Chain::from_id(chain)
        .ok_or_else(|| StoreError::Corrupt(format!("networks.chain: unknown chain id {chain}")))?;
    Ok(Network { chain, evm_chain_id: evm_chain_id.map(|id| id as u64) })
}

fn checkpoint_from_parts(
    source: String,
    chain: u8,
    evm_chain_id: Option<i64>,
    height: i64,
    hash: &[u8],
    updated_at: String,
) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        source,
        network: network_from_parts(chain, evm_chain_id)?,
        block: BlockRef { height: height as u64, hash: hash_from_blob(hash, "checkpoint hash")? },
        updated_at,
    })
}
