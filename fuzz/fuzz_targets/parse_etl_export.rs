//! ethereum-etl and bitcoin-etl export readers: any file contents give blocks or an error,
//! never a panic. The input is split on NUL bytes into the export's files; its first byte picks
//! the exporter.
#![no_main]

use chainward_chain_bitcoin::etl::BtcEtlExport;
use chainward_chain_ethereum::etl::EthEtlExport;
use chainward_primitives::Chain;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("chainward-fuzz-etl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let dir = scratch();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let _ = std::fs::remove_file(entry.path());
    }
    let names: &[&str] = if selector % 2 == 0 {
        &["blocks.csv", "transactions.csv", "receipts.csv", "logs.csv", "traces.csv"]
    } else {
        &["blocks.json", "transactions.json"]
    };
    for (name, part) in names.iter().zip(rest.split(|&b| b == 0)) {
        std::fs::write(dir.join(name), part).expect("scratch file written");
    }
    if selector % 2 == 0 {
        if let Ok(export) = EthEtlExport::open(dir) {
            let _ = export.blocks(1);
        }
    } else if let Ok(export) = BtcEtlExport::open(dir) {
        let _ = export.blocks(Chain::Bitcoin);
    }
});
