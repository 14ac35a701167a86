//! The graph's snapshot file: the CSR arrays as they are in memory, so loading is a read at disk
//! speed rather than a rebuild from the store.
//!
//! ```text
//! "CWGRAPH\0"  u32 format version  u32 byte-order mark 0x01020304
//! u64 × 8      counts: edges, in-index, address offsets (out, in), transaction offsets (out,
//!              in), transaction nodes, assets, watermarks — 9 values
//! arrays       little-endian, in the order of the counts: edge from, to, amount (f64), time,
//!              asset, tx, seq (u16); in-index; offsets; transaction node store ids; assets (network u32,
//!              has-token u32, token u64); watermarks (network u32, 0 u32, height u64, hash 32)
//! 32 bytes     BLAKE3 of everything before
//! ```
//!
//! A file with another magic, version or byte order, a size that does not match its counts, or a
//! checksum that differs is refused with a message naming the file; nothing is half-loaded.
//! Saving writes a temporary file beside the target and renames it, so a crash never leaves a
//! truncated snapshot under the real name.

use crate::{Asset, EdgeColumns, GraphError, Offsets, TransferGraph, Watermark};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;
use zerocopy::{FromBytes, IntoBytes};

const MAGIC: &[u8; 8] = b"CWGRAPH\0";
/// The snapshot format version. Any change to the layout bumps it.
pub const FORMAT_VERSION: u32 = 1;
const BYTE_ORDER_MARK: u32 = 0x0102_0304;
const HEADER_LEN: u64 = 8 + 4 + 4 + 9 * 8;

fn io(path: &Path, what: &str) -> impl FnOnce(std::io::Error) -> GraphError {
    let context = format!("{what} {}", path.display());
    move |source| GraphError::Io { context, source }
}

fn bad(path: &Path, reason: impl Into<String>) -> GraphError {
    GraphError::Snapshot { path: path.display().to_string(), reason: reason.into() }
}

struct HashingWriter<W: Write> {
    inner: W,
    hasher: blake3::Hasher,
}

impl<W: Write> HashingWriter<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.inner.write_all(bytes)
    }
}

/// Saves `graph` to `path`, folding its overlay in first.
///
/// # Errors
/// I/O errors, naming the file.
pub fn save(graph: &mut TransferGraph, path: &Path) -> Result<u64, GraphError> {
    graph.compact()?;
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).map_err(io(&tmp, "creating"))?;
    let mut w = HashingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        hasher: blake3::Hasher::new(),
    };
    let e = &graph.edges;
    let counts: [u64; 9] = [
        e.len() as u64,
        graph.in_index.len() as u64,
        graph.out_offsets.address.len() as u64,
        graph.in_offsets.address.len() as u64,
        graph.out_offsets.transaction.len() as u64,
        graph.in_offsets.transaction.len() as u64,
        graph.tx_nodes.len() as u64,
        graph.assets.as_slice().len() as u64,
        graph.watermarks.len() as u64,
    ];
    let write = |w: &mut HashingWriter<BufWriter<File>>| -> std::io::Result<()> {
        w.put(MAGIC)?;
        w.put(&FORMAT_VERSION.to_le_bytes())?;
        w.put(&BYTE_ORDER_MARK.to_ne_bytes())?;
        for c in counts {
            w.put(&c.to_le_bytes())?;
        }
        w.put(e.from.as_bytes())?;
        w.put(e.to.as_bytes())?;
        w.put(e.amount.as_bytes())?;
        w.put(e.time.as_bytes())?;
        w.put(e.asset.as_bytes())?;
        w.put(e.tx.as_bytes())?;
        w.put(e.seq.as_bytes())?;
        w.put(graph.in_index.as_bytes())?;
        w.put(graph.out_offsets.address.as_bytes())?;
        w.put(graph.in_offsets.address.as_bytes())?;
        w.put(graph.out_offsets.transaction.as_bytes())?;
        w.put(graph.in_offsets.transaction.as_bytes())?;
        w.put(graph.tx_nodes.as_bytes())?;
        for a in graph.assets.as_slice() {
            w.put(&a.network.to_le_bytes())?;
            w.put(&u32::from(a.token.is_some()).to_le_bytes())?;
            w.put(&a.token.unwrap_or(0).to_le_bytes())?;
        }
        for m in &graph.watermarks {
            w.put(&m.network.to_le_bytes())?;
            w.put(&0u32.to_le_bytes())?;
            w.put(&m.height.to_le_bytes())?;
            w.put(&m.hash)?;
        }
        let digest = *w.hasher.finalize().as_bytes();
        w.inner.write_all(&digest)?;
        w.inner.flush()?;
        w.inner.get_ref().sync_all()
    };
    write(&mut w).map_err(io(&tmp, "writing"))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(io(path, "renaming the snapshot to"))?;
    Ok(std::fs::metadata(path).map_err(io(path, "reading"))?.len())
}

struct HashingReader<R: Read> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> HashingReader<R> {
    fn fill(&mut self, bytes: &mut [u8]) -> std::io::Result<()> {
        self.inner.read_exact(bytes)?;
        self.hasher.update(bytes);
        Ok(())
    }

    fn vec<T: FromBytes + IntoBytes + Clone + Default>(
        &mut self,
        len: u64,
    ) -> std::io::Result<Vec<T>> {
        let mut v = vec![T::default(); len as usize];
        self.fill(v.as_mut_bytes())?;
        Ok(v)
    }

    fn u32(&mut self) -> std::io::Result<u32> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> std::io::Result<u64> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
}

/// Loads a snapshot written by [`save`].
///
/// # Errors
/// [`GraphError::Snapshot`] for a file that is not a snapshot of this version, is truncated or
/// fails its checksum; I/O errors.
pub fn load(path: &Path) -> Result<TransferGraph, GraphError> {
    if cfg!(target_endian = "big") {
        return Err(bad(path, "snapshots are little-endian; this machine is big-endian"));
    }
    let file = File::open(path).map_err(io(path, "opening"))?;
    let size = file.metadata().map_err(io(path, "reading"))?.len();
    let mut r = HashingReader {
        inner: BufReader::with_capacity(1 << 20, file),
        hasher: blake3::Hasher::new(),
    };
    let truncated = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            bad(path, "the file is truncated")
        } else {
            GraphError::Io { context: format!("reading {}", path.display()), source: e }
        }
    };
    let mut magic = [0u8; 8];
    r.fill(&mut magic).map_err(truncated)?;
    if &magic != MAGIC {
        return Err(bad(path, "not a Chainward graph snapshot (wrong magic bytes)"));
    }
    let version = r.u32().map_err(truncated)?;
    if version != FORMAT_VERSION {
        return Err(bad(
            path,
            format!(
                "format version {version}; this build reads version {FORMAT_VERSION}: rebuild it with `chainward graph build`"
            ),
        ));
    }
    let mut bom = [0u8; 4];
    r.fill(&mut bom).map_err(truncated)?;
    if u32::from_ne_bytes(bom) != BYTE_ORDER_MARK {
        return Err(bad(path, "written on a machine of the other byte order"));
    }
    let mut counts = [0u64; 9];
    for c in &mut counts {
        *c = r.u64().map_err(truncated)?;
    }
    let [edges, in_index, out_addr, in_addr, out_tx, in_tx, tx_nodes, assets, marks] = counts;
    let expected = (|| -> Option<u64> {
        let body = edges
            .checked_mul(30)?
            .checked_add(in_index.checked_mul(4)?)?
            .checked_add(
                (out_addr.checked_add(in_addr)?.checked_add(out_tx)?.checked_add(in_tx)?)
                    .checked_mul(4)?,
            )?
            .checked_add(tx_nodes.checked_mul(4)?)?
            .checked_add(assets.checked_mul(16)?)?
            .checked_add(marks.checked_mul(48)?)?;
        HEADER_LEN.checked_add(body)?.checked_add(32)
    })();
    if expected != Some(size) {
        return Err(bad(
            path,
            format!(
                "the file is {size} bytes, its header describes {} bytes: truncated or corrupt",
                expected.map_or("an impossible number of".to_owned(), |e| e.to_string())
            ),
        ));
    }
    if in_index != edges || out_addr != in_addr || out_tx != in_tx {
        return Err(bad(path, "inconsistent counts in the header"));
    }
    let read = |r: &mut HashingReader<BufReader<File>>| -> std::io::Result<TransferGraph> {
        let columns = EdgeColumns {
            from: r.vec(edges)?,
            to: r.vec(edges)?,
            amount: r.vec(edges)?,
            time: r.vec(edges)?,
            asset: r.vec(edges)?,
            tx: r.vec(edges)?,
            seq: r.vec(edges)?,
        };
        let in_index = r.vec(in_index)?;
        let out_address = r.vec(out_addr)?;
        let in_address = r.vec(in_addr)?;
        let out_transaction = r.vec(out_tx)?;
        let in_transaction = r.vec(in_tx)?;
        let tx_nodes = r.vec(tx_nodes)?;
        let mut asset_table = Vec::with_capacity(assets as usize);
        for _ in 0..assets {
            let network = r.u32()?;
            let has_token = r.u32()? != 0;
            let token = r.u64()?;
            asset_table.push(Asset { network, token: has_token.then_some(token) });
        }
        let mut watermarks = Vec::with_capacity(marks as usize);
        for _ in 0..marks {
            let network = r.u32()?;
            r.u32()?;
            let height = r.u64()?;
            let mut hash = [0u8; 32];
            r.fill(&mut hash)?;
            watermarks.push(Watermark { network, height, hash });
        }
        Ok(TransferGraph::from_parts(
            columns,
            Offsets { address: out_address, transaction: out_transaction },
            Offsets { address: in_address, transaction: in_transaction },
            in_index,
            tx_nodes,
            asset_table,
            watermarks,
        ))
    };
    let graph = read(&mut r).map_err(truncated)?;
    let mut stored = [0u8; 32];
    r.inner.read_exact(&mut stored).map_err(truncated)?;
    if *r.hasher.finalize().as_bytes() != stored {
        return Err(bad(path, "checksum mismatch: the file is corrupt"));
    }
    graph.validate().map_err(|reason| bad(path, reason))?;
    Ok(graph)
}

impl TransferGraph {
    /// Checks the invariants a loaded file must hold so that no accessor can index out of
    /// bounds: offsets monotonic and ending at the edge count, every node and asset in range.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let n = self.edges.len() as u64;
        for (name, table) in [("out", &self.out_offsets), ("in", &self.in_offsets)] {
            let joined = table.address.iter().chain(table.transaction.iter().skip(1));
            let mut prev = 0u32;
            for &o in joined {
                if o < prev {
                    return Err(format!("{name} offsets are not monotonic"));
                }
                prev = o;
            }
            if table.address.first().copied().unwrap_or(0) != 0
                || u64::from(*table.transaction.last().unwrap_or(&0)) != n
                || table.transaction.first() != table.address.last()
            {
                return Err(format!("{name} offsets do not cover the edges"));
            }
        }
        let slots = self.out_offsets.address.len().saturating_sub(1) as u32;
        let txs = self.tx_nodes.len() as u32;
        let in_range = |raw: u32| {
            if raw & crate::TX_BIT != 0 { (raw & !crate::TX_BIT) < txs } else { raw < slots }
        };
        if !self.edges.from.iter().chain(&self.edges.to).all(|&r| in_range(r)) {
            return Err("an edge names a node outside the graph".into());
        }
        if self.edges.asset.iter().any(|&a| a as usize >= self.assets.as_slice().len()) {
            return Err("an edge names an unknown asset".into());
        }
        if self.in_index.iter().any(|&e| u64::from(e) >= n) {
            return Err("the in-index names an unknown edge".into());
        }
        if self.tx_nodes.windows(2).any(|w| w[0] >= w[1]) {
            return Err("transaction nodes are not sorted".into());
        }
        Ok(())
    }
}
