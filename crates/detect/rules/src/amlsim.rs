//! Reading IBM AMLSim output into [`FlowBatch`]es, one per time step (day).
//!
//! Only `tran_id`, `orig_acct`, `bene_acct`, `base_amt` and `tran_timestamp` are read from
//! `transactions.csv[.gz]`: account ids become address ids, `tran_id` the transaction id, and
//! the day the batch. The label columns (`is_sar`, `alert_id`) and the alert files are read
//! only by [`crate::eval`], never by the engine.

use crate::flows::{AssetKey, Flow, FlowBatch};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Unix time of 2017-01-01T00:00:00Z, AMLSim's default base date.
pub const BASE_DATE: u64 = 1_483_228_800;

/// What went wrong reading AMLSim files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AmlsimError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A row could not be parsed.
    #[error("{path}: line {line}: {message}")]
    Row {
        /// The file.
        path: PathBuf,
        /// Line number (1-based, header is line 1).
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// Opens `dir/name.csv.gz` or `dir/name.csv`.
pub(crate) fn open(dir: &Path, name: &str) -> Result<(PathBuf, Box<dyn Read>), AmlsimError> {
    let gz = dir.join(format!("{name}.csv.gz"));
    let plain = dir.join(format!("{name}.csv"));
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AmlsimError + '_ {
        move |source| AmlsimError::Io { path: path.to_path_buf(), source }
    }
    if gz.exists() {
        let file = std::fs::File::open(&gz).map_err(io(&gz))?;
        Ok((gz, Box::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)))))
    } else {
        let file = std::fs::File::open(&plain).map_err(io(&plain))?;
        Ok((plain, Box::new(std::io::BufReader::new(file))))
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SSZ` (or a bare date) into Unix seconds.
pub(crate) fn parse_time(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) =
        if b.len() >= 19 { (num(11..13)?, num(14..16)?, num(17..19)?) } else { (0, 0, 0) };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

/// Reads `transactions.csv[.gz]` of an AMLSim output directory into one batch per day, in day
/// order (network 0, height = day number since [`BASE_DATE`]).
///
/// # Errors
/// [`AmlsimError`] for a missing file or a malformed row.
pub fn read_batches(dir: &Path) -> Result<Vec<FlowBatch>, AmlsimError> {
    let (path, reader) = open(dir, "transactions")?;
    let mut csv = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
    let row_err =
        |line: u64, message: String| AmlsimError::Row { path: path.clone(), line, message };
    let headers = csv.headers().map_err(|e| row_err(1, e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| row_err(1, format!("no `{name}` column")))
    };
    let (c_id, c_from, c_to, c_amt, c_time) = (
        col("tran_id")?,
        col("orig_acct")?,
        col("bene_acct")?,
        col("base_amt")?,
        col("tran_timestamp")?,
    );
    let mut days: BTreeMap<u64, Vec<Flow>> = BTreeMap::new();
    let mut record = csv::StringRecord::new();
    let mut line = 1;
    loop {
        line += 1;
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(row_err(line, e.to_string())),
        }
        let field = |i: usize, what: &str| {
            record.get(i).ok_or_else(|| row_err(line, format!("missing {what}")))
        };
        let int = |i: usize, what: &str| -> Result<u64, AmlsimError> {
            field(i, what)?.trim().parse().map_err(|e| row_err(line, format!("{what}: {e}")))
        };
        let amount: f64 = field(c_amt, "base_amt")?
            .trim()
            .parse()
            .map_err(|e| row_err(line, format!("base_amt: {e}")))?;
        let time = parse_time(field(c_time, "tran_timestamp")?.trim())
            .ok_or_else(|| row_err(line, "tran_timestamp: not a date".into()))?;
        let flow = Flow {
            tx: int(c_id, "tran_id")?,
            from: int(c_from, "orig_acct")?,
            to: int(c_to, "bene_acct")?,
            asset: AssetKey::Native,
            amount,
            time,
        };
        days.entry(time.saturating_sub(BASE_DATE) / 86_400).or_default().push(flow);
    }
    Ok(days
        .into_iter()
        .map(|(day, mut flows)| {
            flows.sort_by_key(|f| f.tx);
            FlowBatch { network: 0, height: day, time: BASE_DATE + day * 86_400, flows }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("2017-01-01T00:00:00Z"), Some(BASE_DATE));
        assert_eq!(parse_time("2018-12-21T00:00:00Z"), Some(BASE_DATE + 719 * 86_400));
        assert_eq!(parse_time("2017-13-01"), None);
        assert_eq!(parse_time("x"), None);
    }

    #[test]
    fn reads_plain_csv_and_ignores_labels() {
        let dir = std::env::temp_dir().join(format!("cw-amlsim-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("transactions.csv"),
            "tran_id,orig_acct,bene_acct,tx_type,base_amt,tran_timestamp,is_sar,alert_id\n\
             2,5,6,TRANSFER,10.5,2017-01-02T00:00:00Z,True,3\n\
             1,4,5,TRANSFER,1.0,2017-01-01T00:00:00Z,False,-1\n",
        )
        .unwrap();
        let batches = read_batches(&dir).unwrap();
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[1].flows[0].amount, 10.5);
        assert_eq!(batches[1].height, 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
