//! Sending spans over HTTPS, to juju-sim's receiver with `--otlp-tls` certificates: a CA
//! made for the run, an intermediate, and the receiver's certificate for 127.0.0.1.

#![cfg(feature = "https")]
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code panics on purpose

use std::net::SocketAddr;

use juju_sim::otlp::{OtlpReceiver, take};
use ops_tracing::encode::{Origin, encode, request};
use ops_tracing::export::{ExportError, send};

fn loopback() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn body() -> Vec<u8> {
    let origin = Origin {
        unit: "web/0".into(),
        model: "m".into(),
        model_uuid: "u".into(),
        charm_type: "Web".into(),
    };
    encode(&request(&origin, Vec::new()))
}

fn traces(rx: &OtlpReceiver) -> String {
    format!("{}/v1/traces", rx.url())
}

#[test]
fn spans_reach_a_receiver_whose_ca_is_trusted() {
    let rx = OtlpReceiver::start_https(loopback(), None).unwrap();
    assert!(rx.url().starts_with("https://127.0.0.1:"), "{}", rx.url());
    send(&traces(&rx), rx.ca_pem(), &body()).unwrap();
    assert_eq!(take(&rx.inbox()).len(), 1);
}

#[test]
fn an_intermediate_alone_is_enough_to_trust() {
    // Python's VERIFY_X509_PARTIAL_CHAIN: a CA list holding only the intermediate.
    let rx = OtlpReceiver::start_https(loopback(), None).unwrap();
    send(&traces(&rx), rx.intermediate_pem(), &body()).unwrap();
    assert_eq!(take(&rx.inbox()).len(), 1);
}

#[test]
fn another_ca_is_refused_and_the_spans_are_kept() {
    let rx = OtlpReceiver::start_https(loopback(), None).unwrap();
    let other = OtlpReceiver::start_https(loopback(), None).unwrap();
    let e = send(&traces(&rx), other.ca_pem(), &body()).unwrap_err();
    assert!(matches!(e, ExportError::Unreachable { .. }), "{e}");
    assert!(e.retryable());
    let why = std::error::Error::source(&e)
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(why.contains("certificate"), "{why}");
    assert!(take(&rx.inbox()).is_empty());
}

#[test]
fn without_a_ca_the_systems_list_does_not_know_the_receivers() {
    let rx = OtlpReceiver::start_https(loopback(), None).unwrap();
    let e = send(&traces(&rx), None, &body()).unwrap_err();
    // The system's list has no juju-sim CA (or the system has no list at all).
    assert!(
        matches!(e, ExportError::Unreachable { .. } | ExportError::Ca { .. }),
        "{e}"
    );
    assert!(e.retryable());
    assert!(take(&rx.inbox()).is_empty());
}

#[test]
fn a_ca_list_that_holds_no_certificate_says_so() {
    let rx = OtlpReceiver::start_https(loopback(), None).unwrap();
    let e = send(&traces(&rx), Some("hello"), &body()).unwrap_err();
    assert!(matches!(e, ExportError::Ca { .. }), "{e}");
    assert!(e.to_string().contains("holds no PEM certificate"), "{e}");
    assert!(e.retryable());
}

#[test]
fn https_to_a_plain_http_receiver_fails_in_the_handshake() {
    let rx = OtlpReceiver::start(loopback(), None).unwrap();
    let url = traces(&rx).replacen("http://", "https://", 1);
    let e = send(&url, Some(&pem_of_a_stranger()), &body()).unwrap_err();
    assert!(matches!(e, ExportError::Unreachable { .. }), "{e}");
    assert!(take(&rx.inbox()).is_empty());
}

fn pem_of_a_stranger() -> String {
    let other = OtlpReceiver::start_https(loopback(), None).unwrap();
    other.ca_pem().unwrap().to_owned()
}
