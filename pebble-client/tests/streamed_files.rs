//! `push_file`/`pull_file` (and so `push_path`/`pull_path`) never hold a whole file in
//! memory: a 64 MiB file goes both ways while this process's peak memory stays far below the
//! file's size. The simulator (which buffers whole requests, as a test double may) runs in a
//! child process, this same test binary started with `STREAMED_FILES_SERVE` set, so the peak
//! measured is the client's alone.

#![cfg(feature = "testing")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::time::Duration;

use pebble_client::PushOptions;
use pebble_client::blocking::Client;
use pebble_client::testing::SimPebble;

/// Set in the child: the socket to serve the simulator on.
const SERVE: &str = "STREAMED_FILES_SERVE";

/// In the child only: serves a simulator until killed.
#[test]
fn serve_sim_for_streaming() {
    let Some(socket) = std::env::var_os(SERVE) else {
        return;
    };
    let _sim = SimPebble::start(socket).unwrap();
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

/// This process's peak resident memory, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// Kills the child when dropped.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const SIZE: usize = 64 * 1024 * 1024;

fn pattern(i: usize) -> Vec<u8> {
    (0..1024 * 1024)
        .map(|j| ((i * 7 + j) % 251) as u8)
        .collect()
}

#[test]
fn a_64_mib_file_goes_both_ways_in_a_few_mib() {
    if std::env::var_os(SERVE).is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("pebble.socket");
    let _child = Child(
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "serve_sim_for_streaming", "--nocapture"])
            .env(SERVE, &socket)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = Client::new(&socket).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while client.system_info().is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the simulator never came up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let source = dir.path().join("source.bin");
    {
        let mut f = std::fs::File::create(&source).unwrap();
        for i in 0..SIZE / (1024 * 1024) {
            f.write_all(&pattern(i)).unwrap();
        }
    }
    client
        .push_file(
            &source,
            "/data/copy.bin",
            &PushOptions::new().make_dirs(true),
        )
        .unwrap();
    let back = dir.path().join("back.bin");
    client.pull_file("/data/copy.bin", &back).unwrap();
    // The file is 64 MiB; the whole process (test harness, runtime, buffers) peaked far
    // below that (an in-memory push or pull alone would take 64 MiB more).
    let peak = peak_rss();
    eprintln!(
        "peak RSS while streaming 64 MiB both ways: {} MiB",
        peak >> 20
    );
    assert!(peak < 40 * 1024 * 1024, "peak RSS {} MiB", peak >> 20);

    // And the bytes are the same, compared a piece at a time.
    let mut a = std::fs::File::open(&source).unwrap();
    let mut b = std::fs::File::open(&back).unwrap();
    let (mut x, mut y) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut total = 0;
    loop {
        let n = a.read(&mut x).unwrap();
        b.read_exact(&mut y[..n]).unwrap();
        assert_eq!(x[..n], y[..n], "at byte {total}");
        total += n;
        if n == 0 {
            break;
        }
    }
    assert_eq!(total, SIZE);
}
