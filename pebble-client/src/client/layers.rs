//! `/v1/layers` and `/v1/plan`.

use super::Client;
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;
use crate::types::{Layer, Plan, validate_label};

impl Client {
    /// Adds a layer under `label`. With `combine`, an existing layer of that label is merged
    /// with it in place (Pebble's override rules); without, an existing label is an error.
    /// Adding a layer starts nothing: call [`Client::replan_services`].
    pub async fn add_layer(&self, label: &str, layer: &Layer, combine: bool) -> Result<(), Error> {
        let yaml = layer.to_yaml().map_err(|e| Error::InvalidArgument {
            message: e.to_string(),
        })?;
        self.add_layer_yaml(label, &yaml, combine).await
    }

    /// Like [`Client::add_layer`] with the layer as YAML text.
    pub async fn add_layer_yaml(
        &self,
        label: &str,
        yaml: &str,
        combine: bool,
    ) -> Result<(), Error> {
        validate_label(label).map_err(|e| Error::InvalidArgument {
            message: format!("layer label {label:?}: {e}"),
        })?;
        let body = serde_json::json!({
            "action": "add", "combine": combine, "label": label, "format": "yaml", "layer": yaml,
        });
        let call = if combine {
            Call::CombineLayer
        } else {
            Call::AddLayer
        };
        let _: serde_json::Value = self
            .result(call, RawRequest::post_json("/v1/layers", &body))
            .await?;
        Ok(())
    }

    /// The combined plan as Pebble writes it.
    pub async fn get_plan_yaml(&self) -> Result<String, Error> {
        self.result(
            Call::GetPlan,
            RawRequest::get("/v1/plan?format=yaml".into()),
        )
        .await
    }

    /// The combined plan, parsed.
    pub async fn get_plan(&self) -> Result<Plan, Error> {
        let yaml = self.get_plan_yaml().await?;
        Plan::from_yaml(&yaml).map_err(|e| Error::protocol(format!("plan YAML from Pebble: {e}")))
    }
}
