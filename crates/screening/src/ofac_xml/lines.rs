//! Line numbers for a streaming XML reader that only knows byte offsets.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A [`BufRead`] adapter that remembers where the newlines are, so that the byte offsets
/// quick-xml reports can be turned into 1-based line numbers without a second pass over a
/// 100 MB file.
///
/// Only the newlines not yet asked about are kept: offsets are queried in increasing order (each
/// event starts after the previous one), so the queue never holds more than the reader's buffer.
pub(super) struct LineCounter<R> {
    inner: R,
    /// Bytes handed over to (and consumed by) the XML reader.
    consumed: u64,
    /// Bytes already searched for newlines (always `>= consumed`).
    scanned: u64,
    /// Offsets of the newlines at or after the last queried offset.
    newlines: VecDeque<u64>,
    /// The line of the last queried offset.
    line: u64,
    /// quick-xml strips a UTF-8 BOM without counting it in its offsets; this puts it back.
    skew: u64,
}

impl<R: BufRead> LineCounter<R> {
    pub(super) fn new(inner: R) -> Self {
        Self { inner, consumed: 0, scanned: 0, newlines: VecDeque::new(), line: 1, skew: 0 }
    }

    /// The 1-based line of a byte offset as quick-xml counts them (`buffer_position`,
    /// `error_position`).
    ///
    /// Offsets must not go backwards; one that does gets the line of the last offset asked about.
    pub(super) fn line_at(&mut self, xml_offset: u64) -> u64 {
        let offset = xml_offset.saturating_add(self.skew);
        while self.newlines.front().is_some_and(|&newline| newline < offset) {
            self.newlines.pop_front();
            self.line += 1;
        }
        self.line
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let buf = self.inner.fill_buf()?;
        if self.consumed == 0 && self.scanned == 0 && buf.starts_with(UTF8_BOM) {
            self.skew = UTF8_BOM.len() as u64;
        }
        let end = self.consumed + buf.len() as u64;
        if end > self.scanned {
            // `scanned - consumed < buf.len()` here, so the slice is in bounds.
            let fresh = usize::try_from(self.scanned - self.consumed).unwrap_or(buf.len());
            let base = self.scanned;
            for (i, &byte) in buf[fresh.min(buf.len())..].iter().enumerate() {
                if byte == b'\n' {
                    self.newlines.push_back(base + i as u64);
                }
            }
            self.scanned = end;
        }
        Ok(buf)
    }

    fn consume(&mut self, amt: usize) {
        self.inner.consume(amt);
        self.consumed += amt as u64;
        // A reader consuming bytes it never saw through `fill_buf` breaks the `BufRead` contract;
        // keep the invariant rather than count garbage.
        self.scanned = self.scanned.max(self.consumed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines_across_small_buffers() {
        let text = b"ab\ncd\n\nef";
        // A 2-byte buffer makes newlines straddle refills.
        let mut counter = LineCounter::new(io::BufReader::with_capacity(2, &text[..]));
        let mut all = Vec::new();
        counter.read_to_end(&mut all).unwrap();
        assert_eq!(all, text);
        assert_eq!(counter.line_at(0), 1);
        assert_eq!(counter.line_at(2), 1); // the newline itself is still on line 1
        assert_eq!(counter.line_at(3), 2);
        assert_eq!(counter.line_at(6), 3);
        assert_eq!(counter.line_at(7), 4);
        assert_eq!(counter.line_at(1), 4, "going backwards keeps the last line");
    }

    #[test]
    fn a_bom_is_added_back_to_the_offsets() {
        let text = b"\xEF\xBB\xBFa\nb";
        let mut counter = LineCounter::new(&text[..]);
        let mut all = Vec::new();
        counter.read_to_end(&mut all).unwrap();
        // quick-xml's offset 2 ('b' without the BOM) is byte 5 of the file.
        assert_eq!(counter.line_at(1), 1);
        assert_eq!(counter.line_at(2), 2);
    }
}
