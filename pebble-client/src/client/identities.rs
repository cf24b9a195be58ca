//! `/v1/identities` (Pebble ≥ 1.15).

use std::collections::BTreeMap;

use super::Client;
use crate::error::Error;
use crate::retry::Call;
use crate::transport::RawRequest;
use crate::types::{IdentitiesAction, Identity};

impl Client {
    /// All identities by name (secrets masked by Pebble).
    pub async fn get_identities(&self) -> Result<BTreeMap<String, Identity>, Error> {
        let r: Option<BTreeMap<String, Identity>> = self
            .result(
                Call::GetIdentities,
                RawRequest::get("/v1/identities".into()),
            )
            .await?;
        Ok(r.unwrap_or_default())
    }

    async fn identities_action(
        &self,
        action: IdentitiesAction,
        identities: serde_json::Value,
    ) -> Result<(), Error> {
        let call = match action {
            IdentitiesAction::Add => Call::AddIdentities,
            IdentitiesAction::Update => Call::UpdateIdentities,
            IdentitiesAction::Replace => Call::ReplaceIdentities,
            IdentitiesAction::Remove => Call::RemoveIdentities,
        };
        let body = serde_json::json!({"action": action.as_str(), "identities": identities});
        let _: serde_json::Value = self
            .result(call, RawRequest::post_json("/v1/identities", &body))
            .await?;
        Ok(())
    }

    fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, Error> {
        serde_json::to_value(v).map_err(|e| Error::InvalidArgument {
            message: format!("cannot encode identities: {e}"),
        })
    }

    /// Adds identities (names must be new).
    pub async fn add_identities(
        &self,
        identities: &BTreeMap<String, Identity>,
    ) -> Result<(), Error> {
        self.identities_action(IdentitiesAction::Add, Self::to_json(identities)?)
            .await
    }

    /// Updates existing identities.
    pub async fn update_identities(
        &self,
        identities: &BTreeMap<String, Identity>,
    ) -> Result<(), Error> {
        self.identities_action(IdentitiesAction::Update, Self::to_json(identities)?)
            .await
    }

    /// Adds or updates identities; a `None` value removes that one.
    pub async fn replace_identities(
        &self,
        identities: &BTreeMap<String, Option<Identity>>,
    ) -> Result<(), Error> {
        self.identities_action(IdentitiesAction::Replace, Self::to_json(identities)?)
            .await
    }

    /// Removes identities by name.
    pub async fn remove_identities(&self, names: &[&str]) -> Result<(), Error> {
        let map: BTreeMap<&str, Option<Identity>> = names.iter().map(|n| (*n, None)).collect();
        self.identities_action(IdentitiesAction::Remove, Self::to_json(&map)?)
            .await
    }
}
