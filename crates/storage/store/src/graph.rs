//! [`GraphSource`] on SQLite: value movements block by block, labelled addresses, and id lookups.
//!
//! Each network's movements are read by three cursors (UTXO inputs, UTXO outputs, account
//! transfers), all in `transactions.id` order, which is block order within a network: ids are
//! assigned as blocks are written, and an unwind removes the highest heights, so the ids that
//! replace them are higher again. The cursors are merged block by block, so memory holds one
//! block at a time whatever the size of the store.

use crate::chain::{amount_from_bytes, hash_from_blob, network_from_parts};
use crate::watchlist::category_from;
use crate::{SqliteStore, backend};
use alloy_primitives::{B256, U256};
use chainward_primitives::AddressKey;
use chainward_primitives::ledger::Network;
use chainward_store_api::{
    GraphBlockRows, GraphEdgeRow, GraphEnd, GraphSource, LabelRow, StoreError, TransactionRef,
};
use rusqlite::{OptionalExtension, params};

/// One movement row of a cursor: height, tx id, order key within the tx, the edge.
type MovementRow = (i64, i64, (u8, i64), GraphEdgeRow);

fn id(value: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what}: negative id {value}")))
}

impl GraphSource for SqliteStore {
    fn networks(&self) -> Result<Vec<(u32, Network)>, StoreError> {
        let err = |e| backend(&self.path, e);
        let mut stmt = self
            .conn
            .prepare("SELECT id, chain, evm_chain_id FROM networks ORDER BY id")
            .map_err(err)?;
        let rows = stmt
            .query_map([], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, u8>(1)?, row.get::<_, Option<i64>>(2)?))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, chain, evm) = row.map_err(err)?;
            let id =
                u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("networks.id {id}")))?;
            out.push((id, network_from_parts(chain, evm)?));
        }
        Ok(out)
    }

    fn for_each_graph_block(
        &self,
        network_id: u32,
        heights: std::ops::RangeInclusive<u64>,
        f: &mut dyn FnMut(GraphBlockRows) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let err = |e| backend(&self.path, e);
        let from = i64::try_from(*heights.start()).unwrap_or(i64::MAX);
        let to = i64::try_from(*heights.end()).unwrap_or(i64::MAX);
        let network = i64::from(network_id);
        // Start the rowid scans at the first transaction of the first block wanted.
        let first_tx: i64 = self
            .conn
            .query_row(
                "SELECT COALESCE(MIN(id), 0) FROM transactions WHERE network_id = ?1 AND height >= ?2",
                params![network, from],
                |row| row.get(0),
            )
            .map_err(err)?;
        let mut blocks = self
            .conn
            .prepare(
                "SELECT height, hash, time FROM blocks
                 WHERE network_id = ?1 AND height BETWEEN ?2 AND ?3 ORDER BY height",
            )
            .map_err(err)?;
        let mut inputs = self
            .conn
            .prepare(
                "SELECT t.height, t.id, i.position, i.address_id, i.value
                 FROM transactions t JOIN tx_inputs i ON i.tx_id = t.id
                 WHERE t.id >= ?3 AND t.network_id = ?1 AND t.height BETWEEN ?2 AND ?4 AND t.failed = 0
                   AND i.address_id IS NOT NULL AND i.value IS NOT NULL
                 ORDER BY t.id, i.position",
            )
            .map_err(err)?;
        let mut outputs = self
            .conn
            .prepare(
                "SELECT t.height, t.id, o.position, o.address_id, o.value
                 FROM transactions t JOIN tx_outputs o ON o.tx_id = t.id
                 WHERE t.id >= ?3 AND t.network_id = ?1 AND t.height BETWEEN ?2 AND ?4 AND t.failed = 0
                   AND o.address_id IS NOT NULL
                 ORDER BY t.id, o.position",
            )
            .map_err(err)?;
        let mut transfers = self
            .conn
            .prepare(
                "SELECT t.height, t.id, r.position, r.from_id, r.to_id, r.token_id, r.amount
                 FROM transactions t JOIN transfers r ON r.tx_id = t.id
                 WHERE t.id >= ?3 AND t.network_id = ?1 AND t.height BETWEEN ?2 AND ?4 AND t.failed = 0
                 ORDER BY t.id, r.position",
            )
            .map_err(err)?;
        let args = params![network, from, first_tx, to];
        let mut block_rows = blocks.query(params![network, from, to]).map_err(err)?;
        let mut input_rows = inputs.query(args).map_err(err)?;
        let mut output_rows = outputs.query(args).map_err(err)?;
        let mut transfer_rows = transfers.query(args).map_err(err)?;

        // Inputs (order 0) flow address → transaction, outputs (order 1) transaction → address;
        // both rows are (height, tx, position, address_id, value).
        let next_utxo =
            |rows: &mut rusqlite::Rows<'_>, order: u8| -> Result<Option<MovementRow>, StoreError> {
                let Some(row) = rows.next().map_err(err)? else { return Ok(None) };
                let tx = id(row.get(1).map_err(err)?, "transactions.id")?;
                let (column, value_column) = if order == 0 {
                    ("tx_inputs.address_id", "tx_inputs.value")
                } else {
                    ("tx_outputs.address_id", "tx_outputs.value")
                };
                let address = GraphEnd::Address(id(row.get(3).map_err(err)?, column)?);
                let (from, to) = if order == 0 {
                    (address, GraphEnd::Transaction(tx))
                } else {
                    (GraphEnd::Transaction(tx), address)
                };
                Ok(Some((
                    row.get(0).map_err(err)?,
                    row.get(1).map_err(err)?,
                    (order, row.get(2).map_err(err)?),
                    GraphEdgeRow {
                        tx_id: tx,
                        from,
                        to,
                        token: None,
                        amount: U256::from(id(row.get(4).map_err(err)?, value_column)?),
                    },
                )))
            };
        let next_input = |rows: &mut rusqlite::Rows<'_>| next_utxo(rows, 0);
        let next_output = |rows: &mut rusqlite::Rows<'_>| next_utxo(rows, 1);
        let next_transfer =
            |rows: &mut rusqlite::Rows<'_>| -> Result<Option<MovementRow>, StoreError> {
                let Some(row) = rows.next().map_err(err)? else { return Ok(None) };
                let tx: i64 = row.get(1).map_err(err)?;
                let token: Option<i64> = row.get(5).map_err(err)?;
                let amount: Vec<u8> = row.get(6).map_err(err)?;
                Ok(Some((
                    row.get(0).map_err(err)?,
                    tx,
                    (2, row.get(2).map_err(err)?),
                    GraphEdgeRow {
                        tx_id: id(tx, "transactions.id")?,
                        from: GraphEnd::Address(id(row.get(3).map_err(err)?, "transfers.from_id")?),
                        to: GraphEnd::Address(id(row.get(4).map_err(err)?, "transfers.to_id")?),
                        token: token.map(|t| id(t, "transfers.token_id")).transpose()?,
                        amount: amount_from_bytes(&amount, "transfers.amount")?,
                    },
                )))
            };

        let mut pending_input = next_input(&mut input_rows)?;
        let mut pending_output = next_output(&mut output_rows)?;
        let mut pending_transfer = next_transfer(&mut transfer_rows)?;
        let mut movements: Vec<(i64, (u8, i64), GraphEdgeRow)> = Vec::new();
        while let Some(block) = block_rows.next().map_err(err)? {
            let height: i64 = block.get(0).map_err(err)?;
            let hash: Vec<u8> = block.get(1).map_err(err)?;
            let time: i64 = block.get(2).map_err(err)?;
            movements.clear();
            macro_rules! drain {
                ($pending:ident, $rows:ident, $next:ident) => {
                    while let Some((h, tx, order, _)) = &$pending {
                        if *h > height {
                            break;
                        }
                        let (h, tx, order) = (*h, *tx, *order);
                        let row = $pending.take().map(|p| p.3).expect("pending row");
                        if h == height {
                            movements.push((tx, order, row));
                        }
                        $pending = $next(&mut $rows)?;
                    }
                };
            }
            drain!(pending_input, input_rows, next_input);
            drain!(pending_output, output_rows, next_output);
            drain!(pending_transfer, transfer_rows, next_transfer);
            movements.sort_by_key(|(tx, order, _)| (*tx, *order));
            f(GraphBlockRows {
                network_id,
                height: id(height, "blocks.height")?,
                hash: hash_from_blob(&hash, "blocks.hash")?,
                time: id(time, "blocks.time")?,
                edges: movements.drain(..).map(|(_, _, row)| row).collect(),
            })?;
        }
        Ok(())
    }

    fn labelled_addresses(&self, f: &mut dyn FnMut(LabelRow)) -> Result<(), StoreError> {
        self.labelled_addresses_from(0, f)
    }

    fn labelled_addresses_from(
        &self,
        first_address_id: u64,
        f: &mut dyn FnMut(LabelRow),
    ) -> Result<(), StoreError> {
        let err = |e| backend(&self.path, e);
        let first = i64::try_from(first_address_id).unwrap_or(i64::MAX);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT a.id, e.category, e.entity, e.confidence, s.name
                 FROM addresses a
                 JOIN entries e ON e.address_key = a.key
                 JOIN sources s ON s.id = e.source_id
                 WHERE a.id >= ?1 AND e.delisted_snapshot IS NULL
                 ORDER BY a.id, e.id",
            )
            .map_err(err)?;
        let mut rows = stmt.query([first]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            f(LabelRow {
                address_id: id(row.get(0).map_err(err)?, "addresses.id")?,
                category: category_from(&row.get::<_, String>(1).map_err(err)?).map_err(err)?,
                entity: row.get(2).map_err(err)?,
                confidence: row.get(3).map_err(err)?,
                source: row.get(4).map_err(err)?,
            });
        }
        Ok(())
    }

    fn labels_version(&self) -> Result<u64, StoreError> {
        // Every import that changes entries writes a snapshot; TAXII pulls import through the
        // same path.
        let max: Option<i64> = self
            .conn
            .query_row("SELECT max(id) FROM snapshots", [], |row| row.get(0))
            .map_err(|e| backend(&self.path, e))?;
        Ok(max.map_or(0, |m| m.max(0) as u64))
    }

    fn max_address_id(&self) -> Result<u64, StoreError> {
        let max: Option<i64> = self
            .conn
            .query_row("SELECT max(id) FROM addresses", [], |row| row.get(0))
            .map_err(|e| backend(&self.path, e))?;
        Ok(max.map_or(0, |m| m.max(0) as u64))
    }

    fn address_id(&self, key: &AddressKey) -> Result<Option<u64>, StoreError> {
        let found: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM addresses WHERE key = ?1",
                [key.as_bytes().as_slice()],
                |row| row.get(0),
            )
            .optional()
            .map_err(|e| backend(&self.path, e))?;
        found.map(|v| id(v, "addresses.id")).transpose()
    }

    fn address_text(&self, address_id: u64) -> Result<Option<String>, StoreError> {
        let Ok(address_id) = i64::try_from(address_id) else { return Ok(None) };
        self.conn
            .query_row("SELECT address FROM addresses WHERE id = ?1", [address_id], |row| {
                row.get(0)
            })
            .optional()
            .map_err(|e| backend(&self.path, e))
    }

    fn transaction_ref(&self, tx_id: u64) -> Result<Option<TransactionRef>, StoreError> {
        let Ok(tx_id) = i64::try_from(tx_id) else { return Ok(None) };
        let found = self
            .conn
            .query_row(
                "SELECT t.id, n.chain, n.evm_chain_id, t.hash, t.height
                 FROM transactions t JOIN networks n ON n.id = t.network_id WHERE t.id = ?1",
                [tx_id],
                tx_ref_parts,
            )
            .optional()
            .map_err(|e| backend(&self.path, e))?;
        found.map(tx_ref_from_parts).transpose()
    }

    fn transactions_by_hash(&self, hash: B256) -> Result<Vec<TransactionRef>, StoreError> {
        let err = |e| backend(&self.path, e);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT t.id, n.chain, n.evm_chain_id, t.hash, t.height
                 FROM transactions t JOIN networks n ON n.id = t.network_id WHERE t.hash = ?1
                 ORDER BY t.id",
            )
            .map_err(err)?;
        let rows = stmt.query_map([hash.as_slice()], tx_ref_parts).map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(tx_ref_from_parts(row.map_err(err)?)?);
        }
        Ok(out)
    }
}

type TxRefParts = (i64, u8, Option<i64>, Vec<u8>, i64);

fn tx_ref_parts(row: &rusqlite::Row<'_>) -> rusqlite::Result<TxRefParts> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?))
}

fn tx_ref_from_parts(
    (tx_id, chain, evm, hash, height): TxRefParts,
) -> Result<TransactionRef, StoreError> {
    Ok(TransactionRef {
        id: id(tx_id, "transactions.id")?,
        network: network_from_parts(chain, evm)?,
        hash: hash_from_blob(&hash, "transactions.hash")?,
        height: id(height, "transactions.height")?,
    })
}
