//! Graph snapshot loading: any file gives a graph whose every accessor stays in bounds, or an
//! error; never a panic. The trailing checksum is recomputed over the input so that the fuzzer
//! reaches the structural checks behind it instead of stopping at a checksum mismatch.
#![no_main]

use chainward_graph::{EdgeId, NodeId, snapshot};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        std::env::temp_dir().join(format!("chainward-fuzz-graph-{}.cwg", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if bytes.len() >= 32 {
        let body = bytes.len() - 32;
        let digest = *blake3::hash(&bytes[..body]).as_bytes();
        bytes[body..].copy_from_slice(&digest);
    }
    std::fs::write(scratch(), &bytes).expect("scratch file written");
    let Ok(graph) = snapshot::load(scratch()) else { return };
    for edge in graph.edges() {
        assert_eq!(graph.edge(edge.id).map(|e| e.id), Some(edge.id));
        let _ = graph.out_edges(edge.from).count() + graph.in_edges(edge.to).count();
    }
    for node in graph.address_nodes() {
        let _ = graph.out_degree(node) + graph.in_degree(node);
    }
    for index in 0..graph.transaction_count() as u32 {
        if let Ok(node) = NodeId::transaction(index) {
            let _ = graph.out_edges(node).count() + graph.in_edges(node).count();
        }
    }
    let _ = graph.edge(EdgeId(u32::MAX));
});
