//! Calling handlers: re-emitting the deferred queue and emitting new events, each handler
//! getting its event rebuilt from the stored form.

use super::component_state::ComponentStateError;
use super::{CallInfo, Charm, Ctx, HandlerError, Observers, Queue};
use crate::event::{CustomEventData, Event, EventDecodeError, EventKind};
use crate::spans::span;
use crate::store::DeferredEntry;

/// Why emitting an event failed: one of its handlers failed, or the event could not be
/// stored or rebuilt. Either way the dispatch rolls back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// A handler returned an error (or panicked).
    #[error("handler {handler} failed on {}{event}: {}", if *reemitted { "deferred " } else { "" }, error.chain_message())]
    Handler {
        /// The handler's name.
        handler: String,
        /// The event.
        event: EventKind,
        /// Whether the event was re-emitted from the deferred queue.
        reemitted: bool,
        /// The handler's error.
        error: HandlerError,
    },
    /// An event could not be stored or rebuilt.
    #[error(transparent)]
    Event(EventDecodeError),
    /// A component's stored state does not fit its type.
    #[error(transparent)]
    ComponentState(#[from] ComponentStateError),
}

/// One handler call made during a dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerCall {
    /// The handler's name.
    pub handler: String,
    /// The event.
    pub kind: EventKind,
    /// The event's id.
    pub event_id: u64,
    /// Whether the event came from the deferred queue.
    pub reemitted: bool,
    /// Whether the handler deferred it (again).
    pub deferred: bool,
}

/// Emits events to a charm's handlers during one dispatch.
pub(crate) struct Emitter<'a, C: Charm> {
    pub(crate) charm: &'a mut C,
    pub(crate) ctx: Ctx<C>,
    pub(crate) observers: Observers<C>,
    pub(crate) queue: Queue,
    pub(crate) counter: u64,
    pub(crate) calls: &'a mut Vec<HandlerCall>,
    /// The custom events emitted in this dispatch, in order, with their ids.
    pub(crate) emitted: &'a mut Vec<CustomEventData>,
}

impl<C: Charm> Emitter<'_, C> {
    /// Re-emits the queue as it was when the pass began, oldest first. Entries whose handler
    /// succeeds without deferring are dropped; those deferred again keep their place;
    /// entries whose handler is gone or whose event cannot be decoded are dropped with a
    /// warning.
    pub(crate) fn reemit(&mut self) -> Result<(), EmitError> {
        // A long queue logs two lines per event (ours and the handler's): send them to
        // juju-log together rather than as a process each.
        crate::log::batched(|| self.reemit_pass())
    }

    fn reemit_pass(&mut self) -> Result<(), EmitError> {
        let pass: Vec<DeferredEntry> = self.queue.entries().to_vec();
        let total = pass.len();
        let span = span!("ops.reemit", queued = total);
        let _span = span.enter();
        for (i, entry) in pass.into_iter().enumerate() {
            let Some(kind) = EventKind::from_parts(&entry.kind, entry.source.as_deref()) else {
                tracing::warn!(
                    "dropping a deferred event for handler {}: its stored kind {:?} (source \
                     {:?}) is not an event kind this framework knows",
                    entry.handler,
                    entry.kind,
                    entry.source
                );
                self.queue.remove(entry.seq);
                continue;
            };
            tracing::debug!(
                "re-emitting deferred {kind}, {} of {total}, to handler {}",
                i + 1,
                entry.handler
            );
            if self.observers.find(&entry.handler, &kind).is_none() {
                tracing::warn!(
                    "dropping deferred {kind}: no handler named {:?} observes it any more",
                    entry.handler
                );
                self.queue.remove(entry.seq);
                continue;
            }
            let event = match Event::decode(&entry.kind, entry.source.as_deref(), &entry.data) {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(
                        "dropping deferred {kind} for handler {}: {e}",
                        entry.handler
                    );
                    self.queue.remove(entry.seq);
                    continue;
                }
            };
            let deferred = self.call(&entry.handler, event, entry.event_id, true)?;
            if !deferred {
                self.queue.remove(entry.seq);
            }
        }
        Ok(())
    }

    /// Emits a new event: gives it the next id, stores it, and calls each of its handlers in
    /// registration order with the event rebuilt from the stored form. A handler for which
    /// an identical event is already queued is skipped (it ran for the queued copy).
    pub(crate) fn emit(&mut self, mut event: Event) -> Result<(), EmitError> {
        self.counter += 1;
        let id = self.counter;
        let kind = event.kind();
        if let Event::Custom(data) = &mut event {
            data.meta.id = id;
            self.emitted.push(data.clone());
        }
        let span = span!(
            "ops.emit",
            otel.name = format_args!("emit {kind}"),
            kind = %kind,
            event_id = id,
        );
        let _span = span.enter();
        let data = event.encode().map_err(EmitError::Event)?;
        let names: Vec<String> = self
            .observers
            .for_kind(&kind)
            .map(|r| r.name.clone())
            .collect();
        for name in names {
            if self.queue.contains_identical(&name, &kind, &data) {
                tracing::info!(
                    "skipping handler {name} for {kind}: an identical event is already \
                     deferred for it"
                );
                continue;
            }
            let fresh = Event::decode(kind.generic_name(), kind.source(), &data)
                .map_err(EmitError::Event)?;
            if self.call(&name, fresh, id, false)? {
                self.queue.push(&name, &kind, id, data.clone());
            }
        }
        Ok(())
    }

    /// Calls handler `name` for `event`; returns whether it deferred.
    fn call(
        &mut self,
        name: &str,
        mut event: Event,
        id: u64,
        reemitted: bool,
    ) -> Result<bool, EmitError> {
        let kind = event.kind();
        let Some(reg) = self.observers.find(name, &kind) else {
            return Ok(false);
        };
        event.meta_mut().id = id;
        event.meta_mut().deferred = false;
        let span = span!(
            "ops.handler",
            otel.name = format_args!("{kind}: {name}"),
            handler = name,
            event_name = %kind,
            event_id = id,
            reemitted,
            deferred = tracing::field::Empty,
        );
        let _span = span.enter();
        self.ctx.set_call(Some(CallInfo {
            handler: name.to_owned(),
            kind: kind.clone(),
            reemitted,
        }));
        // A panicking handler fails the dispatch like an error does: everything rolls back and
        // the message reaches `juju-log` instead of only the hook's stderr.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            (reg.handler)(self.charm, &mut self.ctx, event)
        }))
        .unwrap_or_else(|payload| Err(HandlerError::msg(panic_message(payload.as_ref()))));
        self.ctx.set_call(None);
        let failed = |error: HandlerError| EmitError::Handler {
            handler: name.to_owned(),
            event: kind.clone(),
            reemitted,
            error,
        };
        let deferred = result.map_err(failed)?;
        span.record("deferred", deferred);
        self.calls.push(HandlerCall {
            handler: name.to_owned(),
            kind: kind.clone(),
            event_id: id,
            reemitted,
            deferred,
        });
        // What the handler emitted runs now, before anything else, each event in turn.
        for event in self.ctx.take_emitted() {
            self.emit(event)?;
        }
        Ok(deferred)
    }
}

/// The text of a panic payload (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let detail = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-text payload");
    format!("the handler panicked: {detail}")
}
