//! A socket that answers with an endless or enormous response costs the client at most the
//! call's buffer limit, and the call fails with a clear error, not a timeout after gigabytes.
//! (Before the limit, a `Content-Length: 10 GB` or endless chunked body reached 1.6–1.8 GiB
//! of memory before the request timeout ended it, and endless `100 Continue` heads 135 MiB.)
//!
//! One test runs every case in turn, so the process's peak memory is that of one case.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;

use pebble_client::{Client, Error, blocking};

/// What the fake server sends after reading a request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// `Content-Length: 10000000000`, then zeros until the client hangs up.
    HugeLength,
    /// Chunked, 64 KiB chunks of zeros for ever.
    EndlessChunks,
    /// Interim `100 Continue` heads for ever.
    EndlessContinue,
    /// No length at all, zeros until the client hangs up.
    EndlessUnframed,
}

fn serve(path: &Path, answer: Answer) {
    let listener = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                // Read the request head (the client sends GETs here).
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                loop {
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let zeros = vec![0u8; 64 * 1024];
                let head: &[u8] = match answer {
                    Answer::HugeLength => b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n",
                    Answer::EndlessChunks => b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
                    Answer::EndlessContinue => b"",
                    Answer::EndlessUnframed => b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n",
                };
                if stream.write_all(head).is_err() {
                    return;
                }
                loop {
                    let sent = match answer {
                        Answer::HugeLength | Answer::EndlessUnframed => stream.write_all(&zeros),
                        Answer::EndlessChunks => stream
                            .write_all(b"10000\r\n")
                            .and_then(|()| stream.write_all(&zeros))
                            .and_then(|()| stream.write_all(b"\r\n")),
                        Answer::EndlessContinue => {
                            stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                        }
                    };
                    if sent.is_err() {
                        return;
                    }
                }
            });
        }
    });
}

/// The process's peak resident memory, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn check(answer: Answer, err: &Error) {
    match answer {
        Answer::EndlessContinue => {
            assert!(matches!(err, Error::Protocol { .. }), "{answer:?}: {err}");
            assert!(err.to_string().contains("interim"), "{err}");
        }
        _ => {
            assert!(
                matches!(err, Error::ResponseTooLarge { .. }),
                "{answer:?}: {err}"
            );
            assert!(err.to_string().contains("pull_path"), "{err}");
        }
    }
}

#[test]
fn enormous_and_endless_responses_fail_within_the_buffer_limit() {
    let dir = tempfile::tempdir().unwrap();
    let answers = [
        Answer::HugeLength,
        Answer::EndlessChunks,
        Answer::EndlessContinue,
        Answer::EndlessUnframed,
    ];
    for (i, answer) in answers.into_iter().enumerate() {
        let path = dir.path().join(format!("{i}.socket"));
        serve(&path, answer);

        let err = blocking::Client::new(&path)
            .unwrap()
            .system_info()
            .unwrap_err();
        check(answer, &err);

        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(async { Client::new(&path) }).unwrap();
        let err = rt.block_on(client.system_info()).unwrap_err();
        check(answer, &err);
    }
    // A 64 MiB buffer (and its growth) at most, far from the gigabytes before; a generous
    // bound, since the test binary itself takes some.
    let peak = peak_rss();
    assert!(peak < 512 * 1024 * 1024, "peak RSS {} MiB", peak >> 20);
}
