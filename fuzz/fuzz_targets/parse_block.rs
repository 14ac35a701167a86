//! Arbitrary bytes through the `blk*.dat` reader, the raw block decoder and the `getblock`
//! JSON decoder: none may panic.
#![no_main]

use chainward_chain_bitcoin::blk::{BlkReader, deobfuscate};
use chainward_chain_bitcoin::{decode_block, rpc};
use chainward_primitives::Chain;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for item in BlkReader::new(data).blocks() {
        let _ = item.map(|(_, block)| block.transactions.len());
    }
    let _ = decode_block(Chain::Bitcoin, data, None);
    if let Some((&first, rest)) = data.split_first() {
        let chain = if first & 1 == 0 { Chain::BitcoinCash } else { Chain::Litecoin };
        let _ = decode_block(chain, rest, Some(u64::from(first)));
        let mut copy = rest.to_vec();
        deobfuscate(&mut copy, [first; 8], u64::from(first));
        let _ = BlkReader::with_base_offset(&copy, u64::MAX - 3).count();
    }
    let _ = rpc::decode_getblock_json(Chain::Bitcoin, data);
});
