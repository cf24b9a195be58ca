//! `/v1/signals`.

use super::{Client, names_vec};
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;

impl Client {
    /// Sends a signal (a name such as `SIGHUP`) to services. Not retried after it may have
    /// reached Pebble.
    pub async fn send_signal(&self, signal: &str, services: &[&str]) -> Result<(), Error> {
        if services.is_empty() {
            return Err(Error::InvalidArgument {
                message: "send_signal needs at least one service name".into(),
            });
        }
        let body = serde_json::json!({"signal": signal, "services": names_vec(services)});
        let _: serde_json::Value = self
            .result(
                Call::SendSignal,
                RawRequest::post_json("/v1/signals", &body),
            )
            .await?;
        Ok(())
    }
}
