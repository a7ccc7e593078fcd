//! The scheduled escalation pass (an EventBridge rule every few minutes): acts on every report
//! whose deadline passed, in bounded batches; what does not fit in one invocation is left for
//! the next, which starts where this one stopped (handled reports leave the due window).

use lapor::service::escalation::{run_pass, PassLimits, PassStats};
use lapor::service::App;

pub struct Escalation {
    pub app: App,
    pub limits: PassLimits,
}

/// One pass as of now. The event's content does not matter (a schedule's tick); a store
/// failure fails the invocation, and the next tick goes on.
pub async fn handle(
    escalation: &Escalation,
    _event: serde_json::Value,
) -> Result<PassStats, lambda_runtime::Error> {
    let now = escalation.app.clock.now();
    Ok(run_pass(&escalation.app, now, escalation.limits).await?)
}
