package io.fleet.api.pipeline;

/** What a pipeline does when a host fails in any stage (evaluation, build or deployment). */
public enum FailurePolicy {
  /** The default: a failed host stops only its own later stages; every other host goes on. */
  STOP_HOST,
  /**
   * A failed host stops the fleet: no new build or deployment starts (their hosts are {@link
   * StageOutcome#SKIPPED}); builds and deployments already running finish normally, so armed hosts
   * are confirmed or rolled back as in any deployment. Evaluation goes on, so the report still says
   * which hosts evaluated.
   */
  STOP_FLEET
}
