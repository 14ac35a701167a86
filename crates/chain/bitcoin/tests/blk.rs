//! Raw blocks and `blk*.dat` files from real chains (see `raw_chain/SOURCE.md`).

use chainward_chain_bitcoin::blk::{BlkDir, BlkReader, Network, deobfuscate};
use chainward_chain_bitcoin::{DecodeError, decode_block};
use chainward_primitives::Chain;
use chainward_primitives::ledger::{Block, ScriptType};

const GENESIS: &str = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
const VERSION1: &str = "0000000000bef5d742ad3ea3fab0548bf33077a6a91426f37e6ea90bf40205dd";
const VERSION2: &str = "000000000000000007e5cc6f598ac0d10d5c0ae2abacef7373b83914c715636d";
const TESTNET3_GENESIS: &str = "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943";
// Not listed in SOURCE.md (testnet3 block 685,415): its hash is the one this header hashes to,
// cross-checked below against `bitcoin::Block::block_hash`.
const TESTNET3_V4: &str = "0000000054f143a16570159dafce4867bc67479b45e988315662de4efc46a459";

/// Every zuinnote file with the (height, hash) of each block in file order.
const FILES: &[(&str, &[(u64, &str)])] = &[
    ("genesis.blk", &[(u64::MAX, GENESIS)]),
    ("version1.blk", &[(u64::MAX, VERSION1)]),
    ("reqseekversion1.blk", &[(u64::MAX, VERSION1)]),
    ("version2.blk", &[(332_208, VERSION2)]),
    (
        "version3.blk",
        &[(370_505, "00000000000000000bf52d66c6e96aeb60cf1e3d7a07d7e55defaec9b6458845")],
    ),
    (
        "version4.blk",
        &[(403_617, "00000000000000000245be9dd046492886b4527c7fa3494f26a9a9d876ecea22")],
    ),
    ("multiblock.blk", &[(u64::MAX, GENESIS), (u64::MAX, VERSION1), (332_208, VERSION2)]),
    ("multinet.blk", &[(u64::MAX, TESTNET3_GENESIS), (332_208, VERSION2), (685_415, TESTNET3_V4)]),
    (
        "scriptwitness.blk",
        &[(482_300, "0000000000000000007d107138348f11c09530fd6f0a065d0ea30c333005c8e5")],
    ),
    (
        "scriptwitness2.blk",
        // SOURCE.md abbreviates these as `…001f788e…2797` and `…00a114f7…5964`.
        &[
            (482_253, "0000000000000000001f788edab5b60cf396ada8c110d4c32f63c670cd512797"),
            (482_202, "000000000000000000a114f77a4e02373cebaaa6aef547625f3706b81ce95964"),
        ],
    ),
    (
        "block176149.blk",
        &[(u64::MAX, "00000000000007b2a037eaaefc848e0ad8f41667589f7d5a0aca3e78c8003ac0")],
    ),
    (
        "block2019Jan.blk",
        &[(556_977, "00000000000000000020d460310a9838efe31f0b22e21c2283f32bedf7c33736")],
    ),
    ("testnet3genesis.blk", &[(u64::MAX, TESTNET3_GENESIS)]),
    ("testnet3version4.blk", &[(685_415, TESTNET3_V4)]),
];

fn read(relative: &str) -> Vec<u8> {
    let path = chainward_fixtures::shared_file(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn blk(name: &str) -> Vec<u8> {
    read(&format!("raw_chain/zuinnote_blk/{name}"))
}

fn hex_hash(block: &Block) -> String {
    block.block.hash.to_string().trim_start_matches("0x").to_owned()
}

fn decode_all(bytes: &[u8]) -> Vec<(u64, Block)> {
    BlkReader::new(bytes).blocks().collect::<Result<_, _>>().unwrap()
}

#[test]
fn every_zuinnote_file_decodes_to_its_listed_hashes() {
    let dir = chainward_fixtures::shared_file("raw_chain/zuinnote_blk");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FILES.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "every file in the folder is checked");
    for (name, expected) in FILES {
        let bytes = blk(name);
        let blocks = decode_all(&bytes);
        let found: Vec<(u64, String)> =
            blocks.iter().map(|(_, b)| (b.block.height, hex_hash(b))).collect();
        let expected: Vec<(u64, String)> =
            expected.iter().map(|&(h, hash)| (h, hash.to_owned())).collect();
        assert_eq!(found, expected, "{name}");
        for (offset, block) in &blocks {
            // Cross-check against the `bitcoin` crate on the record's own bytes.
            let start = usize::try_from(*offset).unwrap() + 8;
            let anchor: bitcoin::Block = bitcoin::consensus::deserialize(
                &bytes[start..start + block_len(&bytes, start - 8)],
            )
            .unwrap();
            assert_eq!(anchor.block_hash().to_string(), hex_hash(block), "{name}");
            assert_eq!(anchor.txdata.len(), block.transactions.len());
            assert_eq!(anchor.header.prev_blockhash.to_string(), strip(block.parent_hash));
            assert_eq!(u64::from(anchor.header.time), block.timestamp);
            for (tx, ours) in anchor.txdata.iter().zip(&block.transactions) {
                assert_eq!(tx.compute_txid().to_string(), strip(ours.hash));
                assert_eq!(tx.input.len(), ours.inputs.len());
                assert_eq!(tx.output.len(), ours.outputs.len());
            }
        }
    }
}

fn strip(hash: alloy_primitives::B256) -> String {
    hash.to_string().trim_start_matches("0x").to_owned()
}

fn block_len(bytes: &[u8], record: usize) -> usize {
    u32::from_le_bytes(bytes[record + 4..record + 8].try_into().unwrap()) as usize
}

#[test]
fn rust_bitcoin_raw_blocks_decode_to_their_file_name_hashes() {
    for (name, chain) in [
        (
            "mainnet_block_000000000000000000000c835b2adcaedc20fdf6ee440009c249452c726dafae.raw",
            Chain::Bitcoin,
        ),
        (
            "testnet_block_000000000000045e0b1660b6445b5e5c5ab63c9a4f956be7e1e69be04fa4497b.raw",
            Chain::BitcoinTestnet,
        ),
    ] {
        let raw = read(&format!("raw_chain/rust_bitcoin/{name}"));
        let block = decode_block(chain, &raw, None).unwrap();
        let expected = name.split('_').nth(2).unwrap().trim_end_matches(".raw");
        assert_eq!(hex_hash(&block), expected);
        assert_totals_match_the_bitcoin_crate(&raw, &block);
        // A given height wins over BIP-34.
        assert_eq!(decode_block(chain, &raw, Some(7)).unwrap().block.height, 7);
    }
}

fn assert_totals_match_the_bitcoin_crate(raw: &[u8], block: &Block) {
    let anchor: bitcoin::Block = bitcoin::consensus::deserialize(raw).unwrap();
    let expected: u64 =
        anchor.txdata.iter().flat_map(|tx| &tx.output).map(|o| o.value.to_sat()).sum();
    let ours: u64 = block.transactions.iter().flat_map(|t| &t.outputs).map(|o| o.value).sum();
    assert_eq!(ours, expected);
    let coinbase = &block.transactions[0];
    assert!(coinbase.inputs.iter().all(|i| i.previous.is_none()));
    assert!(block.transactions[1..].iter().all(|t| t.fee.is_none()));
    assert!(block.transactions[1..].iter().flat_map(|t| &t.inputs).all(|i| i.previous.is_some()));
}

#[test]
fn output_totals_match_the_bitcoin_crate() {
    for name in ["version4.blk", "scriptwitness.blk", "block2019Jan.blk"] {
        let bytes = blk(name);
        let block = &decode_all(&bytes)[0].1;
        assert_totals_match_the_bitcoin_crate(&bytes[8..], block);
    }
}

#[test]
fn segwit_block_outputs_have_segwit_addresses() {
    let bytes = blk("scriptwitness.blk");
    let block = &decode_all(&bytes)[0].1;
    let outputs: Vec<_> = block.transactions.iter().flat_map(|t| &t.outputs).collect();
    for wanted in [ScriptType::P2pkh, ScriptType::P2sh, ScriptType::NullData] {
        assert!(outputs.iter().any(|o| o.script_type == wanted), "{wanted:?}");
    }
    for output in &outputs {
        if let Some(address) = &output.address {
            let reparsed =
                chainward_primitives::Address::parse(Chain::Bitcoin, address.canonical());
            assert_eq!(reparsed.as_ref(), Ok(address));
        }
    }
}

#[test]
fn genesis_coinbase_pays_satoshis_address() {
    let block = &decode_all(&blk("genesis.blk"))[0].1;
    let output = &block.transactions[0].outputs[0];
    assert_eq!(output.script_type, ScriptType::P2pk);
    assert_eq!(output.value, 5_000_000_000);
    assert_eq!(output.address.as_ref().unwrap().canonical(), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa");
    assert_eq!(block.transactions[0].fee, Some(alloy_primitives::U256::ZERO));
    assert_eq!(
        strip(block.transactions[0].hash),
        "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"
    );
    assert_eq!(block.parent_hash, alloy_primitives::B256::ZERO);
    assert_eq!(block.timestamp, 1_231_006_505);
}

#[test]
fn junk_before_the_magic_is_skipped() {
    let bytes = blk("reqseekversion1.blk");
    let records: Vec<_> = BlkReader::new(&bytes).collect::<Result<_, _>>().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].offset, 6);
    assert_eq!(records[0].network, Network::Mainnet);
    // Zero padding between and after records (Bitcoin Core pre-allocates) is skipped too.
    let genesis = blk("genesis.blk");
    let mut padded = genesis.clone();
    padded.extend_from_slice(&[0; 1000]);
    padded.extend_from_slice(&genesis);
    padded.extend_from_slice(&[0; 4096]);
    let offsets: Vec<u64> = decode_all(&padded).iter().map(|(o, _)| *o).collect();
    assert_eq!(offsets, [0, 1293]);
}

#[test]
fn multinet_reports_each_records_network() {
    let bytes = blk("multinet.blk");
    let networks: Vec<Network> = BlkReader::new(&bytes).map(|r| r.unwrap().network).collect();
    assert_eq!(networks, [Network::Testnet3, Network::Mainnet, Network::Testnet3]);
    let chains: Vec<Chain> = decode_all(&bytes).iter().map(|(_, b)| b.chain).collect();
    assert_eq!(chains, [Chain::BitcoinTestnet, Chain::Bitcoin, Chain::BitcoinTestnet]);
    for network in
        [Network::Mainnet, Network::Testnet3, Network::Testnet4, Network::Signet, Network::Regtest]
    {
        assert_eq!(Network::from_magic(network.magic()), Some(network));
    }
}

#[test]
fn multiblock_gives_three_blocks() {
    let bytes = blk("multiblock.blk");
    let blocks = decode_all(&bytes);
    let offsets: Vec<u64> = blocks.iter().map(|(o, _)| *o).collect();
    assert_eq!(offsets, [0, 293, 775]);
}

#[test]
fn a_truncated_file_reports_the_offset_and_keeps_earlier_blocks() {
    let bytes = blk("multiblock.blk");
    let cut = &bytes[..bytes.len() - 100];
    let items: Vec<_> = BlkReader::new(cut).blocks().collect();
    assert_eq!(items.len(), 3);
    assert_eq!(hex_hash(&items[0].as_ref().unwrap().1), GENESIS);
    assert_eq!(hex_hash(&items[1].as_ref().unwrap().1), VERSION1);
    match &items[2] {
        Err(DecodeError::Truncated { offset, needed, available }) => {
            assert_eq!(*offset, 775);
            assert_eq!(*needed, (bytes.len() - 775) as u64);
            assert_eq!(*available, *needed - 100);
            let message = items[2].as_ref().unwrap_err().to_string();
            assert!(message.contains("byte 775"), "{message}");
        }
        other => panic!("expected Truncated, got {other:?}"),
    }
    // A record cut inside its size field is truncated too.
    let header_only = &bytes[..298];
    let last = BlkReader::new(header_only).last().unwrap();
    assert!(matches!(last, Err(DecodeError::Truncated { offset: 293, .. })), "{last:?}");
}

#[test]
fn a_corrupt_block_is_reported_at_its_offset_and_the_next_still_decodes() {
    let mut bytes = blk("multiblock.blk");
    // Flip a byte of the version-1 block's coinbase script: the merkle root no longer matches.
    bytes[293 + 8 + 80 + 1 + 4 + 1 + 32 + 4 + 1 + 2] ^= 0xff;
    let items: Vec<_> = BlkReader::new(&bytes).blocks().collect();
    assert!(items[0].is_ok());
    let message = items[1].as_ref().unwrap_err().to_string();
    assert!(message.starts_with("record at byte 293: block"), "{message}");
    assert!(message.contains("merkle root"), "{message}");
    assert!(items[2].is_ok());
}

#[test]
fn obfuscated_files_decode_identically() {
    let plain = blk("multiblock.blk");
    let key = [0x5a, 0x01, 0xff, 0x80, 0x13, 0x37, 0x00, 0xc4];
    let mut obfuscated = plain.clone();
    deobfuscate(&mut obfuscated, key, 0);
    assert_ne!(obfuscated, plain);
    // Deobfuscating in two pieces at their file offsets gives the plain bytes back.
    let mut copy = obfuscated.clone();
    let (head, tail) = copy.split_at_mut(1001);
    deobfuscate(head, key, 0);
    deobfuscate(tail, key, 1001);
    assert_eq!(copy, plain);

    // Through a `blocks/` directory with `xor.dat`.
    let dir = std::env::temp_dir().join(format!("chainward-blk-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("xor.dat"), key).unwrap();
    std::fs::write(dir.join("blk00001.dat"), &obfuscated).unwrap();
    let mut genesis = blk("genesis.blk");
    deobfuscate(&mut genesis, key, 0);
    std::fs::write(dir.join("blk00000.dat"), &genesis).unwrap();
    std::fs::write(dir.join("rev00000.dat"), b"not a block file").unwrap();
    let blocks_dir = BlkDir::open(&dir).unwrap();
    assert_eq!(blocks_dir.key(), key);
    let names: Vec<_> =
        blocks_dir.files().iter().map(|p| p.file_name().unwrap().to_owned()).collect();
    assert_eq!(names, ["blk00000.dat", "blk00001.dat"]);
    let mut seen = Vec::new();
    blocks_dir.for_each_block(|_, item| seen.push(item.unwrap().1)).unwrap();
    let mut expected = decode_all(&blk("genesis.blk"));
    expected.extend(decode_all(&plain));
    assert_eq!(seen, expected.into_iter().map(|(_, b)| b).collect::<Vec<_>>());
    // A wrong-sized key is an error naming the file.
    std::fs::write(dir.join("xor.dat"), [1, 2, 3]).unwrap();
    let err = BlkDir::open(&dir).unwrap_err().to_string();
    assert!(err.contains("xor.dat") && err.contains("3 bytes"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn garbage_never_panics() {
    for bytes in [
        &[][..],
        &[0xf9, 0xbe, 0xb4, 0xd9][..],
        &[0xf9, 0xbe, 0xb4, 0xd9, 0, 0, 0, 0][..],
        &[0xf9, 0xbe, 0xb4, 0xd9, 0xff, 0xff, 0xff, 0xff, 1, 2][..],
        &[0xf9, 0xbe, 0xb4, 0xd9, 1, 0, 0, 0, 0][..],
        &[0u8; 100][..],
    ] {
        let _ = BlkReader::new(bytes).blocks().count();
        let _ = decode_block(Chain::Bitcoin, bytes, None);
    }
}
