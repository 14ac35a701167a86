//! Unit tests of file recognition; the reading itself is tested on ethereum-etl's fixtures in
//! `tests/it/etl.rs`.

use super::ExportKind;

#[test]
fn file_names_are_recognized() {
    for (stem, kind) in [
        ("blocks", Some(ExportKind::Blocks)),
        ("expected_blocks", Some(ExportKind::Blocks)),
        ("blocks_00000000_00099999", Some(ExportKind::Blocks)),
        ("transactions", Some(ExportKind::Transactions)),
        ("transactions_00000000_00099999", Some(ExportKind::Transactions)),
        ("receipts", Some(ExportKind::Receipts)),
        ("logs_00000000_00099999", Some(ExportKind::Logs)),
        ("expected_token_transfers", Some(ExportKind::TokenTransfers)),
        ("traces", Some(ExportKind::Traces)),
        ("geth_traces", Some(ExportKind::GethTraces)),
        // export_all's scratch files, other jobs' outputs, node answers.
        ("transaction_hashes_00000000_00099999", None),
        ("contracts_00000000_00099999", None),
        ("tokens", None),
        ("blocks_backup", None),
        ("web3_response.eth_getBlockByNumber_0x76250_true", None),
        ("expected_traces_old", None),
    ] {
        assert_eq!(ExportKind::of_stem(stem), kind, "{stem}");
    }
}
