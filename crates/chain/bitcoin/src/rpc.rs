//! A node's `getblock <hash> 2` (or `3`) JSON response, decoded into the ledger model.
//!
//! Amounts are JSON numbers in coins (`"value": 0.0001`); they are converted to the base unit
//! from the number's decimal text ([`coins_to_base_units`]), never through `f64`, which cannot
//! hold every 8-decimal amount (Dogecoin's supply exceeds 2^53 base units).
//!
//! Addresses are derived from `scriptPubKey.hex` with the same code as raw blocks, not taken
//! from the node's `address`/`addresses` fields, so both sources agree by construction. With
//! verbosity 3 each input carries `prevout` (value and script), which gives input values,
//! addresses and fees.

use crate::{DecodeError, output_address};
use alloy_primitives::{B256, U256};
use chainward_primitives::Chain;
use chainward_primitives::ledger::{
    Block, BlockRef, OutPoint, Transaction, TxInput, TxOutput, TxStatus,
};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct RpcBlock {
    hash: String,
    height: u64,
    time: u64,
    #[serde(default)]
    previousblockhash: Option<String>,
    tx: Vec<Box<RawValue>>,
}

#[derive(Deserialize)]
struct RpcTx {
    txid: String,
    vin: Vec<RpcVin>,
    vout: Vec<RpcVout>,
}

#[derive(Deserialize)]
struct RpcVin {
    #[serde(default)]
    coinbase: Option<String>,
    #[serde(default)]
    txid: Option<String>,
    #[serde(default)]
    vout: Option<u32>,
    #[serde(default)]
    prevout: Option<RpcPrevout>,
}

#[derive(Deserialize)]
struct RpcPrevout {
    value: Box<RawValue>,
    #[serde(rename = "scriptPubKey")]
    script_pub_key: RpcScript,
}

#[derive(Deserialize)]
struct RpcVout {
    value: Box<RawValue>,
    n: u32,
    #[serde(rename = "scriptPubKey")]
    script_pub_key: RpcScript,
}

#[derive(Deserialize)]
struct RpcScript {
    hex: String,
}

fn json_error(what: String) -> DecodeError {
    DecodeError::Json { what }
}

/// Decodes a `getblock` response of verbosity 2 or 3 (the bare `result` object, or a JSON-RPC
/// envelope `{"result": …}`) as a block of `chain`.
///
/// # Errors
/// [`DecodeError::Json`] naming the field that is missing or malformed, including a block of
/// verbosity 1 (transaction ids only).
pub fn decode_getblock_json(chain: Chain, json: &[u8]) -> Result<Block, DecodeError> {
    #[derive(Deserialize)]
    struct Envelope {
        result: Box<RawValue>,
    }
    let result = match serde_json::from_slice::<Envelope>(json) {
        Ok(envelope) => envelope.result.get().as_bytes().to_vec(),
        Err(_) => json.to_vec(),
    };
    let block: RpcBlock =
        serde_json::from_slice(&result).map_err(|e| json_error(format!("block: {e}")))?;
    let hash = parse_hash(&block.hash, "hash")?;
    let parent_hash = match &block.previousblockhash {
        Some(h) => parse_hash(h, "previousblockhash")?,
        None => B256::ZERO,
    };
    let mut transactions = Vec::with_capacity(block.tx.len());
    for (index, raw) in block.tx.iter().enumerate() {
        if raw.get().starts_with('"') {
            return Err(json_error(
                "tx holds transaction ids only (verbosity 1); ask for verbosity 2 or 3".to_owned(),
            ));
        }
        let tx: RpcTx =
            serde_json::from_str(raw.get()).map_err(|e| json_error(format!("tx[{index}]: {e}")))?;
        transactions.push(convert_tx(chain, index, &tx)?);
    }
    Ok(Block {
        chain,
        evm_chain_id: None,
        block: BlockRef { height: block.height, hash },
        parent_hash,
        timestamp: block.time,
        transactions,
    })
}

fn convert_tx(chain: Chain, index: usize, tx: &RpcTx) -> Result<Transaction, DecodeError> {
    let at = |field: &str| format!("tx[{index}] ({}) {field}", tx.txid);
    let coinbase = tx.vin.first().is_some_and(|v| v.coinbase.is_some());
    let mut inputs = Vec::with_capacity(tx.vin.len());
    let mut input_total = Some(0u64);
    for (i, vin) in tx.vin.iter().enumerate() {
        let previous = if vin.coinbase.is_some() {
            None
        } else {
            let (Some(txid), Some(vout)) = (&vin.txid, vin.vout) else {
                return Err(json_error(at(&format!("vin[{i}]: no coinbase and no txid/vout"))));
            };
            Some(OutPoint { txid: parse_hash(txid, &at(&format!("vin[{i}].txid")))?, vout })
        };
        let (value, address) = match &vin.prevout {
            Some(prevout) => {
                let value = coins_to_base_units(prevout.value.get())
                    .map_err(|e| json_error(at(&format!("vin[{i}].prevout.value: {e}"))))?;
                let script = decode_hex(&prevout.script_pub_key.hex)
                    .map_err(|e| json_error(at(&format!("vin[{i}].prevout.scriptPubKey: {e}"))))?;
                (Some(value), output_address(chain, &script).1)
            }
            None => (None, None),
        };
        input_total = match (input_total, value) {
            (Some(total), Some(v)) => total.checked_add(v),
            _ => None,
        };
        inputs.push(TxInput { previous, value, address });
    }
    let mut outputs = Vec::with_capacity(tx.vout.len());
    let mut output_total = Some(0u64);
    for (i, vout) in tx.vout.iter().enumerate() {
        let value = coins_to_base_units(vout.value.get())
            .map_err(|e| json_error(at(&format!("vout[{i}].value: {e}"))))?;
        let script = decode_hex(&vout.script_pub_key.hex)
            .map_err(|e| json_error(at(&format!("vout[{i}].scriptPubKey.hex: {e}"))))?;
        let (script_type, address) = output_address(chain, &script);
        output_total = output_total.and_then(|t| t.checked_add(value));
        outputs.push(TxOutput { index: vout.n, value, script_type, address });
    }
    let fee = if coinbase {
        Some(U256::ZERO)
    } else {
        match (input_total, output_total) {
            (Some(i), Some(o)) if !inputs.is_empty() => i.checked_sub(o).map(U256::from),
            _ => None,
        }
    };
    Ok(Transaction {
        hash: parse_hash(&tx.txid, &at("txid"))?,
        index: u32::try_from(index).unwrap_or(u32::MAX),
        status: TxStatus::Success,
        fee,
        inputs,
        outputs,
        transfers: Vec::new(),
    })
}

fn parse_hash(hex: &str, field: &str) -> Result<B256, DecodeError> {
    let bytes = decode_hex(hex).map_err(|e| json_error(format!("{field}: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice())
        .map(B256::from)
        .map_err(|_| json_error(format!("{field}: {} bytes, expected 32", bytes.len())))
}

fn decode_hex(hex: &str) -> Result<Vec<u8>, String> {
    alloy_primitives::hex::decode(hex).map_err(|e| format!("not hex ({e})"))
}

/// Converts a JSON number's text in coins (`"50.0"`, `"0.00012345"`, `"1e-8"`) to base units
/// (10^8 per coin), exactly.
///
/// # Errors
/// When the text is not a non-negative JSON number, has more than 8 decimals of precision,
/// or does not fit in a `u64`.
pub fn coins_to_base_units(text: &str) -> Result<u64, String> {
    const DECIMALS: i64 = 8;
    let bad = || format!("'{text}' is not a non-negative amount");
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => {
            let exponent: i64 = text[at + 1..].parse().map_err(|_| bad())?;
            (&text[..at], exponent)
        }
        None => (text, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || (mantissa.contains('.') && frac_part.is_empty())
    {
        return Err(bad());
    }
    // value = digits × 10^(exponent − frac_len); base units = digits × 10^(shift).
    let shift = exponent
        .checked_sub(frac_part.len() as i64)
        .and_then(|s| s.checked_add(DECIMALS))
        .ok_or_else(bad)?;
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let (kept, dropped) = if shift >= 0 {
        (digits, "")
    } else {
        let cut = usize::try_from(-shift).map_err(|_| bad())?;
        if cut >= digits.len() { ("", digits) } else { digits.split_at(digits.len() - cut) }
    };
    if dropped.bytes().any(|b| b != b'0') {
        return Err(format!("'{text}' has more precision than 1e-8"));
    }
    let too_big = || format!("'{text}' is too large");
    let mut value: u64 = if kept.is_empty() { 0 } else { kept.parse().map_err(|_| too_big())? };
    if shift > 0 && value != 0 {
        let factor = u32::try_from(shift).ok().and_then(|s| 10u64.checked_pow(s));
        value = factor.and_then(|f| value.checked_mul(f)).ok_or_else(too_big)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::coins_to_base_units as c;
    use super::decode_getblock_json;
    use alloy_primitives::U256;
    use chainward_primitives::Chain;

    /// A verbosity-3 response (the shape Bitcoin Core 23+ returns), in a JSON-RPC envelope.
    const V3: &str = r#"{"result": {
        "hash": "000000001c920d495e1eeef2452b6d1c6c229a919b28196c103ecffebabee141",
        "height": 50001, "time": 1270917100,
        "previousblockhash": "000000001aeae195809d120b5d66a39c83eb48792e068f8ea1fea19d84a4278a",
        "tx": [
          {"txid": "e1882d41800d96d0fddc196cd8d3f0b45d65b030c652d97eaba79a1174e64d58",
           "vin": [{"coinbase": "0415112a1c02cc00", "sequence": 4294967295}],
           "vout": [{"value": 50.0, "n": 0, "scriptPubKey": {"hex": "76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac"}}]},
          {"txid": "7940cdde4d713e171849efc6bd89939185be270266c94e92369e3877ad89455a",
           "vin": [{"txid": "76a8d70a757be5055f60be076b683897cadaad6b7bdf78c43e39b9d59cb4a6ea", "vout": 3,
                    "prevout": {"value": 50.0, "scriptPubKey": {"hex": "4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac"}}}],
           "vout": [{"value": 10.0, "n": 0, "scriptPubKey": {"hex": "76a914b5cd7aaed869cd5ccb45868e8666e7e934a2373688ac"}},
                    {"value": 39.99, "n": 1, "scriptPubKey": {"hex": "6a0568656c6c6f"}}]}
        ]}, "error": null, "id": 1}"#;

    #[test]
    fn verbosity_3_gives_input_values_addresses_and_fees() {
        let block = decode_getblock_json(Chain::Bitcoin, V3.as_bytes()).unwrap();
        assert_eq!(block.block.height, 50_001);
        let coinbase = &block.transactions[0];
        assert_eq!(coinbase.inputs[0].previous, None);
        assert_eq!(coinbase.fee, Some(U256::ZERO));
        let tx = &block.transactions[1];
        let input = &tx.inputs[0];
        assert_eq!(input.previous.unwrap().vout, 3);
        assert_eq!(input.value, Some(5_000_000_000));
        assert_eq!(
            input.address.as_ref().unwrap().canonical(),
            "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
        );
        assert_eq!(tx.outputs[1].value, 3_999_000_000);
        assert_eq!(tx.fee, Some(U256::from(1_000_000u64)));
        assert_eq!(
            tx.outputs[0].address.as_ref().unwrap().canonical(),
            "1HaHTfmvoUW6i6nhJf8jJs6tU4cHNmBQHQ"
        );
    }

    #[test]
    fn malformed_json_names_the_field() {
        let bad_value = V3.replace("39.99", "\"x\"");
        let err = decode_getblock_json(Chain::Bitcoin, bad_value.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("vout[1].value"), "{err}");
        let bad_hex = V3.replace("6a0568656c6c6f", "zz");
        let err = decode_getblock_json(Chain::Bitcoin, bad_hex.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("vout[1].scriptPubKey.hex"), "{err}");
        let no_outpoint = V3.replace(r#""vout": 3,"#, "");
        let err = decode_getblock_json(Chain::Bitcoin, no_outpoint.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("vin[0]"), "{err}");
        assert!(decode_getblock_json(Chain::Bitcoin, b"{").is_err());
        assert!(decode_getblock_json(Chain::Bitcoin, b"[]").is_err());
    }

    #[test]
    fn amounts_are_exact() {
        assert_eq!(c("50.0"), Ok(5_000_000_000));
        assert_eq!(c("50"), Ok(5_000_000_000));
        assert_eq!(c("0"), Ok(0));
        assert_eq!(c("0.0"), Ok(0));
        assert_eq!(c("0.00000001"), Ok(1));
        assert_eq!(c("1e-8"), Ok(1));
        assert_eq!(c("1.5E-7"), Ok(15));
        assert_eq!(c("2.1e7"), Ok(2_100_000_000_000_000));
        assert_eq!(c("6.4345262"), Ok(643_452_620));
        // 0.1 + 0.2 style values that f64 multiplication gets wrong.
        assert_eq!(c("0.29"), Ok(29_000_000));
        assert_eq!(c("1234567890.12345678"), Ok(123_456_789_012_345_678));
        assert_eq!(c("0.123456780000"), Ok(12_345_678));
        assert!(c("0.000000001").is_err());
        assert!(c("-1").is_err());
        assert!(c("").is_err());
        assert!(c("1.").is_err());
        assert!(c(".5").is_err());
        assert!(c("1e").is_err());
        assert!(c("1e999999999999999999999").is_err());
        assert!(c("1e-99999999").is_err());
        assert!(c("99999999999999999999").is_err());
        assert!(c("1e30").is_err());
    }
}
