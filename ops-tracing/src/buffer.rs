//! [`Buffer`]: the spans not yet sent, in a bounded file in the charm directory.
//!
//! The file is a sequence of records, each a 4-byte little-endian length and one dispatch's
//! encoded request. It never grows past [`BUFFER_LIMIT`]: the oldest records go first. A
//! record cut short (a hook killed while writing) is ignored when read.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// The buffer's file name, beside `.unit-state.db`.
pub const BUFFER_FILE: &str = ".tracing-buffer";

/// The most bytes the buffer keeps (a dispatch's spans take about 2-20 KiB; this keeps
/// hundreds of hooks while no endpoint is known).
pub const BUFFER_LIMIT: usize = 4 * 1024 * 1024;

/// The most bytes sent in one request: more waits for the next hook.
pub const SEND_LIMIT: usize = 1024 * 1024;

/// The buffer file of one unit.
#[derive(Debug, Clone)]
pub struct Buffer {
    path: PathBuf,
    limit: usize,
}

impl Buffer {
    /// The buffer in `charm_dir`.
    pub fn in_dir(charm_dir: &Path) -> Self {
        Buffer {
            path: charm_dir.join(BUFFER_FILE),
            limit: BUFFER_LIMIT,
        }
    }

    /// The same buffer with another size limit (tests).
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds one record, dropping the oldest ones if the file would pass the limit. Returns
    /// how many were dropped.
    pub fn append(&self, record: &[u8]) -> io::Result<usize> {
        let size = fs::metadata(&self.path).map_or(0, |m| m.len());
        let added = 4 + record.len();
        if usize::try_from(size).unwrap_or(usize::MAX) + added <= self.limit {
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            f.write_all(&frame(record))?;
            return Ok(0);
        }
        let mut records = self.records()?;
        records.push(record.to_vec());
        let mut total: usize = records.iter().map(|r| 4 + r.len()).sum();
        let mut dropped = 0;
        while total > self.limit && !records.is_empty() {
            total -= 4 + records.remove(0).len();
            dropped += 1;
        }
        self.rewrite(&records)?;
        Ok(dropped)
    }

    /// Every whole record, oldest first (none if there is no file).
    pub fn records(&self) -> io::Result<Vec<Vec<u8>>> {
        let bytes = match fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        let mut rest = &bytes[..];
        while rest.len() >= 4 {
            let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            let Some(record) = rest.get(4..4 + len) else {
                break;
            };
            out.push(record.to_vec());
            rest = &rest[4 + len..];
        }
        Ok(out)
    }

    /// The oldest records, joined into one request of at most [`SEND_LIMIT`] bytes (at least
    /// one record), and how many records that is.
    pub fn batch(&self) -> io::Result<(Vec<u8>, usize)> {
        let mut body = Vec::new();
        let mut n = 0;
        for r in self.records()? {
            if n > 0 && body.len() + r.len() > SEND_LIMIT {
                break;
            }
            body.extend_from_slice(&r);
            n += 1;
        }
        Ok((body, n))
    }

    /// Removes the `n` oldest records (they were sent, or refused for good).
    pub fn drop_oldest(&self, n: usize) -> io::Result<()> {
        let records = self.records()?;
        self.rewrite(records.get(n..).unwrap_or_default())
    }

    fn rewrite(&self, records: &[Vec<u8>]) -> io::Result<()> {
        if records.is_empty() {
            return match fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        let tmp = self.path.with_extension("tmp");
        let mut bytes = Vec::new();
        for r in records {
            bytes.extend(frame(r));
        }
        fs::write(&tmp, bytes)?;
        fs::rename(&tmp, &self.path)
    }
}

fn frame(record: &[u8]) -> Vec<u8> {
    let len = u32::try_from(record.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(4 + record.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(record);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_back_in_order_and_the_oldest_go_over_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let b = Buffer::in_dir(dir.path()).limit(3 * (4 + 10));
        for i in 0..3u8 {
            assert_eq!(b.append(&[i; 10]).unwrap(), 0);
        }
        assert_eq!(b.append(&[9; 10]).unwrap(), 1);
        let r = b.records().unwrap();
        assert_eq!(r, [vec![1; 10], vec![2; 10], vec![9; 10]]);
        let (body, n) = b.batch().unwrap();
        assert_eq!((body.len(), n), (30, 3));
        b.drop_oldest(2).unwrap();
        assert_eq!(b.records().unwrap(), [vec![9; 10]]);
        b.drop_oldest(1).unwrap();
        assert!(!b.path().exists());
    }

    #[test]
    fn a_cut_record_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let b = Buffer::in_dir(dir.path());
        b.append(b"whole").unwrap();
        let mut f = OpenOptions::new().append(true).open(b.path()).unwrap();
        f.write_all(&[200, 0, 0, 0, 1, 2]).unwrap();
        assert_eq!(b.records().unwrap(), [b"whole".to_vec()]);
    }
}
