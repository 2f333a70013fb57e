//! One step run: its phones leased, its body under its deadline and the
//! run's stop, every screen it leaves checked against the approved texts,
//! and a failure turned into evidence and a redacted message.

use cucumber::step::Context;
use mitid_e2e_framework::duration::seconds;

use crate::catalogue::{Deadline, StepFn};
use crate::phrases::arguments;
use crate::world::{CopyWorld, StepFailure, StepPanic, Verdict};

/// Runs one step: captures in, the body under its deadline, and on failure
/// the evidence gathered and the step failed with a redacted message.
///
/// Once the run is asked to stop (Ctrl-C, SIGTERM) no step begins: the
/// first of a scenario that has not begun says it was not run
/// ([`Verdict::NotRun`]); any other says it was interrupted. A step running
/// when the stop is asked ends at once, interrupted; its scenario's
/// sessions are closed as it ends, like any scenario's.
pub async fn execute(world: &mut CopyWorld, cx: Context, deadline: Deadline, body: StepFn) {
    // Waiting for free phones has its own deadline (timeouts.lease): the
    // step's starts once the scenario has them.
    if let Err(failure) = world.lease().await {
        let message = mitid_e2e_framework::secret::redact(&failure.message);
        std::panic::panic_any(StepPanic { verdict: failure.verdict, message });
    }
    let limit = deadline.limit(world);
    let text = cx.step.value.clone();
    let stop = world.ctx.stop.clone();
    if let Some(signal) = stop.requested() {
        let (verdict, message) = if world.scenario.steps_begun == 0 {
            (Verdict::NotRun, crate::world::stop::NOT_RUN.to_owned())
        } else {
            (
                Verdict::Interrupted,
                format!(
                    "interrupted by {} before this step: the run was stopped, so the scenario could not be judged",
                    signal.name()
                ),
            )
        };
        std::panic::panic_any(StepPanic { verdict, message });
    }
    world.scenario.steps_begun += 1;
    // With the phones' request traces, this says which step sent what.
    tracing::debug!(step = %text, "step");
    world.evidence.proved.clear();
    let captures = arguments(cx.matches.into_iter().skip(1));
    let started = std::time::Instant::now();
    // Every screen the step leaves its phones on must show its approved
    // texts; that look is part of the step, under its deadline and its stop.
    let counts_before = world.phone_counts();
    let checked = async {
        body(&mut *world, captures).await?;
        world.check_screens(&counts_before).await
    };
    let outcome = tokio::select! {
        outcome = tokio::time::timeout(limit, checked) => outcome,
        signal = stop.wait() => {
            let message = format!(
                "interrupted by {} {} into the step \"{text}\": the run was stopped, so the scenario could not be judged; its phones' sessions are closed",
                signal.name(),
                seconds(started.elapsed()),
            );
            std::panic::panic_any(StepPanic { verdict: Verdict::Interrupted, message: mitid_e2e_framework::secret::redact(&message) });
        }
    };
    let failure = match outcome {
        Ok(Ok(())) => {
            world.ctx.ledger.prove_in_passing_step(&world.scenario.key, std::mem::take(&mut world.evidence.proved));
            return;
        }
        Ok(Err(failure)) => {
            world.collect_evidence().await;
            failure
        }
        // A deadline is the harness's: the step could not be judged.
        Err(_) => {
            world.collect_evidence().await;
            world.close_sessions().await;
            StepFailure::error(format!(
                "the step \"{text}\" did not finish within its deadline of {}; its phones' sessions were closed",
                seconds(limit)
            ))
        }
    };
    let message = mitid_e2e_framework::secret::redact(&failure.message);
    std::panic::panic_any(StepPanic { verdict: failure.verdict, message });
}
