//! The layer stack and the combined plan, with `POST /v1/layers`' label rules.

use crate::types::{Layer, Plan, PlanError, combine_labelled_layers, validate_label};

/// One layer in the stack.
#[derive(Debug, Clone)]
pub(crate) struct LayerEntry {
    pub label: String,
    pub order: u32,
    pub layer: Layer,
}

/// The layers, bottom first, and their combination.
#[derive(Debug, Default)]
pub(crate) struct PlanState {
    pub layers: Vec<LayerEntry>,
    pub plan: Plan,
}

impl PlanState {
    /// Adds a layer as `POST /v1/layers` does: append with a new label, or (with `combine`)
    /// merge into the existing layer of that label in place. The plan must stay valid.
    pub(crate) fn add_layer(
        &mut self,
        label: &str,
        combine: bool,
        layer: Layer,
    ) -> Result<(), PlanError> {
        validate_label(label)?;
        let mut layers = self.layers.clone();
        match layers.iter_mut().find(|l| l.label == label) {
            Some(existing) if combine => {
                existing.layer = existing.layer.combine(label, &layer)?;
            }
            Some(_) => {
                return Err(PlanError::Invalid {
                    message: format!("layer {label:?} already exists"),
                });
            }
            None => {
                let order = layers.last().map_or(1, |l| l.order + 1);
                layers.push(LayerEntry {
                    label: label.to_owned(),
                    order,
                    layer,
                });
            }
        }
        let plan = combine_labelled_layers(layers.iter().map(|l| (l.label.as_str(), &l.layer)))?;
        self.layers = layers;
        self.plan = plan;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(yaml: &str) -> Layer {
        Layer::from_yaml(yaml).unwrap()
    }

    #[test]
    fn labels_append_combine_and_conflict() {
        let mut p = PlanState::default();
        p.add_layer(
            "base",
            false,
            layer("services:\n  a:\n    override: replace\n    command: /bin/a\n"),
        )
        .unwrap();
        let err = p
            .add_layer("base", false, layer("summary: x\n"))
            .unwrap_err();
        assert_eq!(err.to_string(), "layer \"base\" already exists");
        p.add_layer(
            "base",
            true,
            layer("services:\n  a:\n    override: merge\n    environment:\n      K: V\n"),
        )
        .unwrap();
        assert_eq!(p.layers.len(), 1);
        assert_eq!(p.plan.services["a"].environment["K"], "V");
        let err = p
            .add_layer(
                "bad",
                false,
                layer("services:\n  b:\n    override: replace\n"),
            )
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "plan must define \"command\" for service \"b\""
        );
        assert_eq!(p.layers.len(), 1);
    }
}
